"""The privacy-budget ledger on SQLite and PostgreSQL: charges before results, refusals that record
nothing, tight composition near the end of a budget, decisions and audit entries for every call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

pytest.importorskip("dp_accounting")

from tests.conftest import fixture_policy
from veil._clock import FixedClock
from veil.access import Policy
from veil.audit import AuditLog
from veil.dp import Ledger, PureDp, SubsampledGaussian, Zcdp
from veil.errors import AccessDenied, BudgetExhausted, InvalidInput, NotFound
from veil.storage import Database
from veil.storage.tables import dp_budgets, dp_releases

DELTA = 1e-5
NARROW: dict[str, Any] = {
    "access": {
        "principals": [
            {"id": "analyst", "kind": "person", "roles": ["analytics"]},
            {"id": "intern", "kind": "person", "roles": ["guest"]},
        ],
        "grants": [
            {"name": "analysts-release-visits", "roles": ["analytics"], "actions": ["export", "read"],
             "collections": ["visits"], "purposes": ["reporting"]},
        ],
    }
}  # fmt: skip


@pytest.fixture
def audit(databases: tuple[Database, Database], clock: FixedClock) -> Iterator[AuditLog]:
    log = AuditLog(databases[0], clock=clock)
    yield log
    log.close()


@pytest.fixture
def ledger(databases: tuple[Database, Database], audit: AuditLog, clock: FixedClock) -> Ledger:
    made = Ledger(databases[0], audit, fixture_policy(), clock=clock)
    made.create("visits", epsilon=1.0, delta=DELTA, owner="analytics", actor="tester", max_contributions=3)
    return made


def _rows(ledger: Ledger, table: sa.Table) -> list[Any]:
    with ledger.db.read() as conn:
        return list(conn.execute(sa.select(table)).all())


def test_a_charge_records_the_release_and_leaves_what_remains(ledger: Ledger) -> None:
    charge = ledger.charge("visits", [PureDp(0.25)], actor="tester", purpose="training", kind="count",
                           details={"column": "age"})  # fmt: skip
    assert charge.epsilon_spent == pytest.approx(0.25)
    assert charge.epsilon_remaining == pytest.approx(0.75)
    report = ledger.report("visits", actor="tester")
    assert [r.release_id for r in report.releases] == [charge.release_id]
    assert report.releases[0].details == {"column": "age"}
    assert report.releases[0].mechanisms == (PureDp(0.25),)
    assert ledger.get("visits").max_contributions == 3


def test_an_exhausted_budget_refuses_and_records_nothing(ledger: Ledger) -> None:
    ledger.charge("visits", [PureDp(0.75)], actor="tester", purpose="training", kind="sum")
    before = (_rows(ledger, dp_budgets), _rows(ledger, dp_releases))
    with pytest.raises(BudgetExhausted, match=r"epsilon 0\.25 of 1 left") as refused:
        ledger.charge("visits", [PureDp(0.5)], actor="tester", purpose="training", kind="sum")
    assert refused.value.http_status == 409
    assert (_rows(ledger, dp_budgets), _rows(ledger, dp_releases)) == before
    # the refusal is on the record, naming why
    last = ledger.audit.entries(action="dp.release", limit=10)[-1]
    assert (last.decision, last.rule) == ("deny", "budget_exhausted")


def test_the_tight_bound_admits_what_summing_would_refuse(databases: tuple[Database, Database],
                                                          audit: AuditLog) -> None:  # fmt: skip
    ledger = Ledger(databases[0], audit, fixture_policy())
    ledger.create("clicks", epsilon=5.0, delta=DELTA, owner="analytics", actor="tester")
    for _ in range(100):  # 100 x 0.1 sums to 10, twice the budget; PLD composes it to about 4.3
        ledger.charge("clicks", [PureDp(0.1)], actor="tester", purpose="training", kind="count")
    report = ledger.report("clicks", actor="tester")
    assert report.naive_epsilon == pytest.approx(10.0)
    assert report.spent_pld is not None
    assert report.spent == pytest.approx(report.spent_pld)
    assert report.spent <= 5.0 < report.naive_epsilon
    assert report.spent_rdp >= report.spent_pld


def test_a_training_run_is_charged_at_its_tight_figure(ledger: Ledger, databases: tuple[Database, Database],
                                                       audit: AuditLog) -> None:  # fmt: skip
    ledger.create("images", epsilon=3.0, delta=DELTA, owner="ml", actor="tester")
    run = SubsampledGaussian(1.1, 256 / 60000, 60 * 60000 // 256)
    charge = ledger.charge("images", [run], actor="tester", purpose="training", kind="training")
    assert charge.epsilon_spent == pytest.approx(2.5966, abs=1e-3)  # RDP, the bound a charge computes
    report = ledger.report("images", actor="tester")
    assert report.spent == pytest.approx(2.3817, abs=1e-3)  # PLD, as dp-accounting computes it
    assert report.naive_epsilon > 1000


def test_zcdp_and_pure_releases_share_one_budget(ledger: Ledger) -> None:
    ledger.charge("visits", [Zcdp(0.001), PureDp(0.1)], actor="tester", purpose="training", kind="mean")
    report = ledger.report("visits", actor="tester")
    assert report.spent_pld is None  # a zCDP release has no PLD: RDP decides
    assert 0.1 < report.spent <= 1.0


def test_a_denied_actor_spends_nothing_and_the_denial_is_audited(databases: tuple[Database, Database],
                                                                 audit: AuditLog, ledger: Ledger) -> None:  # fmt: skip
    narrow = Ledger(databases[0], audit, Policy.from_mapping(NARROW, source="test"))
    with pytest.raises(AccessDenied, match=r"^access denied$"):
        narrow.charge("visits", [PureDp(0.1)], actor="intern", purpose="reporting", kind="count")
    with pytest.raises(AccessDenied):
        narrow.charge("visits", [PureDp(0.1)], actor="analyst", purpose="marketing", kind="count")
    with pytest.raises(AccessDenied):
        narrow.create("other", epsilon=1, delta=0, owner="x", actor="analyst")
    assert _rows(ledger, dp_releases) == []
    denials = audit.entries(decision="deny", limit=10)
    assert [e.action for e in denials] == ["dp.release", "dp.release", "dp.budget.create"]
    granted = narrow.charge("visits", [PureDp(0.1)], actor="analyst", purpose="reporting", kind="count")
    entry = audit.entries(action="dp.release", decision="allow", limit=10)[-1]
    assert (entry.actor, entry.rule, entry.resource) == (
        "analyst",
        "analysts-release-visits",
        "dataset:visits",
    )
    assert entry.counts == {"releases": 1, "micro_epsilon": round(granted.epsilon_spent * 1e6)}


def test_an_existing_budget_is_never_replaced(ledger: Ledger) -> None:
    ledger.charge("visits", [PureDp(0.5)], actor="tester", purpose="training", kind="count")
    with pytest.raises(InvalidInput, match="already has a privacy budget"):
        ledger.create("visits", epsilon=10, delta=DELTA, owner="analytics", actor="tester")
    assert ledger.report("visits", actor="tester").spent == pytest.approx(0.5, abs=1e-3)


def test_unknown_datasets_are_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound, match="'nope' has no privacy budget"):
        ledger.charge("nope", [PureDp(0.1)], actor="tester", purpose="training", kind="count")
    with pytest.raises(NotFound):
        ledger.get("nope")
    with pytest.raises(NotFound):
        ledger.report("nope", actor="tester")


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"epsilon": -1.0, "delta": DELTA}, "epsilon"),
        ({"epsilon": 0.0, "delta": DELTA}, "epsilon"),
        ({"epsilon": float("nan"), "delta": DELTA}, "epsilon"),
        ({"epsilon": 1.0, "delta": -1e-5}, "delta"),
        ({"epsilon": 1.0, "delta": 1.0}, "delta"),
        ({"epsilon": 1.0, "delta": DELTA, "max_contributions": 0}, "max_contributions"),
        ({"epsilon": 1.0, "delta": DELTA, "owner": ""}, "owner"),
    ],
)
def test_meaningless_budgets_are_refused(ledger: Ledger, terms: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        ledger.create("fresh", **{"owner": "analytics", **terms}, actor="tester")


def test_bad_releases_are_refused_before_anything_is_spent(ledger: Ledger) -> None:
    for call, field in (
        (lambda: ledger.charge("visits", [], actor="tester", purpose="training", kind="count"), "mechanism"),
        (lambda: ledger.charge("visits", [PureDp(0.1)], actor="tester", purpose="training", kind="Count!"), "kind"),
        (lambda: ledger.charge("visits", [PureDp(0.1)], actor="tester", purpose="training", kind="count",
                               details={"email": ["a"]}), "detail"),
        (lambda: ledger.charge("a b", [PureDp(0.1)], actor="tester", purpose="training", kind="count"), "dataset"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput, match=field):
            call()
    assert _rows(ledger, dp_releases) == []


def test_a_vault_ledger_shares_the_vault_database_and_audit_log(vault: Any) -> None:
    ledger = Ledger.for_vault(vault)
    ledger.create("customers", epsilon=1, delta=DELTA, owner="dpo", actor="tester")
    ledger.charge("customers", [PureDp(0.2)], actor="tester", purpose="training", kind="count")
    assert [e.action for e in vault.audit.entries(limit=10)][-2:] == ["dp.budget.create", "dp.release"]
