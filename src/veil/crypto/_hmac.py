"""Keyed hashing (HMAC-SHA256) and constant-time comparison."""

from __future__ import annotations

from cryptography.hazmat.primitives import constant_time, hashes, hmac

from veil.errors import InvalidInput

DIGEST_SIZE = 32


def keyed_hash(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` under ``key``: a stable, unlinkable-without-the-key digest."""
    if not isinstance(key, bytes) or not key:
        raise InvalidInput("key must be non-empty bytes")
    if not isinstance(data, bytes):
        raise InvalidInput("data must be bytes")
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    """Compare secrets without leaking, through timing, where they first differ."""
    if not isinstance(a, bytes) or not isinstance(b, bytes):
        raise InvalidInput("constant_time_equal compares bytes")
    return constant_time.bytes_eq(a, b)
