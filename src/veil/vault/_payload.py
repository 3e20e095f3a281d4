"""How sealed fields sit in one row: a versioned, length-prefixed frame of (field, ciphertext).

One row per record keeps a record whole: a write or a crash never leaves half of it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

from veil.errors import IntegrityError

_VERSION = 1
_HEADER = struct.Struct(">BI")  # field-name length, ciphertext length


def associated_data(collection: str, record_id: str, field: str, key_id: str) -> bytes:
    """Binds a ciphertext to its place: it opens nowhere else (no swapping between records or fields)."""
    return f"veil/field/v1\x00{collection}\x00{record_id}\x00{field}\x00{key_id}".encode()


def pack(sealed: Mapping[str, bytes]) -> bytes:
    parts = [bytes([_VERSION])]
    for name, ciphertext in sealed.items():
        encoded = name.encode()
        parts.append(_HEADER.pack(len(encoded), len(ciphertext)))
        parts.append(encoded)
        parts.append(ciphertext)
    return b"".join(parts)


def unpack(payload: bytes) -> dict[str, bytes]:
    if not payload or payload[0] != _VERSION:
        raise IntegrityError("a stored record has an unknown payload format")
    fields: dict[str, bytes] = {}
    offset, end = 1, len(payload)
    while offset < end:
        if offset + _HEADER.size > end:
            raise IntegrityError("a stored record payload is truncated")
        name_length, size = _HEADER.unpack_from(payload, offset)
        offset += _HEADER.size
        name = payload[offset : offset + name_length].decode()
        offset += name_length
        if offset + size > end:
            raise IntegrityError("a stored record payload is truncated")
        fields[name] = payload[offset : offset + size]
        offset += size
    return fields
