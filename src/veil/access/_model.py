"""The access vocabulary: actions, principals, rules, requests and decisions (plain data)."""

from __future__ import annotations

import re
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal

from veil.errors import ConfigError, InvalidInput

ACTIONS: Final = ("read", "write", "export", "erase", "decrypt", "admin")
ANY: Final = "*"
DEFAULT_DENY: Final = "default-deny"
UNKNOWN_PRINCIPAL: Final = "unknown-principal"
MAX_RULE_CHARS: Final = 128

#: Ids: principal ids, roles, rule names, collections, purposes, environments, regions.
ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
#: Categories: the same characters, in dot-separated segments (``user.contact.email``).
CATEGORY = re.compile(r"(?=.{1,128}\Z)[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*")

_ANY_SET: Final = frozenset({ANY})

PrincipalKind = Literal["service", "person"]
Effect = Literal["grant", "deny"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Someone or something that asks: a service or a person, holding roles."""

    id: str
    kind: PrincipalKind
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Rule:
    """A grant or a deny. ``"*"`` in roles, actions, collections, categories or purposes means any.

    An elevation is a grant with an ``approver`` and an ``expires`` instant.
    """

    name: str
    effect: Effect
    _: KW_ONLY
    roles: frozenset[str] = frozenset()
    principals: frozenset[str] = frozenset()
    actions: frozenset[str]
    collections: frozenset[str] = _ANY_SET
    categories: frozenset[str] = _ANY_SET
    purposes: frozenset[str]
    environment: str | None = None
    region: str | None = None
    approver: str | None = None
    expires: datetime | None = None

    def __post_init__(self) -> None:
        if not (self.roles or self.principals):
            raise ConfigError(f"rule {self.name!r}: names no roles or principals")
        unknown = sorted(self.actions - _ANY_SET - frozenset(ACTIONS))
        if unknown:
            raise ConfigError(f"rule {self.name!r}: unknown action {unknown[0]!r} ({one_of(ACTIONS)})")
        if self.expires is not None and self.expires.utcoffset() is None:
            raise ConfigError(f"rule {self.name!r}: expires needs a time zone offset")

    @property
    def elevation(self) -> bool:
        """True for a time-bound ("just in time") grant."""
        return self.approver is not None

    def applies_to(self, principal: Principal) -> bool:
        """Whether this rule speaks about ``principal`` (by id, by role, or to everyone)."""
        return (
            principal.id in self.principals or ANY in self.roles or not self.roles.isdisjoint(principal.roles)
        )


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """One question to the policy: may ``principal`` do ``action`` on ``collection`` data of
    ``categories`` for ``purpose``, here (``environment``, ``region``) and now (``at``)?"""

    principal: str
    action: str
    collection: str | None
    categories: frozenset[str]
    purpose: str | None
    _: KW_ONLY
    environment: str | None = None
    region: str | None = None
    at: datetime

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise InvalidInput(f"access request: unknown action {self.action!r} ({one_of(ACTIONS)})")
        offset = self.at.utcoffset()
        if offset is None:
            raise InvalidInput("access request: at must be a time zone aware datetime (UTC)")
        if offset:
            object.__setattr__(self, "at", self.at.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer, with what decided it.

    ``rule`` is the deny rule's name, ``"default-deny"`` when nothing grants or
    ``"unknown-principal"``; for an allow, the grant's name or the distinct grant names
    joined with ``"+"`` in category order (at most 128 characters). ``category`` is the
    category left uncovered or denied, when there is one.
    """

    allowed: bool
    rule: str
    request: AccessRequest = field(repr=False)
    category: str | None = None

    def __bool__(self) -> bool:
        return self.allowed


def one_of(choices: tuple[str, ...] | list[str]) -> str:
    return "one of " + ", ".join(choices)
