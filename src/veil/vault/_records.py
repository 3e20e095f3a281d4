"""What a read returns and how fields are sealed into, and opened from, one stored row."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from veil.crypto import Aead, keyed_hash
from veil.errors import IntegrityError, InvalidInput, PurposeNotAllowed
from veil.vault._payload import associated_data, pack, unpack
from veil.vault._schema import CollectionSpec, FieldSpec, shown


@dataclass(frozen=True, slots=True)
class Record:
    """One record as a purpose may see it; ``repr`` names fields, never their values."""

    collection: str
    record_id: str
    subject_id: str
    fields: Mapping[str, object]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None

    def __repr__(self) -> str:
        return (
            f"Record(collection={self.collection!r}, record_id={self.record_id!r}, "
            f"fields={sorted(self.fields)})"
        )


def encode_fields(
    spec: CollectionSpec, values: object, *, partial: bool = False, purpose: str | None = None
) -> dict[str, bytes]:
    """Type-checked bytes of each declared field; undeclared fields, fields ``purpose`` does not serve,
    missing required fields and bad values are refused."""
    if not isinstance(values, Mapping):
        raise InvalidInput(f"a record of {spec.name!r} must be a mapping of field names to values")
    encoded: dict[str, bytes] = {}
    for name, value in values.items():
        field = spec.field(name)
        if purpose is not None and purpose not in field.purposes:
            raise PurposeNotAllowed(f"purpose {purpose!r} may not write {spec.name}.{field.name}")
        if value is None:
            continue
        if field.redactor is not None and isinstance(value, str):
            value = field.redactor.redact(value)  # free text: the collection's redaction rule first
        encoded[field.name] = field.encode(spec.name, value)
    if not partial:
        missing = [f.name for f in spec.fields.values() if f.required and f.name not in encoded]
        if missing:
            raise InvalidInput(f"collection {spec.name!r} requires fields {missing}")
    return encoded


def seal_fields(
    key: Aead, collection: str, record_id: str, key_id: str, encoded: Mapping[str, bytes]
) -> dict[str, bytes]:
    return {
        name: key.seal(data, associated_data(collection, record_id, name, key_id))
        for name, data in encoded.items()
    }


def open_fields(
    key: Aead, spec: CollectionSpec, record_id: str, key_id: str, payload: bytes, fields: Sequence[FieldSpec]
) -> dict[str, object]:
    sealed = unpack(payload)
    if any(f.required and f.name not in sealed for f in fields):  # a field cut out of the stored row
        raise IntegrityError(f"record {record_id} lacks a required field: it was altered outside Veil")
    return {
        f.name: f.decode(key.open(sealed[f.name], associated_data(spec.name, record_id, f.name, key_id)))
        for f in fields
        if f.name in sealed
    }


def repack(
    key: Aead,
    spec: CollectionSpec,
    record_id: str,
    key_id: str,
    payload: bytes,
    changes: Mapping[str, bytes | None],
) -> bytes:
    """``payload`` with some fields resealed and others (``None``) removed; the rest stay as sealed."""
    sealed = unpack(payload)
    for name, data in changes.items():
        if data is None:
            sealed.pop(name, None)
        else:
            sealed[name] = key.seal(data, associated_data(spec.name, record_id, name, key_id))
    missing = [f.name for f in spec.fields.values() if f.required and f.name not in sealed]
    if missing:
        raise InvalidInput(f"collection {spec.name!r} requires fields {missing}")
    return pack(sealed)


def blind_digest(index_key: bytes, field: FieldSpec, encoded: bytes) -> bytes:
    """Exact-match token of a value: case and Unicode form do not matter for text."""
    if field.type == "string":
        text = unicodedata.normalize("NFKC", encoded.decode("utf-8", "surrogatepass")).strip().casefold()
        encoded = text.encode("utf-8", "surrogatepass")
    return keyed_hash(index_key, encoded)


def lookup_field(spec: CollectionSpec, name: object) -> FieldSpec:
    field = spec.field(name)
    if not field.lookup:
        raise InvalidInput(f"field {spec.name}.{shown(name)} has no blind index (declare lookup = true)")
    return field
