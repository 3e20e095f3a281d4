"""Fixed-point sums are exact and bounded by their sensitivity whatever the input; OpenDP's
measurements spend no more than asked, by their own privacy maps; intervals use their exact tails."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("opendp")

from veil.dp import _noise
from veil.dp._noise import SATURATE, accuracy, fixed_sums, laplace, quantile, rank_error
from veil.errors import InvalidInput


def _expected(values: list[float], lower: float, upper: float, shift: float, squared: bool, k: int) -> int:
    """The same path, row by row, in Python floats and integers."""
    total = 0
    for value in values:
        y = min(upper, max(lower, value)) - shift
        total += math.trunc(math.ldexp(y * y if squared else y, k))
    return total


@pytest.mark.parametrize(("lower", "upper", "shift", "squared"),
                         [(0.0, 100.0, 0.0, False), (-3.5, 1e6, 0.0, False), (18.0, 90.0, 54.0, False),
                          (18.0, 90.0, 54.0, True), (1e-9, 3e-9, 2e-9, True)])  # fmt: skip
def test_fixed_point_sums_are_exact_over_many_chunks(
    lower: float, upper: float, shift: float, squared: bool
) -> None:
    rng = np.random.default_rng(7)
    span = upper - lower
    values = rng.uniform(lower - span / 4, upper + span / 4, 2**18 + 5000)  # two chunks, a ragged block
    found = fixed_sums(values, lower, upper, shift=shift, squared=squared)
    assert found is not None
    assert found.sums == [_expected(values.tolist(), lower, upper, shift, squared, found.k)]


def test_grouped_fixed_point_sums_are_exact_per_group() -> None:
    rng = np.random.default_rng(8)
    values = rng.uniform(-50, 50, 300_000)
    codes = rng.integers(0, 5, len(values))
    found = fixed_sums(values, -40.0, 40.0, codes=codes, size=6)
    assert found is not None
    expected = [_expected(values[codes == g].tolist(), -40.0, 40.0, 0.0, False, found.k) for g in range(6)]
    assert found.sums == expected
    assert expected[5] == 0  # a declared group with no rows


def test_no_row_moves_a_sum_by_more_than_its_unit() -> None:
    hostile = [0.0, -0.0, 1e-320, -1e-320, 1e308, -1e308, math.inf, -math.inf, math.nextafter(10.0, 11.0),
               math.nextafter(-3.0, -4.0), 10.0, -3.0, 3.3333333333333335, 7e-17]  # fmt: skip
    for lower, upper in [(-3.0, 10.0), (0.0, 1.0), (-1e300, 1e300), (5e-324, 1e-300), (-2.0, -1.0)]:
        middle = lower / 2 + upper / 2
        wide = abs(lower) > 1e150 or abs(upper) < 1e-150  # no square of these bounds is a normal float
        for shift, squared in [(0.0, False), (middle, False), (middle, not wide)]:
            for value in [*hostile, lower, upper]:
                one = fixed_sums(np.array([value]), lower, upper, shift=shift, squared=squared)
                assert one is not None
                assert abs(one.sums[0]) <= one.unit < 2**_noise.BITS


def test_bounds_whose_squares_leave_the_float_range_are_refused() -> None:
    for lower, upper in [(-1e300, 1e300), (5e-324, 1e-300)]:
        with pytest.raises(InvalidInput, match="too far apart, or too close to 0"):
            fixed_sums(np.array([1.0]), lower, upper, shift=lower / 2 + upper / 2, squared=True)


def test_a_nan_value_is_reported_for_the_caller_to_leave_out() -> None:
    assert fixed_sums(np.array([1.0, math.nan, 2.0]), 0.0, 5.0) is None
    assert fixed_sums(np.array([1.0, math.nan]), 0.0, 5.0, codes=np.array([0, 1]), size=2) is None


def test_sums_beyond_the_integer_range_saturate() -> None:
    assert _noise.saturated([2**70, -(2**70), 5]) == [SATURATE, -SATURATE, 5]


def test_integer_columns_are_summed_like_floats() -> None:
    found = fixed_sums(np.array([1, 2, 300], dtype=np.int64), 0.0, 100.0)
    assert found is not None
    assert math.ldexp(found.sums[0], -found.k) == 103.0


@pytest.mark.parametrize("epsilon", [1.0, 0.3, 1e-3, 7.77])
@pytest.mark.parametrize("sensitivity", [1, 3, 2**40 - 1, 5 * 2**39])
def test_laplace_spends_at_most_the_epsilon_asked_by_its_own_map(epsilon: float, sensitivity: int) -> None:
    noise = laplace(sensitivity, epsilon)
    assert noise.epsilon <= epsilon
    assert noise.epsilon == pytest.approx(epsilon, rel=1e-12)
    assert noise.measurement.map(sensitivity) == noise.epsilon
    assert noise.scale == pytest.approx(sensitivity / epsilon, rel=1e-12)


def test_a_sensitivity_beyond_the_integer_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="max_contributions is too large"):
        laplace(SATURATE, 1.0)


@pytest.mark.parametrize("scale", [0.5, 2.0, 37.5, 1e9])
@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
def test_the_interval_margin_is_the_smallest_the_discrete_laplace_tail_allows(
    scale: float, alpha: float
) -> None:
    margin = accuracy(scale, alpha)
    p = math.exp(-1 / scale)

    def beyond(a: int) -> float:  # P[|Z| > a] for the discrete Laplace of this scale
        return 2 * math.exp(-(a + 1) / scale) / (1 + p)

    assert beyond(margin) <= alpha * (1 + 1e-9)
    assert margin == 0 or beyond(margin - 1) > alpha * (1 - 1e-6)


@pytest.mark.parametrize("alpha", [0.5, 0.1, 0.9])
@pytest.mark.parametrize("rows", [1, 4])
def test_a_quantile_spends_at_most_the_epsilon_asked_whatever_groups_the_rows_fall_in(
    alpha: float, rows: int
) -> None:
    grid = tuple(np.linspace(0, 10, 11).tolist())
    noise = quantile(grid, alpha, rows, 0.8)
    assert noise.epsilon <= 0.8
    assert noise.epsilon == pytest.approx(0.8, rel=1e-12)
    assert noise.measurement.map(rows) <= noise.epsilon
    assert rows * noise.measurement.map(1) <= noise.epsilon * (1 + 1e-12)  # its map is linear in rows


def test_the_rank_error_grows_with_candidates_and_confidence() -> None:
    assert rank_error(2.0, 100, 0.05) == pytest.approx(2.0 * (math.log(100) + math.log(20)))
    assert rank_error(2.0, 1000, 0.05) > rank_error(2.0, 100, 0.05) > rank_error(2.0, 100, 0.2)
