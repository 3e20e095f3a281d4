"""Typed operators: what replaces a finding. Options are fields, never string dicts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from veil.crypto import keyed_hash
from veil.errors import InvalidInput
from veil.redact._generalize import generalize
from veil.redact._pseudonym import PseudonymSession, token_name

#: Hex digits of the HMAC shown in a Hash token: 64 bits, enough to join on, short to read.
HASH_HEX_CHARS = 16
MIN_HASH_KEY_BYTES = 16


class Context(Protocol):
    """What an operator may ask of the redactor running it (one document at a time)."""

    def tag(self, entity: str, value: str) -> str: ...

    def fake(self, operator: Fake, entity: str, value: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Operator(ABC):
    """Base of the operators; ``name`` is what a ``Replacement`` reports."""

    name: ClassVar[str] = "operator"

    @abstractmethod
    def _replace(self, value: str, entity: str, context: Context) -> str: ...


@dataclass(frozen=True, slots=True)
class Tag(Operator):
    """``<EMAIL_ADDRESS_1>``: readable, consistent within a document, not reversible.

    The default for every entity: a reader (or a model) still sees what kind of
    value stood there and which mentions are the same value, and nothing else.
    """

    name: ClassVar[str] = "tag"

    def _replace(self, value: str, entity: str, context: Context) -> str:
        return context.tag(entity, value)


@dataclass(frozen=True, slots=True)
class Mask(Operator):
    """Every character becomes ``char`` except the last ``keep_last``.

    At most half of a value is ever kept, so a short value is never shown whole.
    """

    name: ClassVar[str] = "mask"
    char: str = "*"
    keep_last: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.char, str) or len(self.char) != 1:
            raise InvalidInput("Mask.char must be a single character")
        if not isinstance(self.keep_last, int) or self.keep_last < 0:
            raise InvalidInput("Mask.keep_last must be a non-negative integer")

    def _replace(self, value: str, entity: str, context: Context) -> str:
        keep = min(self.keep_last, len(value) // 2)
        return self.char * (len(value) - keep) + value[len(value) - keep:]


@dataclass(frozen=True, slots=True)
class Hash(Operator):
    """``<EMAIL_ADDRESS:3f9a1c0d2b7e8f10>``: keyed HMAC-SHA256, stable for one key.

    The same value hashes the same across entity types, so records stay joinable;
    without the key nobody can test a guess. The key never shows in the repr.
    """

    name: ClassVar[str] = "hash"
    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) < MIN_HASH_KEY_BYTES:
            raise InvalidInput(f"Hash.key must be at least {MIN_HASH_KEY_BYTES} bytes")

    def _replace(self, value: str, entity: str, context: Context) -> str:
        digest = keyed_hash(self.key, value.encode("utf-8")).hex()[:HASH_HEX_CHARS]
        return f"<{token_name(entity)}:{digest}>"


@dataclass(frozen=True, slots=True)
class Pseudonymize(Operator):
    """Like ``Tag`` but reversible: ``session.restore(text)`` puts the originals back."""

    name: ClassVar[str] = "pseudonymize"
    session: PseudonymSession

    def __post_init__(self) -> None:
        if not isinstance(self.session, PseudonymSession):
            raise InvalidInput("Pseudonymize.session must be a PseudonymSession")

    def _replace(self, value: str, entity: str, context: Context) -> str:
        return self.session.pseudonym(entity, value)


@dataclass(frozen=True, slots=True)
class Fake(Operator):
    """A realistic surrogate from Faker: names for names, e-mails for e-mails.

    The same original always gets the same surrogate within one Redactor (and across
    Redactors sharing a ``seed``). Numbers keep their format: digits stay digits,
    letters stay letters, separators and length are kept. Not reversible.
    """

    name: ClassVar[str] = "fake"
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)):
            raise InvalidInput("Fake.seed must be an integer or None")

    def _replace(self, value: str, entity: str, context: Context) -> str:
        return context.fake(self, entity, value)


@dataclass(frozen=True, slots=True)
class Generalize(Operator):
    """Keeps a coarse part: a date becomes its year, an IP its /24 (IPv6: /48) network.

    Entities with no coarser form, and values that do not parse, are tagged.
    """

    name: ClassVar[str] = "generalize"

    def _replace(self, value: str, entity: str, context: Context) -> str:
        coarse = generalize(entity, value)
        return context.tag(entity, value) if coarse is None else coarse


@dataclass(frozen=True, slots=True)
class Drop(Operator):
    """Removes the value."""

    name: ClassVar[str] = "drop"

    def _replace(self, value: str, entity: str, context: Context) -> str:
        return ""
