"""Signed receipts: what a data subject request did, signed with the deployment's Ed25519 key.

A receipt names ids, counts and epochs, never a value. Anyone holding the deployment's
public key can check one offline with ``verify_receipt``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from veil.crypto import Ed25519Signer, verify_signature
from veil.errors import InvalidInput

#: The ``format`` every receipt payload carries.
RECEIPT_FORMAT = "veil-receipt/1"


def canonical(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes a receipt signature covers (and a bundle digest is taken over)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Receipt:
    """A signed statement of what one request did; ``payload`` is plain JSON."""

    payload: dict[str, Any] = field(hash=False)  # a dict is not hashable: the signature stands for it
    signature: str
    public_key: str

    def to_json(self) -> str:
        return json.dumps({"payload": self.payload, "signature": self.signature,
                           "public_key": self.public_key}, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        """Parse ``to_json`` output; the shape is checked, the signature is not (``verify_receipt``)."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise InvalidInput("receipt is not valid JSON") from None
        if not isinstance(data, dict) or set(data) != {"payload", "signature", "public_key"}:
            raise InvalidInput("receipt must be an object with payload, signature and public_key")
        payload, signature, public_key = data["payload"], data["signature"], data["public_key"]
        if not isinstance(payload, dict) or not isinstance(signature, str) or not isinstance(public_key, str):
            raise InvalidInput("receipt payload must be an object and its signature and key strings")
        return cls(payload, signature, public_key)


def sign_receipt(signer: Ed25519Signer, payload: dict[str, Any]) -> Receipt:
    signature = signer.sign(canonical(payload))
    return Receipt(payload, _b64(signature), _b64(signer.public_key()))


def verify_receipt(receipt: Receipt, public_key: bytes | None = None) -> bool:
    """True only if the signature covers the payload (and, given ``public_key``, was made by it)."""
    try:
        key = _unb64(receipt.public_key)
        signature = _unb64(receipt.signature)
        message = canonical(receipt.payload)
    except (TypeError, ValueError, AttributeError):
        return False  # a malformed receipt is simply not a valid one
    if public_key is not None and public_key != key:
        return False
    return verify_signature(key, message, signature)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise TypeError("not a base64 string")
    return base64.b64decode(text, validate=True)  # binascii.Error is a ValueError
