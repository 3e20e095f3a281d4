"""AES-256-GCM sealing with associated data, data-key wrapping and HKDF key derivation."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from veil.errors import DecryptionFailed, InvalidInput

KEY_SIZE = 32
NONCE_SIZE = 12
_TAG_SIZE = 16
_WRAP_PREFIX = b"veil/wrap/v1\x00"


def new_key() -> bytes:
    """A fresh random 256-bit key from the operating system's CSPRNG."""
    return os.urandom(KEY_SIZE)


class Aead:
    """AES-256-GCM under one key: ``seal`` gives nonce || ciphertext || tag.

    Random 96-bit nonces are safe for about 2**32 seals under one key; data keys
    are per subject and KEKs rotate, which keeps every key far below that.
    """

    __slots__ = ("_aesgcm",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes) or len(key) != KEY_SIZE:
            raise InvalidInput(f"key must be {KEY_SIZE} bytes")
        self._aesgcm = AESGCM(key)

    def __repr__(self) -> str:
        return "Aead(AES-256-GCM)"

    def seal(self, plaintext: bytes, associated_data: bytes) -> bytes:
        """Encrypt and authenticate ``plaintext``, binding it to ``associated_data``."""
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aesgcm.encrypt(nonce, plaintext, associated_data)

    def open(self, sealed: bytes, associated_data: bytes) -> bytes:
        """Decrypt what ``seal`` made; any failure is one ``DecryptionFailed`` with no reason."""
        if not isinstance(sealed, bytes) or len(sealed) < NONCE_SIZE + _TAG_SIZE:
            raise DecryptionFailed()
        try:
            return self._aesgcm.decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], associated_data)
        except (InvalidTag, TypeError, ValueError, OverflowError):
            raise DecryptionFailed() from None


def _wrap_context(context: bytes) -> bytes:
    if not isinstance(context, bytes):
        raise InvalidInput("context must be bytes")
    return _WRAP_PREFIX + context


def wrap_key(kek: Aead, key: bytes, context: bytes) -> bytes:
    """Seal a 32-byte data key under ``kek``, bound to ``context`` (a subject, a purpose)."""
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise InvalidInput(f"key must be {KEY_SIZE} bytes")
    return kek.seal(key, _wrap_context(context))


def unwrap_key(kek: Aead, wrapped: bytes, context: bytes) -> bytes:
    """Open what ``wrap_key`` made under the same ``context``; anything else is ``DecryptionFailed``."""
    key = kek.open(wrapped, _wrap_context(context))
    if len(key) != KEY_SIZE:
        raise DecryptionFailed()
    return key


def derive_key(master: bytes, label: str) -> bytes:
    """HKDF-SHA256 of ``master`` into an independent 32-byte key for ``label``."""
    if not isinstance(master, bytes) or not master:
        raise InvalidInput("master must be non-empty bytes")
    if not isinstance(label, str) or not label:
        raise InvalidInput("label must be a non-empty string")
    info = b"veil/" + label.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=info).derive(master)
