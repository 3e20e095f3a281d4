"""Private count, sum and mean on a million rows: Veil's ``release`` against theory and against the
same statistic computed by calling OpenDP directly, and the time of a release with its ledger charge.

Each subject has one row (the budget's ``max_contributions`` is 1), values are clamped to [0, 100]
and every release spends epsilon 1 (a mean spends half on its sum, half on its count, both ways).
The error of a release is measured against the exact statistic of the clamped rows. Theory is the
noise's own variance: the discrete Laplace of scale t = sensitivity / epsilon has variance
2p / (1 - p)**2 with p = exp(-1 / t), which tends to the continuous Laplace's 2 t**2 for a sum's
large fixed-point scale; a mean's error is propagated to first order from its sum's and count's.
The RMSE of n draws has a relative standard error of about sqrt(5 / n) / 2 (Laplace's kurtosis).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

LOWER, UPPER = 0.0, 100.0
EPSILON = 1.0


def _data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.arange(rows, dtype=np.int64), rng.normal(45.0, 25.0, rows)  # some rows fall outside the bounds


def _discrete_laplace_variance(scale: float) -> float:
    p = math.exp(-1 / scale)
    return 2 * p / (-math.expm1(-1 / scale)) ** 2


def _theory(kind: str, clamped: np.ndarray) -> float:
    n = len(clamped)
    if kind == "count":
        return math.sqrt(_discrete_laplace_variance(1 / EPSILON))
    if kind == "sum":
        return math.sqrt(2) * max(abs(LOWER), abs(UPPER)) / EPSILON
    middle, half = (LOWER + UPPER) / 2, (UPPER - LOWER) / 2
    shifted_mean = float(clamped.mean()) - middle
    sum_variance = 2 * (half / (EPSILON / 2)) ** 2
    count_variance = _discrete_laplace_variance(1 / (EPSILON / 2))
    return math.sqrt(sum_variance + shifted_mean**2 * count_variance) / n


def _rmse(errors: list[float]) -> dict[str, float]:
    squares = np.square(np.asarray(errors, dtype=np.float64))
    rmse = float(math.sqrt(squares.mean()))
    # the delta method on the mean of the squares: the RMSE's own standard error
    stderr = float(squares.std(ddof=1) / math.sqrt(len(squares)) / (2 * rmse)) if rmse else 0.0
    return {"rmse": rmse, "rmse_stderr": stderr}


def _veil(ledger: Any, subjects: np.ndarray, values: np.ndarray, kind: str, draws: int) -> dict[str, Any]:
    from veil.dp import Count, Mean, Sum, Table, release

    table = Table.from_arrays(subjects, value=values)
    query = {"count": Count(), "sum": Sum("value", LOWER, UPPER), "mean": Mean("value", LOWER, UPPER)}[kind]
    clamped = np.clip(values, LOWER, UPPER)
    truth = {"count": float(len(values)), "sum": float(clamped.sum()), "mean": float(clamped.mean())}[kind]
    errors, seconds, covered = [], [], 0
    for _ in range(draws):
        started = time.perf_counter()
        result = release(ledger, "rows", table, query, epsilon=EPSILON, actor="bench", purpose="analytics")
        seconds.append(time.perf_counter() - started)
        errors.append(result.value - truth)
        low, high = result.interval
        covered += low is not None and high is not None and low <= truth <= high
    ms = np.asarray(seconds) * 1000
    return {
        **_rmse(errors), "theory": _theory(kind, clamped), "draws": draws,
        "ms_per_release_p50": float(np.percentile(ms, 50)),
        "ms_per_release_p95": float(np.percentile(ms, 95)),
        "interval_coverage_at_95": covered / draws, "mean_error": float(np.mean(errors)),
    }  # fmt: skip


def _opendp(values: np.ndarray, kind: str, draws: int) -> dict[str, Any]:
    """The same statistic from OpenDP's own pipelines: clamp, sum or count, Laplace; a mean as a
    midpoint-shifted sum and a count at epsilon / 2 each (the same split Veil makes). Its theory is
    that of the scales OpenDP's own privacy maps call for."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    middle, half = (LOWER + UPPER) / 2, (UPPER - LOWER) / 2

    def summed(lo: float, hi: float, epsilon: float) -> tuple[Any, float]:
        def chain(s: float) -> Any:
            return space >> dp.t.then_clamp((lo, hi)) >> dp.t.then_sum() >> dp.m.then_laplace(s)

        scale = dp.binary_search_param(chain, 1, epsilon)
        return chain(scale), scale

    def counted(epsilon: float) -> tuple[Any, float]:
        def chain(s: float) -> Any:
            return space >> dp.t.then_count() >> dp.m.then_laplace(s)

        scale = dp.binary_search_param(chain, 1, epsilon)
        return chain(scale), scale

    clamped = np.clip(values, LOWER, UPPER)
    n = len(values)
    if kind == "mean":
        shifted = values - middle
        (sum_m, sum_scale), (count_m, count_scale) = summed(-half, half, EPSILON / 2), counted(EPSILON / 2)
        truth = float(clamped.mean())
        count_variance = _discrete_laplace_variance(count_scale)
        theory = math.sqrt(2 * sum_scale**2 + (truth - middle) ** 2 * count_variance) / n

        def estimate() -> float:
            return middle + sum_m(shifted) / max(count_m(shifted), 1)
    elif kind == "count":
        count_m, count_scale = counted(EPSILON)
        truth, theory = float(n), math.sqrt(_discrete_laplace_variance(count_scale))

        def estimate() -> float:
            return float(count_m(values))
    else:
        sum_m, sum_scale = summed(LOWER, UPPER, EPSILON)
        truth, theory = float(clamped.sum()), math.sqrt(2) * sum_scale

        def estimate() -> float:
            return float(sum_m(values))

    errors, seconds = [], []
    for _ in range(draws):
        started = time.perf_counter()
        errors.append(estimate() - truth)
        seconds.append(time.perf_counter() - started)
    return {**_rmse(errors), "own_theory": theory, "draws": draws,
            "ms_per_release_p50": float(np.median(seconds) * 1000)}  # fmt: skip


def queries(ledger: Any, *, rows: int, draws: int, opendp_draws: int, seed: int = 7) -> dict[str, Any]:
    subjects, values = _data(rows, seed)
    ledger.create("rows", epsilon=10.0 * EPSILON * draws, delta=0.0, owner="bench", actor="bench",
                  max_contributions=1)  # fmt: skip
    found: dict[str, Any] = {"rows": rows, "epsilon": EPSILON, "bounds": [LOWER, UPPER]}
    for kind in ("count", "sum", "mean"):
        veil = _veil(ledger, subjects, values, kind, draws)
        direct = _opendp(values, kind, opendp_draws)
        veil["rmse_vs_theory"] = veil["rmse"] / veil["theory"] - 1
        direct["rmse_vs_own_theory"] = direct["rmse"] / direct["own_theory"] - 1
        found[kind] = {"veil": veil, "opendp_direct": direct}
    ledger.audit.close()
    return found
