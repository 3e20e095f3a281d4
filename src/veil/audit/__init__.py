"""The audit log: one metadata-only entry for every decision and every access to personal data.

Entries are the leaves of an append-only Merkle tree (RFC 9162 hashing) stored beside the vault;
signed tree heads are C2SP checkpoints that witnesses can cosign; inclusion and consistency
proofs verify with the proof, the head and the public key alone (``verify_inclusion_bundle``).
"""

from __future__ import annotations

from veil.audit._bundles import verify_consistency_bundle, verify_inclusion_bundle
from veil.audit._checkpoint import Checkpoint, open_checkpoint, verifier_key
from veil.audit._entry import AuditEntry
from veil.audit._log import AuditLog, SignedHead
from veil.audit._merkle import leaf_hash, verify_consistency, verify_inclusion
from veil.audit._verify import Verification
from veil.audit._witness import FileWitness, Witness

__all__ = [
    "AuditEntry",
    "AuditLog",
    "Checkpoint",
    "FileWitness",
    "SignedHead",
    "Verification",
    "Witness",
    "leaf_hash",
    "open_checkpoint",
    "verifier_key",
    "verify_consistency",
    "verify_consistency_bundle",
    "verify_inclusion",
    "verify_inclusion_bundle",
]
