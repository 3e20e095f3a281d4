"""Composition of a dataset's releases: cumulative epsilon at the budget's delta, tight and naive.

Three valid upper bounds on the same composed privacy loss are kept, and the smallest is what a
budget has spent:

* Renyi DP (RDP): per mechanism a vector of Renyi divergences at fixed orders; composition adds the
  vectors, so a charge costs O(orders) whatever the history (dp-accounting computes the vectors and
  the conversion to epsilon);
* privacy-loss distributions (PLD), tighter still (about 2.38 against RDP's 2.60 on the canonical
  DP-SGD run), computed from the grouped history on demand, because convolving distributions per
  charge would make every charge slower than the last;
* basic composition (epsilons and deltas summed), shown to make the gain visible and used only
  while its summed delta stays within the budget's.

dp-accounting is imported on use: ``veil.dp`` without the ``dp`` extra raises one clear line.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from veil.dp._mechanisms import Mechanism, PureDp, SubsampledGaussian, Zcdp
from veil.errors import DependencyMissing

#: Beyond this many distinct mechanisms the PLD bound is not computed (RDP and basic still hold).
PLD_MAX_GROUPS = 64


def _dp_accounting() -> Any:
    try:
        import dp_accounting
        import dp_accounting.pld.privacy_loss_distribution
        import dp_accounting.rdp
    except ModuleNotFoundError:
        raise DependencyMissing("dp", "differential privacy") from None
    return dp_accounting


@cache
def orders() -> tuple[float, ...]:
    """The Renyi orders every stored vector is indexed by (dp-accounting's defaults)."""
    return tuple(float(o) for o in _dp_accounting().rdp.rdp_privacy_accountant.DEFAULT_RDP_ORDERS)


@cache
def rdp_of(mechanism: Mechanism) -> tuple[float, ...]:
    """The Renyi divergence of one mechanism at each of ``orders()``."""
    if isinstance(mechanism, PureDp):
        # an epsilon-DP mechanism is (epsilon**2 / 2)-zCDP (Bun and Steinke 2016, prop. 3.3) and never
        # diverges by more than epsilon at any order
        eps = mechanism.epsilon
        return tuple(min(eps, a * eps * eps / 2) for a in orders())
    if isinstance(mechanism, Zcdp):
        return tuple(a * mechanism.rho for a in orders())
    # RDP composes by addition: a run of n steps diverges n times as much as one step
    step = _sgd_step_rdp(mechanism.noise_multiplier, mechanism.sampling_rate)
    return tuple(mechanism.steps * v for v in step)


@cache
def _sgd_step_rdp(noise_multiplier: float, sampling_rate: float) -> tuple[float, ...]:
    dpa = _dp_accounting()
    accountant = dpa.rdp.RdpAccountant(list(orders()))
    accountant.compose(dpa.PoissonSampledDpEvent(sampling_rate, dpa.GaussianDpEvent(noise_multiplier)))
    return tuple(float(v) for v in accountant.rdp)


@cache
def _rdp_array(mechanism: Mechanism) -> Any:
    import numpy as np

    return np.asarray(rdp_of(mechanism), dtype=float)


def rdp_epsilon(rdp: Sequence[float], delta: float) -> float:
    """The epsilon at ``delta`` of a cumulative RDP vector.

    dp-accounting's ``compute_epsilon`` (the conversion of Canonne, Kamath and Steinke 2020, prop. 12)
    done over numpy arrays: its loop over the orders cost 180 us a charge. A test holds the two equal.
    """
    import numpy as np

    r = rdp if isinstance(rdp, np.ndarray) else np.asarray(rdp, dtype=float)
    if not r.any():
        return 0.0
    if delta == 0:  # Renyi DP gives no pure guarantee
        return math.inf
    eps = r + _conversion_offset(delta)
    eps[delta**2 + np.expm1(-r) > 0] = 0.0  # the KL bound already gives delta at that order
    eps[r < 0] = 0.0
    return max(0.0, float(eps.min()))


@cache
def _conversion_offset(delta: float) -> Any:
    """What prop. 12 adds to each order's divergence at ``delta`` (infinite at orders it cannot use)."""
    import numpy as np

    a = _orders_array()
    offset = np.full(a.shape, np.inf)
    usable = a > 1.01
    b = a[usable]
    offset[usable] = np.log1p(-1 / b) - np.log(delta * b) / (b - 1)
    return offset


@cache
def _orders_array() -> Any:
    import numpy as np

    return np.asarray(orders(), dtype=float)


@cache
def naive_of(mechanism: Mechanism, delta: float) -> tuple[float, float]:
    """Basic composition's view of one mechanism: its own (epsilon, delta), each step counted apart."""
    if isinstance(mechanism, PureDp):
        return mechanism.epsilon, 0.0
    if isinstance(mechanism, Zcdp):
        rho = mechanism.rho
        if delta == 0:
            return math.inf, 0.0
        return rho + 2 * math.sqrt(rho * math.log(1 / delta)), delta
    step = _sgd_step_rdp(mechanism.noise_multiplier, mechanism.sampling_rate)
    return mechanism.steps * rdp_epsilon(step, delta), mechanism.steps * delta


def pld_epsilon(mechanisms: Iterable[Mechanism], delta: float) -> float | None:
    """The PLD bound for all of ``mechanisms`` at ``delta``; None where PLD does not apply (a zCDP
    release has no privacy-loss distribution of its own) or the history has too many distinct ones."""
    groups = Counter(mechanisms)
    if not groups:
        return 0.0
    if len(groups) > PLD_MAX_GROUPS or any(isinstance(m, Zcdp) for m in groups):
        return None
    pld = _dp_accounting().pld.privacy_loss_distribution
    composed = None
    for mechanism, count in sorted(groups.items(), key=lambda item: repr(item[0])):
        one = _pld_of(pld, mechanism, count)
        composed = one if composed is None else composed.compose(one)
    assert composed is not None
    return float(composed.get_epsilon_for_delta(delta))


def _pld_of(pld: Any, mechanism: Mechanism, count: int) -> Any:
    if isinstance(mechanism, PureDp):
        # the distribution dominating every epsilon-DP mechanism (Kairouz et al. 2015, optimal composition)
        params = _dp_accounting().pld.common.DifferentialPrivacyParameters(mechanism.epsilon, 0.0)
        return pld.from_privacy_parameters(params).self_compose(count)
    assert isinstance(mechanism, SubsampledGaussian)
    one = pld.from_gaussian_mechanism(mechanism.noise_multiplier, sampling_prob=mechanism.sampling_rate)
    return one.self_compose(mechanism.steps * count)


@dataclass(frozen=True, slots=True)
class Composition:
    """A dataset's running composition: what every charge reads and rewrites under the budget's lock."""

    rdp: Any  # numpy float array, one entry per order
    naive_epsilon: float
    naive_delta: float

    @classmethod
    def empty(cls) -> Composition:
        import numpy as np

        return cls(np.zeros(len(orders())), 0.0, 0.0)

    def plus(self, mechanisms: Iterable[Mechanism], delta: float) -> Composition:
        rdp = self.rdp
        naive_epsilon, naive_delta = self.naive_epsilon, self.naive_delta
        for mechanism in mechanisms:
            rdp = rdp + _rdp_array(mechanism)
            eps, dlt = naive_of(mechanism, delta)
            naive_epsilon, naive_delta = naive_epsilon + eps, naive_delta + dlt
        return Composition(rdp, naive_epsilon, naive_delta)

    def fast_bound(self, delta: float) -> float:
        """The smaller of the RDP and (where its delta fits) the basic-composition bound."""
        bound = rdp_epsilon(self.rdp, delta)
        if self.naive_delta <= delta:
            bound = min(bound, self.naive_epsilon)
        return bound
