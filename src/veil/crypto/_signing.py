"""Ed25519 signatures for receipts and audit tree heads."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from veil.errors import InvalidInput

_SEED_SIZE = 32


class Ed25519Signer:
    """One Ed25519 private key, built from its 32-byte raw seed."""

    __slots__ = ("_private",)

    def __init__(self, seed: bytes) -> None:
        if not isinstance(seed, bytes) or len(seed) != _SEED_SIZE:
            raise InvalidInput(f"seed must be {_SEED_SIZE} bytes")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)

    @classmethod
    def generate(cls) -> Ed25519Signer:
        return cls(Ed25519PrivateKey.generate().private_bytes_raw())

    def __repr__(self) -> str:
        return f"Ed25519Signer(public_key={self.public_key().hex()})"

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def public_key(self) -> bytes:
        """The raw 32-byte public key, what verifiers are given."""
        return self._private.public_key().public_bytes_raw()

    def seed(self) -> bytes:
        """The raw 32-byte private seed: only the keyring should ever ask for it."""
        return self._private.private_bytes_raw()


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only for a valid signature; malformed keys, messages or signatures give False."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, TypeError, ValueError):
        return False
    return True
