"""Exact fixed-point aggregates, and the OpenDP measurements that add their noise.

Sums are never taken over floats, whose rounding makes the sensitivity of a float sum larger than
``max |value|`` in ways that are easy to get wrong. Each value is clamped to its bounds, shifted,
optionally squared, scaled by ``2**k`` and truncated to an integer: every step is monotone, so every
row's integer lies between the integers the two bounds reach along the same path, and that is the
sensitivity, in integers, that OpenDP's integer (discrete) Laplace is calibrated to. The integers
(below ``2**40``) are summed exactly: in blocks of 4,096, whose float sums stay below ``2**52``, or as
20-bit limbs for grouped sums. Counts are integers already.

OpenDP supplies every draw: its Laplace on integer vectors (L1 distance: one Laplace per group, the
whole vector calibrated to what one subject can change in all groups together) and its private
quantile (the exponential mechanism over a grid of candidates). The epsilon a release spends is read
from the measurement's own privacy map, and the scale is nudged up until that map stays within the
epsilon asked for. Measurements are cached by their parameters: each call still draws fresh noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from veil.errors import DependencyMissing, InvalidInput

Array = np.ndarray[Any, Any]

#: Scaled values stay below 2**BITS: 4,096 of them sum below 2**52, exactly, as floats.
BITS = 40
_BLOCK = 4096
_CHUNK = 2**18  # rows worked on at a time (2 MiB of floats): each chunk's sum stays below 2**58
_LIMB = 2.0**20
#: Exact sums are saturated here before noise (clamping is 1-Lipschitz: the sensitivity holds).
SATURATE = 2**62


def opendp() -> Any:
    try:
        import opendp.prelude as dp
    except ModuleNotFoundError:
        raise DependencyMissing("dp", "differential privacy") from None
    dp.enable_features("contrib")
    return dp


@dataclass(frozen=True, slots=True)
class FixedSums:
    """Exact sums in fixed point: group ``g`` sums to ``sums[g] * 2**-k``; one row moves a sum by at
    most ``unit``."""

    sums: list[int]  # saturated at +-SATURATE
    k: int
    unit: int


def fixed_sums(
    values: Array,
    lower: float,
    upper: float,
    *,
    shift: float = 0.0,
    squared: bool = False,
    codes: Array | None = None,
    size: int = 1,
) -> FixedSums | None:
    """The exact sum (per group of ``codes`` when given) of ``values`` clamped to ``[lower, upper]``,
    minus ``shift`` (then squared); None when a value is NaN, for the caller to leave those rows out.

    The work goes in chunks that stay in cache; no pass over the whole column is spent on NaN."""
    ends = _path(np.array([lower, upper], dtype=np.float64), lower, upper, shift, squared, np.empty(2))
    magnitude = float(np.abs(ends).max())
    if not 0 < magnitude < math.inf:  # a square past the largest float, or below the smallest
        raise InvalidInput("lower and upper are too far apart, or too close to 0, for this query")
    k = BITS - math.frexp(magnitude)[1]
    unit = int(np.abs(_scaled(ends, k)).max())
    buffer = np.empty(min(len(values), _CHUNK), dtype=np.float64)
    high, low = [0] * size, [0] * size  # Python integers: exact at any length
    for start in range(0, len(values), _CHUNK):
        part = values[start : start + _CHUNK]
        scaled = _scaled(_path(part, lower, upper, shift, squared, buffer[: len(part)]), k)
        found = (
            _block_sums(scaled) if codes is None else _limb_sums(scaled, codes[start : start + _CHUNK], size)
        )
        if found is None:
            return None
        high = [a + b for a, b in zip(high, found[0].tolist(), strict=True)]
        low = [a + b for a, b in zip(low, found[1].tolist(), strict=True)]
    return FixedSums(saturated([h * int(_LIMB) + lo for h, lo in zip(high, low, strict=True)]), k, unit)


def _path(values: Array, lower: float, upper: float, shift: float, squared: bool, out: Array) -> Array:
    np.clip(values, lower, upper, out=out)
    if shift:
        out -= shift
    if squared:
        with np.errstate(over="ignore", under="ignore"):  # the bounds' own squares are checked
            np.multiply(out, out, out=out)
    return out


def _scaled(values: Array, k: int) -> Array:
    if -1000 <= k <= 1000:
        values *= 2.0**k  # a power of two: exact, like ldexp, and much faster
    else:
        np.ldexp(values, k, out=values)
    return np.trunc(values, out=values)


def _block_sums(q: Array) -> Array | None:
    """[[0], [sum]] of the integer-valued ``q`` (as limbs: high 0): float sums of 4,096 integers below
    2**40 are exact."""
    whole = len(q) // _BLOCK * _BLOCK
    blocks = np.append(q[:whole].reshape(-1, _BLOCK).sum(axis=1), q[whole:].sum())
    if np.isnan(blocks).any():
        return None
    return np.array([[0], [int(blocks.astype(np.int64).sum())]], dtype=np.int64)  # a chunk sums below 2**58


def _limb_sums(q: Array, codes: Array, size: int) -> Array | None:
    """Per group, the sums of the high and low 20-bit limbs of ``q`` (exact: a chunk's limbs sum
    below 2**52)."""
    low = np.mod(q, _LIMB)  # exact: q is an integer below 2**40
    high = (q - low) / _LIMB
    sums = np.stack(
        [np.bincount(codes, weights=high, minlength=size), np.bincount(codes, weights=low, minlength=size)]
    )
    if np.isnan(sums).any():
        return None
    return sums.astype(np.int64)


def saturated(values: Sequence[int]) -> list[int]:
    return [max(-SATURATE, min(SATURATE, int(v))) for v in values]


# -- Laplace ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Noise:
    """A measurement ready to run: what it spends (its privacy map) and its noise scale."""

    measurement: Any
    epsilon: float
    scale: float


@lru_cache(maxsize=512)
def _laplace_at(scale: float, sensitivity: int) -> tuple[Any, float]:
    dp = opendp()
    made = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64"), scale)
    return made, float(made.map(sensitivity))


def laplace(sensitivity: int, epsilon: float) -> Noise:
    """OpenDP's integer Laplace for vectors whose L1 distance moves by at most ``sensitivity``,
    spending at most ``epsilon`` by its own privacy map."""
    if sensitivity >= SATURATE:
        raise InvalidInput("max_contributions is too large for a fixed-point sum")
    scale = sensitivity / epsilon
    while True:
        made, spent = _laplace_at(scale, sensitivity)
        if spent <= epsilon:
            return Noise(made, spent, scale)
        scale = math.nextafter(scale, math.inf)  # the map rounds up: one step more noise


@lru_cache(maxsize=512)
def accuracy(scale: float, alpha: float) -> int:
    """The integer ``a`` with P[|noise| > a] <= ``alpha`` for OpenDP's integer Laplace at ``scale``."""
    found = float(opendp().discrete_laplacian_scale_to_accuracy(scale, alpha))
    if math.isfinite(found):
        return max(0, math.floor(found))
    # OpenDP's answer underflows at tiny scales; there the noise is 0 but with probability 2p / (1 + p)
    p = math.exp(-1 / scale)
    if found < 0 and 2 * p / (1 + p) <= alpha:
        return 0
    raise InvalidInput("no interval can be given at this noise scale")


# -- quantiles -------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _quantile_at(candidates: tuple[float, ...], alpha: float, scale: float, rows: int) -> tuple[Any, float]:
    dp = opendp()
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.symmetric_distance()
    made = dp.m.make_private_quantile(*space, dp.max_divergence(), list(candidates), alpha, scale)
    # one subject's rows may fall in several groups: the groups together spend ``rows`` times one row's
    return made, max(float(made.map(rows)), rows * float(made.map(1)))


def quantile(candidates: tuple[float, ...], alpha: float, rows: int, epsilon: float) -> Noise:
    """OpenDP's private ``alpha``-quantile over ``candidates`` for subjects of at most ``rows`` rows,
    spending at most ``epsilon`` whichever groups those rows fall in."""
    _, per_row = _quantile_at(candidates, alpha, 1.0, 1)
    scale = rows * per_row / epsilon
    while True:
        made, spent = _quantile_at(candidates, alpha, scale, rows)
        if spent <= epsilon:
            return Noise(made, spent, scale)
        scale = math.nextafter(scale, math.inf)


def rank_error(scale: float, candidates: int, alpha: float) -> float:
    """Rows by which, with probability at least ``1 - alpha``, the chosen candidate's score
    ``|(1 - q) * below - q * above|`` exceeds the best candidate's: a union bound over the candidates
    of the noise's exponential tail."""
    return scale * (math.log(candidates) + math.log(1 / alpha))
