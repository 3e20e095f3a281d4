"""The privacy-budget ledger: one budget per dataset, charged atomically before any result is returned.

A charge locks the dataset's budget row (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite's write lock,
taken by ``BEGIN IMMEDIATE``), composes the new mechanisms onto the stored composition, refuses with
``BudgetExhausted`` when the bound would pass the total, and otherwise writes the release, the new
composition and the release's audit entry in that one transaction: two workers spending at once
can never pass the budget, and no release exists without its entry.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock, SystemClock
from veil.access import Policy
from veil.audit import AuditEntry, AuditLog
from veil.dp import _accountant
from veil.dp._accountant import Composition
from veil.dp._mechanisms import Mechanism, mechanism_from
from veil.errors import BudgetExhausted, InvalidInput, NotFound
from veil.storage import Database
from veil.storage.tables import dp_budgets, dp_releases
from veil.vault import Actor, Vault
from veil.vault._guard import Allowed, Guard

_DATASET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
Details = Mapping[str, str | int | float]


@dataclass(frozen=True, slots=True)
class Budget:
    """A dataset's total (epsilon, delta) and its privacy unit: a subject, with at most
    ``max_contributions`` rows counted per release."""

    dataset: str
    epsilon: float
    delta: float
    max_contributions: int
    owner: str
    unit: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Charge:
    """What a release spent: the dataset's cumulative epsilon after it, and what is left."""

    release_id: str
    dataset: str
    epsilon_spent: float
    epsilon_remaining: float
    delta: float


@dataclass(frozen=True, slots=True)
class Release:
    release_id: str
    seq: int
    at: datetime
    actor: str
    purpose: str
    kind: str
    mechanisms: tuple[Mechanism, ...]
    details: Mapping[str, Any]
    spent_after: float


@dataclass(frozen=True, slots=True)
class BudgetReport:
    """Total, spent (the tight figure, and basic composition's for comparison) and every release."""

    budget: Budget
    spent: float
    spent_rdp: float
    spent_pld: float | None
    naive_epsilon: float
    naive_delta: float
    releases: tuple[Release, ...]

    @property
    def remaining(self) -> float:
        return max(0.0, self.budget.epsilon - self.spent)


class Ledger:
    """Privacy budgets in the vault's database, decided by ``access`` and recorded in ``audit``.

    Creating a budget is ``admin``, spending from it is ``export`` (a release publishes an aggregate),
    reading it is ``read``, each on the dataset's name as the collection and for a named purpose.
    """

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        policy: Policy,
        *,
        clock: Clock | None = None,
        region: str = "local",
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock or SystemClock()
        self.guard = Guard(policy, audit, self.clock, region=region)

    @classmethod
    def for_vault(cls, vault: Vault) -> Ledger:
        """A ledger on ``vault``'s database, audit log, policy and clock (its budgets beside its data)."""
        return cls(vault.data, vault.audit, vault.policy, clock=vault.clock, region=vault.location)

    # -- budgets --------------------------------------------------------------------------

    def create(
        self,
        dataset: str,
        *,
        epsilon: float,
        delta: float,
        owner: str,
        actor: Actor,
        max_contributions: int = 1,
        purpose: str | None = None,
    ) -> Budget:
        """A new budget for ``dataset``; an existing one is never replaced (that would refill it)."""
        name = _dataset(dataset)
        budget = _new_budget(name, epsilon, delta, owner, max_contributions, self.clock.now())
        with (
            self._check(actor, "dp.budget.create", "admin", name, purpose) as allowed,
            self.db.write() as conn,
        ):
            if _budget_row(conn, name, lock=False) is not None:
                raise InvalidInput(f"dataset {name!r} already has a privacy budget")
            conn.execute(sa.insert(dp_budgets), [_budget_values(budget)])
            self.audit.append(self._entry("dp.budget.create", allowed, name, purpose), conn=conn)
        return budget

    def get(self, dataset: str) -> Budget:
        """The budget of ``dataset`` (its terms are not personal data: no decision needed)."""
        name = _dataset(dataset)
        with self.db.read() as conn:
            row = _budget_row(conn, name, lock=False)
        if row is None:
            raise NotFound(f"dataset {name!r} has no privacy budget")
        return _budget(row)

    def report(self, dataset: str, *, actor: Actor, purpose: str | None = None) -> BudgetReport:
        """Total, spent and history; the PLD figure is computed here, from the grouped releases."""
        name = _dataset(dataset)
        with self._check(actor, "dp.budget.read", "read", name, purpose) as allowed:
            with self.db.read() as conn:
                row = _budget_row(conn, name, lock=False)
                if row is None:
                    raise NotFound(f"dataset {name!r} has no privacy budget")
                history = tuple(_release(r) for r in conn.execute(_history(name)))
            self.audit.append(self._entry("dp.budget.read", allowed, name, purpose, releases=len(history)))
        budget = _budget(row)
        pld = _accountant.pld_epsilon((m for r in history for m in r.mechanisms), budget.delta)
        rdp = _accountant.rdp_epsilon(json.loads(row.rdp), budget.delta)
        spent = min(row.spent, pld) if pld is not None else row.spent
        return BudgetReport(budget, spent, rdp, pld, row.naive_epsilon, row.naive_delta, history)

    # -- releases -------------------------------------------------------------------------

    def charge(
        self,
        dataset: str,
        mechanisms: Sequence[Mechanism],
        *,
        actor: Actor,
        purpose: str,
        kind: str,
        details: Details | None = None,
    ) -> Charge:
        """Spend ``mechanisms`` from ``dataset``'s budget, or raise ``BudgetExhausted`` and spend nothing."""
        name = _dataset(dataset)
        if not mechanisms:
            raise InvalidInput("a release charges at least one mechanism")
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise InvalidInput("release kind must be a lower-case identifier of up to 32 characters")
        meta = _details(details)
        with self._check(actor, "dp.release", "export", name, purpose) as allowed, self.db.write() as conn:
            return self._charge(conn, name, tuple(mechanisms), allowed, purpose, kind, meta)

    def _charge(
        self,
        conn: Connection,
        name: str,
        mechanisms: tuple[Mechanism, ...],
        allowed: Allowed,
        purpose: str,
        kind: str,
        details: str,
    ) -> Charge:
        row = _budget_row(conn, name, lock=True)
        if row is None:
            raise NotFound(f"dataset {name!r} has no privacy budget")
        delta = row.delta
        stored = np.asarray(json.loads(row.rdp), dtype=float)
        composition = Composition(stored, row.naive_epsilon, row.naive_delta)
        after = composition.plus(mechanisms, delta)
        spent = after.fast_bound(delta)
        added = [_accountant.naive_of(m, delta) for m in mechanisms]
        if all(d == 0 for _, d in added):  # pure releases compose onto the bound already reached
            spent = min(spent, row.spent + sum(e for e, _ in added))
        if spent > row.epsilon:
            # near the end of a budget the tighter (and slower) PLD bound may still admit the release
            earlier = (m for r in conn.execute(_history(name)) for m in _release(r).mechanisms)
            pld = _accountant.pld_epsilon([*earlier, *mechanisms], delta)
            if pld is None or pld > row.epsilon:
                raise BudgetExhausted(
                    f"dataset {name!r} has epsilon {max(0.0, row.epsilon - row.spent):.6g} of "
                    f"{row.epsilon:.6g} left; this release would bring it to {min(spent, pld or spent):.6g}"
                )
            spent = pld
        release_id = uuid.uuid4().hex
        seq = row.releases + 1
        conn.execute(
            sa.insert(dp_releases),
            [
                {
                    "release_id": release_id, "dataset": name, "seq": seq, "at": self.clock.now(),
                    "actor": allowed.actor, "purpose": purpose, "kind": kind, "details": details,
                    "mechanisms": json.dumps([{"kind": m.kind, "params": m.params()} for m in mechanisms]),
                    "spent_after": spent,
                }
            ],
        )  # fmt: skip
        conn.execute(
            sa.update(dp_budgets)
            .where(dp_budgets.c.dataset == name)
            .values(releases=seq, spent=spent, rdp=json.dumps(after.rdp.tolist()),
                    naive_epsilon=after.naive_epsilon, naive_delta=after.naive_delta)
        )  # fmt: skip
        entry = self._entry("dp.release", allowed, name, purpose, releases=seq, micro_epsilon=_micro(spent))
        self.audit.append(entry, conn=conn)
        return Charge(release_id, name, spent, max(0.0, row.epsilon - spent), delta)

    # -- shared ---------------------------------------------------------------------------

    def _check(self, actor: Actor, operation: str, action: str, name: str, purpose: str | None) -> Any:
        return self.guard.check(
            actor, operation, action, resource=f"dataset:{name}", collection=name, purpose=purpose
        )

    @staticmethod
    def _entry(action: str, allowed: Allowed, name: str, purpose: str | None, **counts: int) -> AuditEntry:
        return AuditEntry(
            action, allowed.actor, f"dataset:{name}", purpose=purpose, rule=allowed.rule, counts=counts
        )


def _dataset(value: object) -> str:
    if not isinstance(value, str) or not _DATASET.fullmatch(value):
        raise InvalidInput("dataset name must be 1-64 characters of letters, digits and . _ -")
    return value


def _new_budget(
    name: str, epsilon: float, delta: float, owner: str, max_contributions: int, now: datetime
) -> Budget:
    for field, value in (("epsilon", epsilon), ("delta", delta)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < float("inf"):
            raise InvalidInput(f"budget {field} must be a finite number, not negative")
    if epsilon <= 0:
        raise InvalidInput("budget epsilon must be positive")
    if not delta < 1:
        raise InvalidInput("budget delta must be below 1")
    if isinstance(max_contributions, bool) or not isinstance(max_contributions, int) or max_contributions < 1:
        raise InvalidInput("max_contributions must be a positive integer")
    if not isinstance(owner, str) or not 1 <= len(owner) <= 128 or not owner.isprintable():
        raise InvalidInput("budget owner must be 1 to 128 printable characters")
    return Budget(name, float(epsilon), float(delta), max_contributions, owner, "subject", now)


def _budget_values(budget: Budget) -> dict[str, Any]:
    return {
        "dataset": budget.dataset, "epsilon": budget.epsilon, "delta": budget.delta, "unit": budget.unit,
        "max_contributions": budget.max_contributions, "owner": budget.owner, "created_at": budget.created_at,
        "releases": 0, "spent": 0.0, "rdp": json.dumps(Composition.empty().rdp.tolist()),
        "naive_epsilon": 0.0, "naive_delta": 0.0,
    }  # fmt: skip


def _budget_row(conn: Connection, name: str, *, lock: bool) -> Any:
    query = sa.select(dp_budgets).where(dp_budgets.c.dataset == name)
    if lock and conn.dialect.name != "sqlite":  # SQLite's writer already holds the database's write lock
        query = query.with_for_update()
    return conn.execute(query).first()


def _budget(row: Any) -> Budget:
    return Budget(
        row.dataset, row.epsilon, row.delta, row.max_contributions, row.owner, row.unit, row.created_at
    )


def _history(name: str) -> sa.Select[Any]:
    return sa.select(dp_releases).where(dp_releases.c.dataset == name).order_by(dp_releases.c.seq)


def _release(row: Any) -> Release:
    mechanisms = tuple(mechanism_from(m["kind"], m["params"]) for m in json.loads(row.mechanisms))
    return Release(
        row.release_id, row.seq, row.at, row.actor, row.purpose, row.kind, mechanisms,
        json.loads(row.details), row.spent_after,
    )  # fmt: skip


def _details(details: Details | None) -> str:
    """Release metadata as JSON; short names and plain scalars only, so that no values ride along."""
    clean: dict[str, str | int | float] = {}
    for key, value in (details or {}).items():
        if not isinstance(key, str) or not _KIND.fullmatch(key):
            raise InvalidInput("release detail names must be lower-case identifiers")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise InvalidInput(f"release detail {key!r} must be a string or a number")
        if isinstance(value, str) and len(value) > 128:
            raise InvalidInput(f"release detail {key!r} is longer than 128 characters")
        clean[key] = value
    return json.dumps(clean, sort_keys=True)


def _micro(epsilon: float) -> int:
    return round(epsilon * 1_000_000)
