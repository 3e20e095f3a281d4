"""The compiled evaluator: deny by default, explicit deny wins.

Semantics (what ``Policy.decide`` answers; ``tests/unit/access`` and the Cedar oracle
check every line):

- Unknown principal: deny, rule "unknown-principal".
- A rule matches a request when it applies to the principal (the principal's id is in
  its principals, or one of the principal's roles is in its roles, or its roles has
  "*"), the action is in its actions, the request collection is in its collections (a
  request collection None matches only "*"), the purpose is in its purposes (purpose
  None matches only "*"), its environment is None or equals the request's (a request
  without an environment is in the policy's environment), its region is None or equals
  the request's (case-insensitive), and it has not expired (expires > at; expired rules,
  grants and denies alike, are ignored: an elevation stops working at expiry without
  anyone removing it).
- Category matching: a rule category "user.contact" covers "user.contact" and
  "user.contact.email" (dot boundary), "*" covers all.
- Explicit deny wins: a matching deny whose categories are "*" or intersect the
  request's categories (with the covering rule above) denies, whatever grants say. A
  deny with specific categories does not match a request with no categories.
- Otherwise allow iff every request category is covered by at least one matching grant
  (different grants may cover different categories); a request with no categories needs
  one matching grant whose categories are "*" (as for denies, specific categories match
  only requests that carry them). Else deny "default-deny".

Which rule is named: the first matching deny in declaration order; for an allow, for
each category in sorted order the first matching grant that covers it, distinct names
joined with "+" (at most 128 characters); for "default-deny" the first uncovered
category.

How: at construction every principal gets a table (shared by principals with the same
relevant roles) ``action -> collection -> purpose -> (denies, grants, conditional)``,
with "*" rules copied into every named bucket and kept alone under ``""`` for values no
rule names; equal rule lists share one bucket. A decision is four dictionary look-ups
and a scan of the few rules left: environment, region and expiry only where a rule in
the bucket has one (``conditional``), then categories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from veil.access._model import (
    ACTIONS,
    ANY,
    DEFAULT_DENY,
    MAX_RULE_CHARS,
    UNKNOWN_PRINCIPAL,
    AccessRequest,
    Decision,
    Principal,
    Rule,
)

_T = TypeVar("_T")
OTHER = ""  # the bucket for a value no rule names (and for None): holds only "*" rules


class _Compiled:
    """What the hot loop reads of one rule."""

    __slots__ = ("any_category", "categories", "conditional", "environment", "expires", "name", "region")

    def __init__(self, rule: Rule) -> None:
        self.name = rule.name
        self.any_category = ANY in rule.categories
        self.categories = rule.categories
        self.environment = rule.environment
        self.region = rule.region.lower() if rule.region is not None else None
        self.expires = rule.expires
        self.conditional = not (rule.environment is None and rule.region is None and rule.expires is None)

    def live(self, environment: str | None, region: str | None, at: datetime) -> bool:
        return (
            (self.environment is None or self.environment == environment)
            and (self.region is None or self.region == region)
            and (self.expires is None or at < self.expires)
        )


Cell = tuple[tuple[_Compiled, ...], tuple[_Compiled, ...], bool]  # denies, grants (in order), conditional
Table = dict[str, dict[str | None, dict[str | None, Cell]]]  # action -> collection -> purpose -> cell


def _decision_maker() -> Callable[[bool, str, AccessRequest, str | None], Decision]:
    """``Decision(...)`` at a third of the cost: a frozen dataclass's ``__init__`` is slow."""
    new = object.__new__
    allowed_, rule_, request_, category_ = (Decision.__dict__[f].__set__ for f in Decision.__slots__)

    def make(allowed: bool, rule: str, request: AccessRequest, category: str | None) -> Decision:
        decision = new(Decision)
        allowed_(decision, allowed)
        rule_(decision, rule)
        request_(decision, request)
        category_(decision, category)
        return decision

    return make


_decision = _decision_maker()


_chains: dict[str, frozenset[str]] = {}


def _chain(category: str) -> frozenset[str]:
    """The category and its dotted prefixes (the rule categories that cover it), cached."""
    if len(_chains) >= 4096:  # bounded: categories come from callers
        _chains.clear()
    parts = category.split(".")
    chain = _chains[category] = frozenset(".".join(parts[: n + 1]) for n in range(len(parts)))
    return chain


class Evaluator:
    """Decides requests against rules compiled once for every principal."""

    __slots__ = ("_environment", "_tables")

    def __init__(
        self, principals: Mapping[str, Principal], rules: Sequence[Rule], environment: str | None
    ) -> None:
        self._environment = environment
        self._tables = _compile(principals, rules)

    def decide(self, request: AccessRequest) -> Decision:
        """Allow or deny, naming the rule that decided (the semantics above)."""
        table = self._tables.get(request.principal)
        if table is None:
            return _decision(False, UNKNOWN_PRINCIPAL, request, None)
        by_collection = table.get(request.action)
        if by_collection is None:
            return _grant(request, sorted(request.categories), ())
        by_purpose = by_collection.get(request.collection) or by_collection[OTHER]
        denies: Sequence[_Compiled]
        grants: Sequence[_Compiled]
        denies, grants, conditional = by_purpose.get(request.purpose) or by_purpose[OTHER]
        if conditional:
            denies, grants = self._live(request, denies, grants)
        categories = request.categories
        order: Collection[str] = categories if len(categories) < 2 else sorted(categories)
        if denies:
            denied = _deny(request, order, denies)
            if denied is not None:
                return denied
        return _grant(request, order, grants)

    def _live(
        self, request: AccessRequest, denies: Sequence[_Compiled], grants: Sequence[_Compiled]
    ) -> tuple[Sequence[_Compiled], Sequence[_Compiled]]:
        """The rules whose environment, region and expiry fit the request."""
        environment = self._environment if request.environment is None else request.environment
        region = request.region
        if region is not None:
            region = region.lower()
        at = request.at
        if denies:
            denies = [r for r in denies if not r.conditional or r.live(environment, region, at)]
        return denies, [r for r in grants if not r.conditional or r.live(environment, region, at)]


def _deny(request: AccessRequest, order: Collection[str], denies: Sequence[_Compiled]) -> Decision | None:
    for rule in denies:
        if rule.any_category:
            return _decision(False, rule.name, request, min(order) if order else None)
        for category in order:
            if not rule.categories.isdisjoint(_chains.get(category) or _chain(category)):
                return _decision(False, rule.name, request, category)
    return None


def _grant(request: AccessRequest, order: Collection[str], grants: Sequence[_Compiled]) -> Decision:
    if not order:
        for rule in grants:
            if rule.any_category:
                return _decision(True, rule.name, request, None)
        return _decision(False, DEFAULT_DENY, request, None)
    if len(order) == 1:  # the common case, without the bookkeeping of names
        for category in order:
            chain = _chains.get(category) or _chain(category)
            for rule in grants:
                if rule.any_category or not rule.categories.isdisjoint(chain):
                    return _decision(True, rule.name, request, None)
            return _decision(False, DEFAULT_DENY, request, category)
    names: list[str] = []
    for category in order:
        chain = _chains.get(category) or _chain(category)
        for rule in grants:
            if rule.any_category or not rule.categories.isdisjoint(chain):
                if rule.name not in names:
                    names.append(rule.name)
                break
        else:
            return _decision(False, DEFAULT_DENY, request, category)
    return _decision(True, names[0] if len(names) == 1 else "+".join(names)[:MAX_RULE_CHARS], request, None)


def _compile(principals: Mapping[str, Principal], rules: Sequence[Rule]) -> dict[str, Table]:
    """One table per principal; principals with the same relevant roles share it."""
    by_role: defaultdict[str, list[int]] = defaultdict(list)
    by_principal: defaultdict[str, list[int]] = defaultdict(list)
    everyone: list[int] = []
    for i, rule in enumerate(rules):
        if ANY in rule.roles:
            everyone.append(i)
            continue
        for role in rule.roles:
            by_role[role].append(i)
        for principal_id in rule.principals:
            by_principal[principal_id].append(i)
    compiler = _Compiler(rules)
    shared: dict[tuple[frozenset[str], str | None], Table] = {}
    tables: dict[str, Table] = {}
    for principal in principals.values():
        key = (principal.roles.intersection(by_role), principal.id if principal.id in by_principal else None)
        if key not in shared:
            found = set(everyone).union(*(by_role[r] for r in key[0]), by_principal.get(principal.id, ()))
            shared[key] = compiler.table(sorted(found))
        tables[principal.id] = shared[key]
    return tables


_Ids = tuple[int, ...]  # rule positions, ascending: declaration order


class _Compiler:
    """Builds the nested buckets; equal rule lists share one bucket (the tables are read-only)."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.compiled = [_Compiled(rule) for rule in rules]
        self.collections: dict[_Ids, dict[str | None, dict[str | None, Cell]]] = {}
        self.purposes: dict[_Ids, dict[str | None, Cell]] = {}
        self.cells: dict[_Ids, Cell] = {}

    def table(self, found: list[int]) -> Table:
        table: Table = {}
        for action in ACTIONS:
            ids = tuple(i for i in found if _has(self.rules[i].actions, action))
            if ids:
                table[action] = self.by_collection(ids)
        return table

    def by_collection(self, ids: _Ids) -> dict[str | None, dict[str | None, Cell]]:
        if ids not in self.collections:
            self.collections[ids] = self.split(ids, _collections, self.by_purpose)
        return self.collections[ids]

    def by_purpose(self, ids: _Ids) -> dict[str | None, Cell]:
        if ids not in self.purposes:
            self.purposes[ids] = self.split(ids, _purposes, self.cell)
        return self.purposes[ids]

    def cell(self, ids: _Ids) -> Cell:
        if ids not in self.cells:
            denies = tuple(self.compiled[i] for i in ids if self.rules[i].effect == "deny")
            grants = tuple(self.compiled[i] for i in ids if self.rules[i].effect == "grant")
            self.cells[ids] = (denies, grants, any(c.conditional for c in denies + grants))
        return self.cells[ids]

    def split(
        self, ids: _Ids, keys: Callable[[Rule], frozenset[str]], inner: Callable[[_Ids], _T]
    ) -> dict[str | None, _T]:
        """``key -> inner(rules naming key or "*")`` and ``OTHER -> inner("*" rules)``."""
        named: defaultdict[str, list[int]] = defaultdict(list)
        wild: list[int] = []
        for i in ids:
            values = keys(self.rules[i])
            if ANY in values:
                wild.append(i)
            else:
                for key in values:
                    named[key].append(i)
        level: dict[str | None, _T] = {k: inner(tuple(sorted(found + wild))) for k, found in named.items()}
        level[OTHER] = inner(tuple(wild))
        return level


def _has(values: frozenset[str], key: str) -> bool:
    return ANY in values or key in values


def _collections(rule: Rule) -> frozenset[str]:
    return rule.collections


def _purposes(rule: Rule) -> frozenset[str]:
    return rule.purposes
