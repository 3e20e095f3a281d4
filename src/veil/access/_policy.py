"""The policy: principals, roles and rules, read from the ``[access]`` table of veil.toml.

Roles are defined by ``[access.roles]`` when that table is present (then every role a
principal holds or a rule names must be listed there), else by the principals that hold
them. Rules may name only defined roles and principals; rule names are unique across
grants, denies and elevations. Every problem raises ``ConfigError`` naming the file, the
key and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Literal, cast

from veil.access._decide import Evaluator
from veil.access._model import ACTIONS, ANY, CATEGORY, ID, Principal, Rule, one_of
from veil.errors import ConfigError

_TOP: Final = frozenset({"environment", "roles", "principals", "grants", "denies", "elevations"})
_PRINCIPAL: Final = frozenset({"id", "kind", "roles"})
_GRANT: Final = frozenset(
    "name roles principals actions collections categories purposes environment region".split()
)
_ELEVATION: Final = _GRANT | {"approver", "expires"}
_KINDS: Final = ("service", "person")
_ID_HINT: Final = "letters, digits and . _ : -, at most 128"


class Policy(Evaluator):
    """Who may do what, deny by default; ``decide`` answers one ``AccessRequest``.

    The exact semantics are written at the top of ``veil/access/_decide.py``; the
    compiled evaluator is the base class, so that a decision costs one call.
    """

    __slots__ = ("_principals", "_roles", "_rules")

    def __init__(
        self,
        principals: Iterable[Principal] = (),
        rules: Iterable[Rule] = (),
        *,
        environment: str | None = None,
        roles: Mapping[str, str] | None = None,
    ) -> None:
        by_id: dict[str, Principal] = {}
        for principal in principals:
            if principal.id in by_id:
                raise ConfigError(f"policy: duplicate principal id {principal.id!r}")
            by_id[principal.id] = principal
        self._rules = tuple(rules)
        _check_rules(by_id, self._rules, roles)
        self._principals: Mapping[str, Principal] = MappingProxyType(by_id)
        self._roles: Mapping[str, str] = MappingProxyType(dict(roles or {}))
        super().__init__(by_id, self._rules, environment)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, source: str) -> Policy:
        """The policy in the ``[access]`` table of a parsed veil.toml (none: everything denied)."""
        return _Parser(source).policy(raw)

    @classmethod
    def deny_all(cls) -> Policy:
        """No principals, no rules: every request is denied."""
        return cls()

    @property
    def principals(self) -> Mapping[str, Principal]:
        return self._principals

    @property
    def roles(self) -> Mapping[str, str]:
        """The documented roles (``[access.roles]``): role -> description."""
        return self._roles

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule in declaration order (grants, denies, then elevations when parsed)."""
        return self._rules

    @property
    def environment(self) -> str | None:
        """This deployment's environment: the one of a request that names none."""
        return self._environment

    def principal(self, id: str) -> Principal | None:
        return self._principals.get(id)


def _check_rules(
    principals: Mapping[str, Principal], rules: tuple[Rule, ...], roles: Mapping[str, str] | None
) -> None:
    held = {role for p in principals.values() for role in p.roles}
    if roles is not None and held - roles.keys():
        raise ConfigError(f"policy: undeclared role {min(held - roles.keys())!r}")
    known = held if roles is None else set(roles)
    names: set[str] = set()
    for rule in rules:
        if rule.name in names:
            raise ConfigError(f"policy: duplicate rule name {rule.name!r}")
        names.add(rule.name)
        missing = sorted(rule.roles - known - {ANY}) + sorted(rule.principals - principals.keys())
        if missing:
            raise ConfigError(f"policy: rule {rule.name!r} names undefined role or principal {missing[0]!r}")


class _Parser:
    """Turns the ``[access]`` table into a Policy; every error names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> ConfigError:
        return ConfigError(f"{self.source}: {where}: {what}")

    def policy(self, raw: Mapping[str, Any]) -> Policy:
        if raw.get("access") is None:
            return Policy()
        body = self.table("access", raw["access"], _TOP)
        environment = self.optional_id("access.environment", body.get("environment"))
        roles = self.roles(body["roles"]) if "roles" in body else None
        principals = [self.principal(f"access.principals[{i}]", p) for i, p in self.array(body, "principals")]
        self.unique("access.principals", "id", "principal id", [p.id for p in principals])
        known = set(roles) if roles is not None else {r for p in principals for r in p.roles}
        if roles is not None:
            for i, principal in enumerate(principals):
                self.defined_roles(f"access.principals[{i}].roles", principal.roles, known)
        by_id = {p.id: p for p in principals}
        located = [
            (f"access.{key}[{i}]", item, key)
            for key in ("grants", "denies", "elevations")
            for i, item in self.array(body, key)
        ]
        rules = [self.rule(where, item, key, by_id, known) for where, item, key in located]
        self.unique_rules([where for where, _, _ in located], rules)
        return Policy(principals, rules, environment=environment, roles=roles)

    # -- tables ----------------------------------------------------------------
    def table(self, where: str, value: Any, allowed: frozenset[str]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, "must be a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
        return value

    def array(self, body: Mapping[str, Any], key: str) -> list[tuple[int, Any]]:
        value = body.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"access.{key}", f"must be an array of tables: write [[access.{key}]]")
        return list(enumerate(value))

    def roles(self, value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise self.fail("access.roles", 'must be a table of role = "description"')
        for role, description in value.items():
            self.id(f"access.roles.{role}", role)
            if not isinstance(description, str):
                raise self.fail(f"access.roles.{role}", "must be a description string")
        return dict(value)

    def principal(self, where: str, value: Any) -> Principal:
        body = self.table(where, value, _PRINCIPAL)
        if "id" not in body:
            raise self.fail(where, "needs an id")
        kind = body.get("kind")
        if kind not in _KINDS:
            raise self.fail(f"{where}.kind", 'must be "service" or "person"')
        roles = self.ids(f"{where}.roles", body.get("roles", []), empty=True)
        return Principal(self.id(f"{where}.id", body["id"]), cast(Literal["service", "person"], kind), roles)

    # -- rules -----------------------------------------------------------------
    def rule(
        self, where: str, value: Any, key: str, principals: Mapping[str, Principal], known: set[str]
    ) -> Rule:
        body = self.table(where, value, _ELEVATION if key == "elevations" else _GRANT)
        if "name" not in body:
            raise self.fail(where, "needs a name")
        name = self.id(f"{where}.name", body["name"])
        roles = self.ids(f"{where}.roles", body.get("roles", []), empty=True, wildcard=True)
        named = self.ids(f"{where}.principals", body.get("principals", []), empty=True)
        if not roles and not named:
            raise self.fail(where, "names no one: add roles = [...] and/or principals = [...]")
        self.defined_roles(f"{where}.roles", roles - {ANY}, known)
        strangers = sorted(named - principals.keys())
        if strangers:
            raise self.fail(
                f"{where}.principals",
                f"undefined principal {strangers[0]!r}: add it under [[access.principals]]",
            )
        actions = self.actions(f"{where}.actions", body)
        if "purposes" not in body and key != "denies":
            raise self.fail(f"{where}.purposes", 'required: list the purposes, or ["*"] for any')
        approver, expires = (
            self.elevation(where, body, roles, named, principals) if key == "elevations" else (None, None)
        )
        return Rule(
            name,
            "deny" if key == "denies" else "grant",
            roles=roles,
            principals=named,
            actions=actions,
            collections=self.ids(f"{where}.collections", body.get("collections", [ANY]), wildcard=True),
            categories=self.categories(f"{where}.categories", body.get("categories", [ANY])),
            purposes=self.ids(f"{where}.purposes", body.get("purposes", [ANY]), wildcard=True),
            environment=self.optional_id(f"{where}.environment", body.get("environment")),
            region=self.optional_id(f"{where}.region", body.get("region")),
            approver=approver,
            expires=expires,
        )

    def actions(self, where: str, body: Mapping[str, Any]) -> frozenset[str]:
        if "actions" not in body:
            raise self.fail(where, f'required: list the actions ({one_of(ACTIONS)}), or ["*"] for all')
        actions = self.strings(where, body["actions"])
        for action in actions:
            if action != ANY and action not in ACTIONS:
                raise self.fail(where, f"unknown action {action!r} ({one_of(ACTIONS)})")
        return frozenset(actions)

    def categories(self, where: str, value: Any) -> frozenset[str]:
        for category in self.strings(where, value):
            if category != ANY and not CATEGORY.fullmatch(category):
                raise self.fail(where, f"{category!r} is not a category (dotted names like user.contact)")
        return frozenset(value)

    def elevation(
        self,
        where: str,
        body: Mapping[str, Any],
        roles: frozenset[str],
        named: frozenset[str],
        principals: Mapping[str, Principal],
    ) -> tuple[str, datetime]:
        if "approver" not in body:
            raise self.fail(f"{where}.approver", "required: who approved this elevation")
        approver = self.id(f"{where}.approver", body["approver"])
        holder = principals.get(approver)
        if approver in named or (holder is not None and holder in _holders(roles, principals)):
            raise self.fail(
                f"{where}.approver", f"{approver!r} is elevated by this rule: another person must approve"
            )
        if "expires" not in body:
            raise self.fail(f"{where}.expires", "required: when it ends, e.g. 2026-12-02T10:00:00Z")
        return approver, self.instant(f"{where}.expires", body["expires"])

    def instant(self, where: str, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.fail(where, "must be an RFC 3339 date-time, e.g. 2026-12-02T10:00:00Z") from None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise self.fail(where, "must be a date-time with an offset, e.g. 2026-12-02T10:00:00Z")
        return value

    def unique_rules(self, paths: list[str], rules: list[Rule]) -> None:
        seen: set[str] = set()
        for path, rule in zip(paths, rules, strict=True):
            if rule.name in seen:
                raise self.fail(
                    f"{path}.name",
                    f"duplicate rule name {rule.name!r}: rename one (names are unique across all rules)",
                )
            seen.add(rule.name)

    # -- values ----------------------------------------------------------------
    def unique(self, where: str, key: str, what: str, values: list[str]) -> None:
        seen: set[str] = set()
        for i, value in enumerate(values):
            if value in seen:
                raise self.fail(f"{where}[{i}].{key}", f"duplicate {what} {value!r}")
            seen.add(value)

    def defined_roles(self, where: str, roles: frozenset[str], known: set[str]) -> None:
        undefined = sorted(roles - known)
        if undefined:
            raise self.fail(
                where,
                f"undefined role {undefined[0]!r}: declare it under [access.roles] or give it to a principal",
            )

    def strings(self, where: str, value: Any, *, empty: bool = False) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "must be a list of strings")
        if not value and not empty:
            raise self.fail(where, 'must not be empty (["*"] means any)')
        return value

    def ids(self, where: str, value: Any, *, empty: bool = False, wildcard: bool = False) -> frozenset[str]:
        for item in self.strings(where, value, empty=empty):
            if not (wildcard and item == ANY):
                self.id(where, item)
        return frozenset(value)

    def id(self, where: str, value: Any) -> str:
        if not isinstance(value, str) or not ID.fullmatch(value):
            shown = repr(value) if isinstance(value, str) and len(value) <= 128 else "the value"
            raise self.fail(where, f"{shown} is not an id ({_ID_HINT})")
        return value

    def optional_id(self, where: str, value: Any) -> str | None:
        return None if value is None else self.id(where, value)


def _holders(roles: frozenset[str], principals: Mapping[str, Principal]) -> list[Principal]:
    return [p for p in principals.values() if ANY in roles or not roles.isdisjoint(p.roles)]
