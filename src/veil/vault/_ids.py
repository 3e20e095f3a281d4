"""Subject and record ids are opaque references, never personal data: checked before use."""

from __future__ import annotations

import re
import uuid

from veil.errors import InvalidInput

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def check_id(kind: str, value: object) -> str:
    """``value`` if it is a valid id; the error never repeats it (an e-mail used as an id is data)."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidInput(f"{kind} id must be 1-128 characters of letters, digits and . _ : -")
    return value


def new_record_id() -> str:
    return uuid.uuid4().hex


def new_key_id() -> str:
    return uuid.uuid4().hex
