"""Cryptographic primitives: the only package that imports ``cryptography``.

These are sharp tools; most callers want the recipes built on them
(``veil.redact.Hash`` for keyed pseudonymous hashes).
"""

from __future__ import annotations

from veil.crypto._hmac import DIGEST_SIZE, constant_time_equal, keyed_hash

__all__ = [
    "DIGEST_SIZE",
    "constant_time_equal",
    "keyed_hash",
]
