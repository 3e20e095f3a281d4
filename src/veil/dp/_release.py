"""``release``: answer a query over a table with part of a dataset's privacy budget, charged first.

``release`` bounds each subject's rows to the budget's ``max_contributions`` (the privacy unit is the
subject), computes the exact aggregate, builds the OpenDP measurements, charges the ledger the epsilon
their privacy maps say, and only then draws the noise: a refused charge draws nothing and returns
nothing.

The groups of one release are disjoint and a subject's rows are bounded in total, so one epsilon
covers every group (parallel composition: the noise is calibrated to the L1 change of the whole
vector). Mean spends half its epsilon on a noisy sum and half on a noisy count; variance a third
each on the sum, the sum of squares and the count (both about the bounds' midpoint). Quantiles split
epsilon evenly over their ``alphas``. Intervals are at the result's ``confidence``, per estimate (not
simultaneous), for the statistic of the bounded, clamped rows (sums in fixed point: each value to
2**-40 of the bounds' magnitude, see ``_noise``): exact for counts and sums (OpenDP's
discrete Laplace tail), conservative for means and variances (the count's and sums' intervals
joined by a union bound, then the extremes of the ratio over them). Quantiles carry a rank error
instead: no interval in values follows from public information alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from veil.dp import _noise
from veil.dp._mechanisms import Mechanism, PureDp
from veil.dp._noise import FixedSums, Noise, accuracy, fixed_sums, laplace
from veil.dp._queries import Count, Histogram, Mean, Quantiles, Query, Sum, Variance, real
from veil.dp._tables import Array, Label, Table, bound_contributions
from veil.errors import InvalidInput
from veil.vault import Actor

#: Where an estimate sits: its group (when grouped), then its category or alpha (histograms, quantiles).
Key = tuple[Label | float, ...]


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """One noisy statistic and its interval at the result's confidence; a quantile has no interval in
    values but a ``rank_error`` in rows (see ``_noise.rank_error``)."""

    value: float
    low: float | None
    high: float | None
    rank_error: float | None = None


@dataclass(frozen=True, slots=True)
class DpResult:
    """A release: its estimates by ``Key`` (``()`` for an ungrouped scalar), what it spent, its id."""

    kind: str
    estimates: Mapping[Key, Estimate]
    confidence: float
    epsilon: float
    mechanisms: tuple[Mechanism, ...]
    release_id: str
    epsilon_remaining: float

    @property
    def value(self) -> float:
        return self._single().value

    @property
    def interval(self) -> tuple[float | None, float | None]:
        single = self._single()
        return single.low, single.high

    def _single(self) -> Estimate:
        if () not in self.estimates:
            raise InvalidInput("this result holds several estimates: read them from estimates")
        return self.estimates[()]


# -- the ledger a release charges ------------------------------------------------------


class _Budget(Protocol):
    @property
    def max_contributions(self) -> int: ...


class _Charge(Protocol):
    @property
    def release_id(self) -> str: ...

    @property
    def epsilon_remaining(self) -> float: ...


class Charger(Protocol):
    """What ``release`` needs of ``veil.dp.Ledger``: the budget's bound on rows per subject, and the
    charge (atomic, refused with ``BudgetExhausted`` or ``AccessDenied``)."""

    def get(self, dataset: str) -> _Budget: ...

    def charge(
        self,
        dataset: str,
        mechanisms: Sequence[Mechanism],
        *,
        actor: Actor,
        purpose: str,
        kind: str,
        details: Mapping[str, str | int | float] | None = None,
    ) -> _Charge: ...


# -- release ---------------------------------------------------------------------------


def release(
    ledger: Charger,
    dataset: str,
    table: Table,
    query: Query,
    *,
    epsilon: float,
    actor: Actor,
    purpose: str,
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
) -> DpResult:
    """Answer ``query`` over ``table`` with ``epsilon`` of ``dataset``'s budget, charged first.

    ``rng`` only picks which rows of a subject over the bound are kept; the noise is OpenDP's."""
    if not real(epsilon) or epsilon <= 0:
        raise InvalidInput("epsilon must be a positive finite number")
    if not real(confidence) or not 0 < confidence < 1:
        raise InvalidInput("confidence must be a number between 0 and 1")
    if not isinstance(table, Table):
        raise InvalidInput("table must be a veil.dp Table")
    planner = _PLANNERS.get(type(query))
    if planner is None:
        raise InvalidInput("query must be a Count, Sum, Mean, Variance, Histogram or Quantiles")
    _check_columns(query, table)
    rows = ledger.get(dataset).max_contributions
    bounded = bound_contributions(table, rows, rng if rng is not None else np.random.default_rng())
    plan = planner(query, bounded, float(epsilon), rows, 1 - float(confidence))
    mechanisms = tuple(PureDp(noise.epsilon) for noise in plan.noises)
    details = {**_details(query), "max_contributions": rows, "confidence": float(confidence)}
    charge = ledger.charge(dataset, mechanisms, actor=actor, purpose=purpose, kind=plan.kind, details=details)
    outputs = [noise.measurement(data) for noise, data in plan.draws]  # only now, after the charge
    return DpResult(
        plan.kind, plan.finish(outputs), float(confidence), sum(m.epsilon for m in mechanisms), mechanisms,
        charge.release_id, charge.epsilon_remaining,
    )  # fmt: skip


def _check_columns(query: Query, table: Table) -> None:
    if isinstance(query, Sum | Mean | Variance | Quantiles):
        table.numeric(query.column)
    elif isinstance(query, Histogram):
        table.column(query.column)
    if query.group_by is not None:
        table.column(query.group_by)


def _details(query: Query) -> dict[str, str | int | float]:
    """What the ledger records of a query: names and hyperparameters, never values."""
    found: dict[str, str | int | float] = {}
    for name in ("column", "lower", "upper", "group_by", "candidates"):
        value = getattr(query, name, None)
        if value is not None:
            found[name] = value
    for name in ("groups", "categories", "alphas"):
        if getattr(query, name, None) is not None:
            found[name] = len(getattr(query, name))
    return found


# -- plans: the exact aggregate, its measurements, and how their outputs become estimates --


@dataclass(frozen=True)
class _Plan:
    kind: str
    noises: tuple[Noise, ...]  # what is charged: one mechanism each
    draws: tuple[tuple[Noise, Any], ...]  # each measurement run, with its input
    finish: Callable[[list[Any]], dict[Key, Estimate]]


Planner = Callable[[Any, Table, float, int, float], _Plan]


def _grouping(table: Table, query: Query) -> tuple[Array | None, list[Key]]:
    if query.group_by is None or query.groups is None:
        return None, [()]
    return table.codes(query.group_by, query.groups), [(g,) for g in query.groups]


def _in_groups(table: Table, column: str, codes: Array | None) -> tuple[Array, Array | None]:
    values = table.numeric(column)
    if codes is None:
        return values, None
    keep = codes >= 0
    return values[keep], codes[keep]


def _without_nan(values: Array, codes: Array | None) -> tuple[Array, Array | None]:
    """Missing values (NaN) are left out, like absent rows."""
    if values.dtype.kind != "f":
        return values, codes
    keep = ~np.isnan(values)
    return values[keep], None if codes is None else codes[keep]


def _sums(
    values: Array, codes: Array | None, size: int, bounds: tuple[float, float], **how: Any
) -> tuple[FixedSums, Array, Array | None]:
    """Exact fixed-point sums of the rows, and the rows they are of (NaN left out)."""
    found = fixed_sums(values, *bounds, codes=codes, size=size, **how)
    if found is None:
        values, codes = _without_nan(values, codes)
        found = fixed_sums(values, *bounds, codes=codes, size=size, **how)
        assert found is not None  # no NaN is left
    return found, values, codes


def _counts(codes: Array | None, rows: int, size: int) -> list[int]:
    return [rows] if codes is None else np.bincount(codes[codes >= 0], minlength=size).tolist()


def _plan_count(query: Count, table: Table, epsilon: float, rows: int, alpha: float) -> _Plan:
    codes, keys = _grouping(table, query)
    return _counting("count", keys, _counts(codes, len(table), len(keys)), rows, epsilon, alpha)


def _plan_histogram(query: Histogram, table: Table, epsilon: float, rows: int, alpha: float) -> _Plan:
    groups, group_keys = _grouping(table, query)
    cells = table.codes(query.column, query.categories)
    width = len(query.categories)
    if groups is not None:
        cells = np.where((groups >= 0) & (cells >= 0), groups * width + cells, -1)
    keys = [(*g, c) for g in group_keys for c in query.categories]
    exact = np.bincount(cells[cells >= 0], minlength=len(keys)).tolist()
    return _counting("histogram", keys, exact, rows, epsilon, alpha)


def _counting(kind: str, keys: list[Key], exact: list[int], rows: int, epsilon: float, alpha: float) -> _Plan:
    """Counts per key, one Laplace for the whole vector (a subject moves it by ``rows`` in L1)."""
    noise = laplace(rows, epsilon)
    margin = accuracy(noise.scale, alpha)

    def finish(out: list[Any]) -> dict[Key, Estimate]:
        return _count_estimates(keys, out[0], margin)

    return _Plan(kind, (noise,), ((noise, exact),), finish)


def _plan_sum(query: Sum, table: Table, epsilon: float, rows: int, alpha: float) -> _Plan:
    codes, keys = _grouping(table, query)
    values, codes = _in_groups(table, query.column, codes)
    fixed, _, _ = _sums(values, codes, len(keys), _bounds(query))
    noise = laplace(rows * fixed.unit, epsilon)
    margin = math.ldexp(accuracy(noise.scale, alpha), -fixed.k)

    def finish(out: list[Any]) -> dict[Key, Estimate]:
        found = (math.ldexp(v, -fixed.k) for v in out[0])
        return {key: Estimate(v, v - margin, v + margin) for key, v in zip(keys, found, strict=True)}

    return _Plan("sum", (noise,), ((noise, fixed.sums),), finish)


def _plan_mean(query: Mean, table: Table, epsilon: float, rows: int, alpha: float) -> _Plan:
    codes, keys = _grouping(table, query)
    values, codes = _in_groups(table, query.column, codes)
    lo, hi = _bounds(query)
    middle = lo / 2 + hi / 2  # halves first: no overflow near the largest floats
    fixed, values, codes = _sums(values, codes, len(keys), (lo, hi), shift=middle)
    sums, counts = laplace(rows * fixed.unit, epsilon / 2), laplace(rows, epsilon / 2)
    exact_n = _counts(codes, len(values), len(keys))
    a_s, a_n = accuracy(sums.scale, alpha / 2), accuracy(counts.scale, alpha / 2)

    def finish(out: list[Any]) -> dict[Key, Estimate]:
        return {
            key: _mean(s, n, a_s, a_n, fixed.k, middle, lo, hi)
            for key, s, n in zip(keys, out[0], out[1], strict=True)
        }

    return _Plan("mean", (sums, counts), ((sums, fixed.sums), (counts, exact_n)), finish)


def _plan_variance(query: Variance, table: Table, epsilon: float, rows: int, alpha: float) -> _Plan:
    codes, keys = _grouping(table, query)
    values, codes = _in_groups(table, query.column, codes)
    lo, hi = _bounds(query)
    middle = lo / 2 + hi / 2
    first, values, codes = _sums(values, codes, len(keys), (lo, hi), shift=middle)
    second, _, _ = _sums(values, codes, len(keys), (lo, hi), shift=middle, squared=True)
    noises = (laplace(rows * first.unit, epsilon / 3), laplace(rows * second.unit, epsilon / 3),
              laplace(rows, epsilon / 3))  # fmt: skip
    exact = (first.sums, second.sums, _counts(codes, len(values), len(keys)))
    ceiling = max((lo - middle) ** 2, (hi - middle) ** 2)
    margins = [accuracy(noise.scale, alpha / 3) for noise in noises]

    def finish(out: list[Any]) -> dict[Key, Estimate]:
        return {
            key: _variance(s1, s2, n, margins, first.k, second.k, ceiling)
            for key, s1, s2, n in zip(keys, out[0], out[1], out[2], strict=True)
        }

    return _Plan("variance", noises, tuple(zip(noises, exact, strict=True)), finish)


def _plan_quantiles(query: Quantiles, table: Table, epsilon: float, rows: int, alpha: float) -> _Plan:
    codes, keys = _grouping(table, query)
    values, codes = _without_nan(*_in_groups(table, query.column, codes))
    lo, hi = _bounds(query)
    values = np.clip(values, lo, hi).astype(np.float64)
    parts = [values] if codes is None else _split(values, codes, len(keys))
    grid = tuple(np.linspace(lo, hi, query.candidates).tolist())
    alphas = tuple(query.alphas)
    noises = tuple(_noise.quantile(grid, a, rows, epsilon / len(alphas)) for a in alphas)
    cells = [(*key, a) for a in alphas for key in keys]
    errors = [_noise.rank_error(noise.scale, len(grid), alpha) for noise in noises for _ in keys]

    def finish(out: list[Any]) -> dict[Key, Estimate]:
        return {c: Estimate(float(v), None, None, e) for c, v, e in zip(cells, out, errors, strict=True)}

    return _Plan("quantiles", noises, tuple((noise, part) for noise in noises for part in parts), finish)


def _split(values: Array, codes: Array, size: int) -> list[Array]:
    order = np.argsort(codes, kind="stable")
    return np.split(values[order], np.cumsum(np.bincount(codes, minlength=size))[:-1])


def _bounds(query: Sum | Mean | Variance | Quantiles) -> tuple[float, float]:
    assert query.lower is not None  # checked when the query was made
    assert query.upper is not None
    return query.lower, query.upper


# -- estimates -------------------------------------------------------------------------


def _count_estimates(keys: list[Key], noisy: Sequence[int], margin: int) -> dict[Key, Estimate]:
    return {
        k: Estimate(float(v), float(max(v - margin, 0)), float(v + margin))
        for k, v in zip(keys, noisy, strict=True)
    }


def _mean(s: int, n: int, a_s: int, a_n: int, k: int, middle: float, lo: float, hi: float) -> Estimate:
    """The noisy mean and, with both the sum's and the count's intervals holding, the extremes of
    sum / count over them (the count of a non-empty group is at least 1)."""
    value = min(hi, max(lo, middle + math.ldexp(s, -k) / n)) if n >= 1 else middle
    n_lo, n_hi = max(n - a_n, 1), n + a_n
    if n_hi < 1:
        return Estimate(value, lo, hi)
    s_lo, s_hi = math.ldexp(s - a_s, -k), math.ldexp(s + a_s, -k)
    low = middle + min(s_lo / n_lo, s_lo / n_hi)
    high = middle + max(s_hi / n_lo, s_hi / n_hi)
    return Estimate(value, max(lo, low), min(hi, high))


def _variance(s1: int, s2: int, n: int, margins: list[int], k1: int, k2: int, ceiling: float) -> Estimate:
    """The noisy variance (mean of squares minus squared mean, about the midpoint) and the extremes of
    that expression over the three intervals; it lies in [0, ((upper - lower) / 2)**2] always."""
    a1, a2, a_n = margins
    if n < 1:
        value = ceiling / 2
    else:
        value = min(ceiling, max(0.0, math.ldexp(s2, -k2) / n - (math.ldexp(s1, -k1) / n) ** 2))
    n_lo, n_hi = max(n - a_n, 1), n + a_n
    sq_lo, sq_hi = max(s2 - a2, 0), s2 + a2
    if n_hi < 1 or sq_hi < 0:
        return Estimate(value, 0.0, ceiling)
    m_lo, m_hi = math.ldexp(s1 - a1, -k1), math.ldexp(s1 + a1, -k1)
    q_lo = 0.0 if m_lo <= 0 <= m_hi else min(m_lo**2, m_hi**2)  # the squared sum's extremes
    q_hi = max(m_lo**2, m_hi**2)
    top, bottom = math.ldexp(sq_hi, -k2), math.ldexp(sq_lo, -k2)
    peaks = [n_lo, n_hi] + ([2 * q_lo / top] if top > 0 and n_lo < 2 * q_lo / top < n_hi else [])
    high = max(top / m - q_lo / m**2 for m in peaks)  # the only turning point in the count is a maximum
    low = min(bottom / m - q_hi / m**2 for m in (n_lo, n_hi))
    return Estimate(value, min(ceiling, max(0.0, low)), min(ceiling, max(0.0, high)))


_PLANNERS: dict[type, Planner] = {
    Count: _plan_count,
    Sum: _plan_sum,
    Mean: _plan_mean,
    Variance: _plan_variance,
    Histogram: _plan_histogram,
    Quantiles: _plan_quantiles,
}
