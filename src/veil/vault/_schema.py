"""Collections, their declared fields and the purposes they serve (data minimization).

A collection says which fields it holds, how sensitive each is, which purposes may
see it and how long records live. Writes of anything undeclared are refused; reads
for a purpose see only that purpose's fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any

from veil.errors import ConfigError, InputTooLarge, InvalidInput
from veil.redact import Drop, Fake, Generalize, Mask, Operator, Redactor, Tag
from veil.vault._taxonomy import Category, LegalBasis

NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Largest sealed field by default (a collection may lower or raise it per field).
DEFAULT_MAX_BYTES = 64 * 1024
_OPERATORS: dict[str, Operator] = {
    "tag": Tag(),
    "mask": Mask(),
    "drop": Drop(),
    "generalize": Generalize(),
    "fake": Fake(),
}


class FieldType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    JSON = "json"


def shown(name: object) -> str:
    """A caller-supplied name as it may appear in an error: only if it is a plain identifier."""
    return (
        repr(name) if isinstance(name, str) and NAME.fullmatch(name) else "(a name that is not an identifier)"
    )


@dataclass(frozen=True)
class Purpose:
    name: str
    legal_basis: LegalBasis
    kind: str = ""  # what regulation profiles key their consent rules on; defaults to the name
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", self.kind or self.name)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    category: Category
    purposes: frozenset[str]
    type: FieldType = FieldType.STRING
    lookup: bool = False  # keep a blind index for exact-match lookup
    required: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    redact: Mapping[str, str] | None = None  # entity (or "default") -> operator name, for free text

    def encode(self, collection: str, value: object) -> bytes:
        """The bytes to seal, after type and size checks that never quote ``value``."""
        encoded = _ENCODERS[self.type](value)
        if encoded is None:
            raise InvalidInput(f"field {collection}.{self.name} must be of type {self.type}")
        if len(encoded) > self.max_bytes:
            raise InputTooLarge(f"field {collection}.{self.name} is larger than {self.max_bytes} bytes")
        return encoded

    def decode(self, data: bytes) -> object:
        return _DECODERS[self.type](data)

    @cached_property
    def redactor(self) -> Redactor | None:
        if not self.redact:
            return None
        rules = dict(self.redact)
        default = _OPERATORS[rules.pop("default", "tag")]
        return Redactor(policy={entity: _OPERATORS[op] for entity, op in rules.items()}, default=default)


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    fields: Mapping[str, FieldSpec]
    retention: timedelta | None = None
    description: str = ""

    @property
    def purposes(self) -> frozenset[str]:
        return frozenset().union(*(f.purposes for f in self.fields.values()))

    def fields_for(self, purpose: str) -> list[FieldSpec]:
        return [f for f in self.fields.values() if purpose in f.purposes]

    def field(self, name: object) -> FieldSpec:
        spec = self.fields.get(name) if isinstance(name, str) else None
        if spec is None:
            raise InvalidInput(f"field {shown(name)} is not declared in collection {self.name!r}")
        return spec


@dataclass(frozen=True)
class VaultSchema:
    """Every purpose and collection a deployment declares (``veil.toml`` or code)."""

    purposes: Mapping[str, Purpose]
    collections: Mapping[str, CollectionSpec] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for collection in self.collections.values():
            for spec in collection.fields.values():
                unknown = sorted(spec.purposes - set(self.purposes))
                if unknown:
                    raise ConfigError(
                        f"field {collection.name}.{spec.name} names undeclared purposes {unknown}"
                    )

    def collection(self, name: object) -> CollectionSpec:
        spec = self.collections.get(name) if isinstance(name, str) else None
        if spec is None:
            raise InvalidInput(f"collection {shown(name)} is not declared")
        return spec

    def purpose(self, name: object) -> Purpose:
        purpose = self.purposes.get(name) if isinstance(name, str) else None
        if purpose is None:
            raise InvalidInput(f"purpose {shown(name)} is not declared")
        return purpose

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "veil.toml") -> VaultSchema:
        """Parse the ``[purposes]`` and ``[collections]`` tables of a ``veil.toml``."""
        return _Parser(source).schema(data)


def _encode_string(value: object) -> bytes | None:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else None


#: Digits of the largest integer a field takes (Python refuses to print much longer ones by default).
MAX_INTEGER_DIGITS = 4000


def _encode_integer(value: object) -> bytes | None:
    if not isinstance(value, int) or isinstance(value, bool) or value.bit_length() > MAX_INTEGER_DIGITS * 3:
        return None
    return str(value).encode()


def _encode_number(value: object) -> bytes | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return repr(float(value)).encode() if ok else None  # type: ignore[arg-type]


def _encode_boolean(value: object) -> bytes | None:
    return (b"1" if value else b"0") if isinstance(value, bool) else None


def _encode_date(value: object) -> bytes | None:
    if not isinstance(value, date) or isinstance(value, datetime):  # a datetime would not read back
        return None
    return value.isoformat().encode()


def _encode_json(value: object) -> bytes | None:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError):
        return None


_ENCODERS = {
    FieldType.STRING: _encode_string,
    FieldType.INTEGER: _encode_integer,
    FieldType.NUMBER: _encode_number,
    FieldType.BOOLEAN: _encode_boolean,
    FieldType.DATE: _encode_date,
    FieldType.JSON: _encode_json,
}
_DECODERS: dict[FieldType, Any] = {
    FieldType.STRING: lambda b: b.decode("utf-8", "surrogatepass"),
    FieldType.INTEGER: lambda b: int(b),
    FieldType.NUMBER: lambda b: float(b),
    FieldType.BOOLEAN: lambda b: b == b"1",
    FieldType.DATE: lambda b: date.fromisoformat(b.decode()),
    FieldType.JSON: lambda b: json.loads(b),
}


class _Parser:
    """Turns TOML tables into specs; every error names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {what}")

    def schema(self, data: Mapping[str, Any]) -> VaultSchema:
        purposes = {name: self.purpose(name, body) for name, body in self.table(data, "purposes").items()}
        collections = {
            name: self.collection(name, body) for name, body in self.table(data, "collections").items()
        }
        return VaultSchema(purposes=purposes, collections=collections)

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a table")
        for name in value:
            if not NAME.fullmatch(name):
                raise self.fail(key, f"{name!r} is not a valid name (lower case, digits, _)")
        return value

    def keys(self, where: str, body: Any, allowed: set[str]) -> Mapping[str, Any]:
        if not isinstance(body, Mapping):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise self.fail(where, f"unknown keys {unknown}")
        return body

    def purpose(self, name: str, body: Any) -> Purpose:
        where = f"purposes.{name}"
        body = self.keys(where, body, {"legal_basis", "kind", "description"})
        try:
            basis = LegalBasis(body.get("legal_basis", ""))
        except ValueError:
            raise self.fail(where, f"legal_basis must be one of {[b.value for b in LegalBasis]}") from None
        return Purpose(name, basis, str(body.get("kind", "")), str(body.get("description", "")))

    def collection(self, name: str, body: Any) -> CollectionSpec:
        where = f"collections.{name}"
        body = self.keys(where, body, {"fields", "retention_days", "description"})
        days = body.get("retention_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days <= 0):
            raise self.fail(f"{where}.retention_days", "must be a positive number of days")
        fields = {
            f: self.field(f"{where}.fields.{f}", f, spec) for f, spec in self.table(body, "fields").items()
        }
        if not fields:
            raise self.fail(where, "declares no fields")
        retention = timedelta(days=days) if days is not None else None
        return CollectionSpec(name, fields, retention, str(body.get("description", "")))

    def field(self, where: str, name: str, body: Any) -> FieldSpec:
        allowed = {"category", "type", "purposes", "lookup", "required", "max_bytes", "redact"}
        body = self.keys(where, body, allowed)
        try:
            category = Category(body.get("category", ""))
            kind = FieldType(body.get("type", "string"))
        except ValueError:
            raise self.fail(
                where,
                f"category must be one of {[c.value for c in Category]} and type one "
                f"of {[t.value for t in FieldType]}",
            ) from None
        purposes = body.get("purposes", [])
        if not isinstance(purposes, list) or not purposes or not all(isinstance(p, str) for p in purposes):
            raise self.fail(f"{where}.purposes", "must be a non-empty list of purpose names")
        max_bytes = body.get("max_bytes", DEFAULT_MAX_BYTES)
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
            raise self.fail(f"{where}.max_bytes", "must be a positive integer")
        return FieldSpec(
            name,
            category,
            frozenset(purposes),
            kind,
            bool(body.get("lookup", False)),
            bool(body.get("required", False)),
            max_bytes,
            self.redact(where, body.get("redact")),
        )

    def redact(self, where: str, rule: Any) -> Mapping[str, str] | None:
        if rule is None or rule is False:
            return None
        rules: Mapping[str, Any] = (
            {"default": "tag"} if rule is True else ({"default": rule} if isinstance(rule, str) else rule)
        )
        if not isinstance(rules, Mapping) or not all(op in _OPERATORS for op in rules.values()):
            raise self.fail(f"{where}.redact", f"operators must be among {sorted(_OPERATORS)}")
        return {str(entity): str(op) for entity, op in rules.items()}
