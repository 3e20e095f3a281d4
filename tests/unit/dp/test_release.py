"""Releases: the noise has the stated scale and the intervals their stated coverage (many draws, wide
enough tolerances never to flake), grouped releases spend one epsilon, each subject's rows are
bounded, the charge comes before any noise, and bad input is refused before anything is spent."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

pytest.importorskip("opendp")
pytest.importorskip("dp_accounting")

from tests.conftest import Canary, fixture_policy
from veil._clock import FixedClock
from veil.access import Policy
from veil.audit import AuditLog
from veil.dp import Ledger, PureDp
from veil.dp import _release as release_module
from veil.dp._mechanisms import Mechanism
from veil.dp._noise import Noise
from veil.dp._queries import Count, Histogram, Mean, Quantiles, Query, Sum, Variance
from veil.dp._release import DpResult, release
from veil.dp._tables import Table
from veil.errors import AccessDenied, BudgetExhausted, InvalidInput, NotFound
from veil.storage import Database

#: Statistical checks allow this many standard errors: a false alarm is about a one-in-a-billion event.
SIGMAS = 6


@dataclass(frozen=True)
class _Budget:
    max_contributions: int


@dataclass(frozen=True)
class _Charge:
    release_id: str
    epsilon_remaining: float


@dataclass
class FakeLedger:
    """A charger that records what each release spends (no database: thousands of releases stay fast)."""

    max_contributions: int = 1
    refuse: Exception | None = None
    charges: list[tuple[tuple[Mechanism, ...], str, Mapping[str, Any]]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)

    def get(self, dataset: str) -> _Budget:
        return _Budget(self.max_contributions)

    def charge(self, dataset: str, mechanisms: Sequence[Mechanism], *, actor: Any, purpose: str, kind: str,
               details: Mapping[str, Any] | None = None) -> _Charge:  # fmt: skip
        self.events.append("charge")
        if self.refuse is not None:
            raise self.refuse
        self.charges.append((tuple(mechanisms), kind, dict(details or {})))
        return _Charge(f"r{len(self.charges)}", 1.0)

    def spent(self) -> list[float]:
        return [m.epsilon for m in self.charges[-1][0] if isinstance(m, PureDp)]


def _run(ledger: Any, table: Table, query: Query, epsilon: float = 1.0, **options: Any) -> DpResult:
    return release(
        ledger, "visits", table, query, epsilon=epsilon, actor="tester", purpose="training", **options
    )


def _laplace_variance(scale: float) -> float:
    """The variance of OpenDP's integer Laplace at ``scale``: 2p / (1 - p)**2 with p = exp(-1/scale)."""
    p = math.exp(-1 / scale)
    return 2 * p / math.expm1(-1 / scale) ** 2


def _coverage(scale: float, margin: float) -> float:
    """P[|noise| <= margin] for that integer Laplace."""
    return 1 - 2 * math.exp(-(math.floor(margin) + 1) / scale) / (1 + math.exp(-1 / scale))


def _grouped(sizes: Sequence[int], values: Any = None) -> Table:
    """One subject per row; group ``g`` has ``sizes[g]`` rows."""
    groups = np.repeat(np.arange(len(sizes)), sizes)
    extra = {} if values is None else {"x": values}
    return Table.from_arrays(np.arange(len(groups)), g=groups, **extra)


def _assert_variance(errors: np.ndarray, expected: float) -> None:
    # the sample variance of Laplace-like noise (kurtosis 6) has standard error sigma**2 * sqrt(5 / n)
    tolerance = SIGMAS * expected * math.sqrt(5 / len(errors))
    assert abs(float(np.mean(errors**2)) - expected) < tolerance
    assert abs(float(np.mean(errors))) < SIGMAS * math.sqrt(expected / len(errors))


def _assert_rate(hits: int, draws: int, rate: float) -> None:
    assert abs(hits / draws - rate) < SIGMAS * math.sqrt(rate * (1 - rate) / draws) + 1 / draws


# -- the noise has the stated scale ------------------------------------------------------


def test_count_noise_has_the_variance_of_its_scale_and_intervals_their_coverage() -> None:
    sizes = list(range(1, 51))
    table, ledger, groups = _grouped(sizes), FakeLedger(), list(range(50))
    query = Count(group_by="g", groups=groups)
    results = [_run(ledger, table, query, epsilon=0.5, confidence=0.9) for _ in range(400)]
    errors = np.array([r.estimates[(g,)].value - sizes[g] for r in results for g in groups])
    scale = 1 / 0.5
    _assert_variance(errors, _laplace_variance(scale))
    margin = results[0].estimates[(0,)].high - results[0].estimates[(0,)].value  # type: ignore[operator]
    assert _coverage(scale, margin) >= 0.9
    covered = sum(e.low <= sizes[k[0]] <= e.high for r in results for k, e in r.estimates.items())  # type: ignore[operator, index]
    _assert_rate(covered, len(errors), _coverage(scale, margin))
    assert ledger.spent() == [0.5]  # one epsilon for all 50 groups
    assert len(ledger.charges) == 400


def test_sum_noise_has_the_variance_of_bound_over_epsilon() -> None:
    rng = np.random.default_rng(11)
    values = rng.uniform(-2, 12, 40 * 50)
    table, ledger, groups = _grouped([50] * 40, values), FakeLedger(), list(range(40))
    truth = [float(np.clip(values[g * 50 : (g + 1) * 50], 0, 10).sum()) for g in groups]
    query = Sum("x", 0, 10, group_by="g", groups=groups)
    results = [_run(ledger, table, query, epsilon=2.0, confidence=0.8) for _ in range(300)]
    errors = np.array([r.estimates[(g,)].value - truth[g] for r in results for g in groups])
    _assert_variance(errors, 2 * (10 / 2.0) ** 2)  # a continuous Laplace's, to 1e-20 relative
    covered = sum(
        r.estimates[(g,)].low <= truth[g] <= r.estimates[(g,)].high for r in results for g in groups
    )  # type: ignore[operator]
    _assert_rate(covered, len(errors), 0.8)  # the integer noise is fine enough for the tail to be exact
    assert ledger.spent() == [2.0]


def test_mean_noise_is_what_its_halves_make_it_and_its_interval_covers() -> None:
    rng = np.random.default_rng(12)
    rows = 400
    values = rng.uniform(20, 40, 40 * rows)
    table, ledger, groups = _grouped([rows] * 40, values), FakeLedger(), list(range(40))
    truth = [float(values[g * rows : (g + 1) * rows].mean()) for g in groups]
    query = Mean("x", 0, 50, group_by="g", groups=groups)
    results = [_run(ledger, table, query, epsilon=1.0) for _ in range(200)]
    errors = np.array([r.estimates[(g,)].value - truth[g] for r in results for g in groups])
    # the delta method: (Var(sum about 25) + (mean - 25)**2 * Var(count)) / rows**2, each at epsilon / 2
    var_sum, var_count = 2 * (25 / 0.5) ** 2, 2 * (1 / 0.5) ** 2
    expected = float(np.mean([(var_sum + (t - 25) ** 2 * var_count) / rows**2 for t in truth]))
    _assert_variance(errors, expected)
    covered = sum(
        r.estimates[(g,)].low <= truth[g] <= r.estimates[(g,)].high for r in results for g in groups
    )  # type: ignore[operator]
    assert covered / len(errors) >= 0.95 - SIGMAS * math.sqrt(0.95 * 0.05 / len(errors))  # conservative
    assert ledger.spent() == [0.5, 0.5]


def test_variance_estimates_center_on_the_truth_and_their_interval_covers() -> None:
    rng = np.random.default_rng(13)
    rows = 500
    values = rng.normal(5, 2, 20 * rows)
    table, ledger, groups = _grouped([rows] * 20, values), FakeLedger(), list(range(20))
    truth = [float(np.clip(values[g * rows : (g + 1) * rows], 0, 10).var()) for g in groups]
    query = Variance("x", 0, 10, group_by="g", groups=groups)
    results = [_run(ledger, table, query, epsilon=3.0) for _ in range(60)]
    errors = np.array([r.estimates[(g,)].value - truth[g] for r in results for g in groups])
    assert abs(float(np.mean(errors))) < SIGMAS * float(np.std(errors)) / math.sqrt(len(errors))
    covered = sum(
        r.estimates[(g,)].low <= truth[g] <= r.estimates[(g,)].high for r in results for g in groups
    )  # type: ignore[operator]
    assert covered / len(errors) >= 0.95 - SIGMAS * math.sqrt(0.95 * 0.05 / len(errors))
    assert all(0 <= e.low <= e.value <= e.high <= 25 for r in results for e in r.estimates.values())  # type: ignore[operator]
    assert ledger.spent() == pytest.approx([1.0, 1.0, 1.0])


def test_quantiles_fall_within_their_rank_error_at_the_stated_confidence() -> None:
    values = np.tile(np.arange(200, dtype=float), 10)
    table, ledger, groups = _grouped([200] * 10, values), FakeLedger(), list(range(10))
    query = Quantiles("x", 0, 200, [0.25, 0.5], candidates=201, group_by="g", groups=groups)
    results = [_run(ledger, table, query, epsilon=1.0, confidence=0.9) for _ in range(15)]

    def score(candidate: float, alpha: float) -> float:
        return abs((1 - alpha) * np.sum(values[:200] < candidate) - alpha * np.sum(values[:200] > candidate))

    best = {a: min(score(c, a) for c in range(201)) for a in (0.25, 0.5)}
    within = [score(e.value, k[1]) - best[k[1]] <= e.rank_error  # type: ignore[index, operator]
              for r in results for k, e in r.estimates.items()]  # fmt: skip
    assert len(within) == 15 * 2 * 10
    assert sum(within) / len(within) >= 0.9 - SIGMAS * math.sqrt(0.9 * 0.1 / len(within))
    assert ledger.spent() == [0.5, 0.5]  # one mechanism per alpha, shared by the groups
    assert all(e.low is None and e.high is None for e in results[0].estimates.values())


# -- the exact aggregate under the noise -------------------------------------------------

HUGE = 1e6  # so much epsilon that the noise is below the figures compared


def test_a_subject_with_many_rows_counts_at_most_the_bound() -> None:
    subjects = np.array(["heavy"] * 1000 + [f"s{i}" for i in range(20)])
    table = Table.from_arrays(subjects, x=np.full(len(subjects), 10.0))
    ledger = FakeLedger(max_contributions=2)
    assert _run(ledger, table, Count(), epsilon=HUGE).value == 22
    assert _run(ledger, table, Sum("x", 0, 10), epsilon=HUGE).value == pytest.approx(220, abs=1e-4)
    assert ledger.charges[-1][2]["max_contributions"] == 2


def test_grouped_values_match_numpy_with_rows_outside_the_groups_and_missing_values_left_out() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 15, 3000)
    x[::7] = np.nan
    g = rng.choice(np.array(["EU", "US", "APAC"]), 3000)
    table = Table.from_arrays(np.arange(3000), x=x, g=g)
    ledger = FakeLedger()
    for name in ("EU", "US"):
        chosen = np.clip(x[(g == name) & ~np.isnan(x)], 0, 10)
        assert _run(ledger, table, Count(group_by="g", groups=["EU", "US"]), HUGE).estimates[
            (name,)
        ].value == np.sum(g == name)
        assert _run(ledger, table, Sum("x", 0, 10, group_by="g", groups=["EU", "US"]), HUGE).estimates[
            (name,)
        ].value == pytest.approx(chosen.sum(), abs=1e-3)
        assert _run(ledger, table, Mean("x", 0, 10, group_by="g", groups=["US", "EU"]), HUGE).estimates[
            (name,)
        ].value == pytest.approx(chosen.mean(), abs=1e-6)
        assert _run(ledger, table, Variance("x", 0, 10, group_by="g", groups=["EU", "US"]), HUGE).estimates[
            (name,)
        ].value == pytest.approx(chosen.var(), abs=1e-5)
    cells = _run(
        ledger, table, Histogram("g", ["US", "APAC"], group_by="g", groups=["EU", "US"]), HUGE
    ).estimates
    assert {k: e.value for k, e in cells.items()} == {("EU", "US"): 0, ("EU", "APAC"): 0,
                                                       ("US", "US"): np.sum(g == "US"), ("US", "APAC"): 0}  # fmt: skip


def test_an_empty_group_gets_the_middle_and_the_whole_range() -> None:
    table = Table.from_arrays(np.arange(4), x=np.array([1.0, 2.0, 3.0, 4.0]), g=np.array(["a"] * 4))
    ledger = FakeLedger()
    mean = _run(ledger, table, Mean("x", 0, 10, group_by="g", groups=["a", "b"]), HUGE).estimates[("b",)]
    assert (mean.value, mean.low, mean.high) == (5.0, 0.0, 10.0)
    spread = _run(ledger, table, Variance("x", 0, 10, group_by="g", groups=["a", "b"]), HUGE).estimates[
        ("b",)
    ]
    assert (spread.value, spread.low, spread.high) == (12.5, 0.0, 25.0)
    assert _run(
        ledger, Table.from_arrays([], x=np.array([], dtype=float)), Sum("x", 0, 1), HUGE
    ).value == pytest.approx(0, abs=1e-4)


def test_ungrouped_results_are_read_as_one_value_and_interval() -> None:
    table = Table.from_arrays(np.arange(100), x=np.linspace(0, 1, 100))
    result = _run(FakeLedger(), table, Mean("x", 0, 1), epsilon=HUGE)
    assert result.value == pytest.approx(0.5, abs=1e-6)
    low, high = result.interval
    assert low is not None
    assert high is not None
    assert low <= 0.5 <= high
    assert (result.kind, result.release_id, result.epsilon) == ("mean", "r1", pytest.approx(HUGE))
    with pytest.raises(InvalidInput, match="several estimates"):
        _ = _run(FakeLedger(), table, Histogram("x", [0, 1]), epsilon=1.0).value


def test_a_release_charges_only_what_its_privacy_maps_say_never_more_than_asked() -> None:
    table = Table.from_arrays(np.arange(10), x=np.arange(10.0))
    for query, parts in ((Count(), 1), (Sum("x", 0, 9), 1), (Mean("x", 0, 9), 2), (Variance("x", 0, 9), 3),
                         (Quantiles("x", 0, 9, [0.1, 0.5, 0.9]), 3)):  # fmt: skip
        ledger = FakeLedger()
        result = _run(ledger, table, query, epsilon=0.37)
        assert len(ledger.spent()) == parts
        assert sum(ledger.spent()) <= 0.37
        assert result.epsilon == pytest.approx(0.37, rel=1e-9)


# -- the charge comes first --------------------------------------------------------------


def _recording(monkeypatch: pytest.MonkeyPatch, ledger: FakeLedger) -> None:
    real = release_module.laplace

    def traced(sensitivity: int, epsilon: float) -> Noise:
        made = real(sensitivity, epsilon)
        return Noise(
            lambda data: (ledger.events.append("noise"), made.measurement(data))[1], made.epsilon, made.scale
        )

    monkeypatch.setattr(release_module, "laplace", traced)


def test_the_charge_comes_before_the_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = FakeLedger()
    _recording(monkeypatch, ledger)
    _run(ledger, Table.from_arrays(np.arange(5), x=np.ones(5)), Mean("x", 0, 1))
    assert ledger.events == ["charge", "noise", "noise"]


@pytest.mark.parametrize("refusal", [BudgetExhausted("spent"), AccessDenied("access denied")])
def test_a_refused_charge_draws_no_noise_and_returns_nothing(
    monkeypatch: pytest.MonkeyPatch, refusal: Exception
) -> None:
    ledger = FakeLedger(refuse=refusal)
    _recording(monkeypatch, ledger)
    with pytest.raises(type(refusal)):
        _run(ledger, Table.from_arrays(np.arange(5), x=np.ones(5)), Sum("x", 0, 1))
    assert ledger.events == ["charge"]


# -- bad input is refused before anything is spent ---------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epsilon": -1.0}, "epsilon must be a positive finite number"),
        ({"epsilon": 0.0}, "epsilon must be a positive finite number"),
        ({"epsilon": math.nan}, "epsilon must be a positive finite number"),
        ({"epsilon": math.inf}, "epsilon must be a positive finite number"),
        ({"epsilon": True}, "epsilon must be a positive finite number"),
        ({"confidence": 1.0}, "confidence must be a number between 0 and 1"),
        ({"confidence": 0.0}, "confidence must be a number between 0 and 1"),
        ({"confidence": math.nan}, "confidence must be a number between 0 and 1"),
        ({"query": Sum("height", 0, 1)}, "column 'height' is not in the table"),
        ({"query": Mean("region", 0, 1)}, "column 'region' is not numeric"),
        ({"query": Count(group_by="city", groups=["x"])}, "column 'city' is not in the table"),
        (
            {"query": Count(group_by="region", groups=[1, 2])},
            "labels of column 'region' must be of the column's type",
        ),
        ({"query": "count"}, "query must be a Count, Sum, Mean, Variance, Histogram or Quantiles"),
        ({"table": {"x": [1.0]}}, "table must be a veil.dp Table"),
    ],
)
def test_bad_input_is_refused_by_field_and_charges_nothing(options: dict[str, Any], message: str) -> None:
    ledger = FakeLedger()
    arguments: dict[str, Any] = {"table": Table.from_arrays([1, 2], x=[1.0, 2.0], region=["EU", "US"]),
                                 "query": Sum("x", 0, 1), "epsilon": 1.0, **options}  # fmt: skip
    with pytest.raises(InvalidInput, match=message):
        release(ledger, "visits", arguments.pop("table"), arguments.pop("query"), actor="tester", purpose="training",
                **arguments)  # fmt: skip
    assert ledger.charges == []
    assert ledger.events == []


# -- with the real ledger ----------------------------------------------------------------


@pytest.fixture
def ledger(databases: tuple[Database, Database], clock: FixedClock) -> Iterator[Ledger]:
    audit = AuditLog(databases[0], clock=clock)
    made = Ledger(databases[0], audit, fixture_policy(), clock=clock)
    made.create("visits", epsilon=1.0, delta=1e-6, owner="analytics", actor="tester", max_contributions=2)
    yield made
    audit.close()


def _visits() -> Table:
    return Table.from_arrays(["a", "a", "a", "b", "c"], age=[30.0, 31.0, 32.0, 40.0, 50.0],
                             region=["EU", "EU", "US", "US", "EU"])  # fmt: skip


def test_a_release_is_on_the_ledger_before_it_returns(ledger: Ledger) -> None:
    result = _run(ledger, _visits(), Mean("age", 18, 90, group_by="region", groups=["EU", "US"]), epsilon=0.4)
    report = ledger.report("visits", actor="tester")
    assert [r.release_id for r in report.releases] == [result.release_id]
    recorded = report.releases[0]
    assert (recorded.kind, recorded.purpose, recorded.actor) == ("mean", "training", "tester")
    assert recorded.mechanisms == result.mechanisms == (PureDp(0.2), PureDp(0.2))
    assert recorded.details == {"column": "age", "lower": 18.0, "upper": 90.0, "group_by": "region", "groups": 2,
                                "max_contributions": 2, "confidence": 0.95}  # fmt: skip
    assert result.epsilon_remaining == pytest.approx(1.0 - 0.4)  # the charge's own figure


def test_an_exhausted_budget_refuses_the_release_and_returns_no_result(ledger: Ledger) -> None:
    _run(ledger, _visits(), Count(), epsilon=0.75)
    with pytest.raises(BudgetExhausted):
        _run(ledger, _visits(), Sum("age", 0, 100), epsilon=0.5)
    assert len(ledger.report("visits", actor="tester").releases) == 1


def test_a_denied_actor_gets_access_denied_and_spends_nothing(
    ledger: Ledger, databases: tuple[Database, Database]
) -> None:
    narrow = Policy.from_mapping({"access": {"principals": [{"id": "intern", "kind": "person", "roles": ["guest"]}],
                                             "grants": []}}, source="test")  # fmt: skip
    guarded = Ledger(databases[0], ledger.audit, narrow)
    with pytest.raises(AccessDenied, match=r"^access denied$"):
        release(guarded, "visits", _visits(), Count(), epsilon=0.1, actor="intern", purpose="training")
    assert ledger.report("visits", actor="tester").releases == ()


def test_an_unknown_dataset_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFound, match="'clicks' has no privacy budget"):
        release(ledger, "clicks", _visits(), Count(), epsilon=0.1, actor="tester", purpose="training")


def test_the_budget_bounds_each_subjects_rows(ledger: Ledger) -> None:
    ledger.create("big", epsilon=HUGE * 2, delta=1e-6, owner="analytics", actor="tester", max_contributions=2)
    result = release(ledger, "big", _visits(), Count(), epsilon=HUGE, actor="tester", purpose="training")
    assert result.value == 4  # subject a's three rows count as two


def test_the_ledger_records_no_values(ledger: Ledger, canary_pii: Canary) -> None:
    table = Table.from_arrays(
        [canary_pii.ssn, "b"], who=[canary_pii.email, canary_pii.phone], age=[30.0, 40.0]
    )
    result = _run(
        ledger, table, Count(group_by="who", groups=[canary_pii.email, canary_pii.card]), epsilon=0.1
    )
    assert set(result.estimates) == {(canary_pii.email,), (canary_pii.card,)}  # the caller's own labels
    report = ledger.report("visits", actor="tester")
    entries = ledger.audit.entries(limit=1000)
    canary_pii.assert_absent(
        json.dumps([dict(r.details) for r in report.releases]), [repr(e) for e in entries]
    )
