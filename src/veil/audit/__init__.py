"""The audit log: one metadata-only entry for every decision and every access to personal data.

This first version is an append-only table written in the same transaction as the
operation it records (so an operation and its entry commit or fail together); the
Merkle tree, signed heads and proofs on top of it are issue 4.
"""

from __future__ import annotations

from veil.audit._log import AuditEntry, AuditLog

__all__ = ["AuditEntry", "AuditLog"]
