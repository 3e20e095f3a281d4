"""Cryptographic primitives: the only package that imports ``cryptography``.

These are sharp tools; most callers want the recipes built on them
(``veil.redact.Hash`` for keyed pseudonymous hashes, ``veil.Vault`` for sealed records).
"""

from __future__ import annotations

from veil.crypto._aead import KEY_SIZE, NONCE_SIZE, Aead, derive_key, new_key, unwrap_key, wrap_key
from veil.crypto._hmac import DIGEST_SIZE, constant_time_equal, keyed_hash
from veil.crypto._keyring import LocalKeyring
from veil.crypto._providers import EnvKeyProvider, InMemoryKeyProvider, KeyProvider, generate_env_key
from veil.crypto._remote import AwsKmsWrapper, RootKeyWrapper, VaultTransitWrapper
from veil.crypto._signing import Ed25519Signer, verify_signature

__all__ = [
    "DIGEST_SIZE",
    "KEY_SIZE",
    "NONCE_SIZE",
    "Aead",
    "AwsKmsWrapper",
    "Ed25519Signer",
    "EnvKeyProvider",
    "InMemoryKeyProvider",
    "KeyProvider",
    "LocalKeyring",
    "RootKeyWrapper",
    "VaultTransitWrapper",
    "constant_time_equal",
    "derive_key",
    "generate_env_key",
    "keyed_hash",
    "new_key",
    "unwrap_key",
    "verify_signature",
    "wrap_key",
]
