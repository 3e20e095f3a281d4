"""The accountant against dp-accounting computed directly: the canonical DP-SGD run, pure and zCDP
releases, and the vectorised RDP conversion against the library's own."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

dpa = pytest.importorskip("dp_accounting")

from dp_accounting.pld import privacy_loss_distribution as pld  # noqa: E402
from dp_accounting.rdp import rdp_privacy_accountant as rdp  # noqa: E402

from veil.dp import _accountant  # noqa: E402
from veil.dp._accountant import Composition  # noqa: E402
from veil.dp._mechanisms import Mechanism, PureDp, SubsampledGaussian, Zcdp, mechanism_from  # noqa: E402
from veil.errors import InvalidInput  # noqa: E402

DELTA = 1e-5
SGD = SubsampledGaussian(1.1, 256 / 60000, 60 * 60000 // 256)  # 60 epochs of MNIST-sized data


def _sgd_event() -> object:
    step = dpa.PoissonSampledDpEvent(256 / 60000, dpa.GaussianDpEvent(1.1))
    return dpa.SelfComposedDpEvent(step, 60 * 60000 // 256)


def test_the_canonical_dp_sgd_run_matches_dp_accounting_pld_and_rdp() -> None:
    accountant = dpa.pld.PLDAccountant()
    accountant.compose(_sgd_event())
    reference_pld = accountant.get_epsilon(DELTA)
    reference_rdp = dpa.rdp.RdpAccountant().compose(_sgd_event()).get_epsilon(DELTA)
    ours_pld = _accountant.pld_epsilon([SGD], DELTA)
    ours_rdp = Composition.empty().plus([SGD], DELTA).fast_bound(DELTA)
    assert ours_pld is not None
    assert abs(ours_pld - reference_pld) <= 0.01 * reference_pld
    assert 2.3 < ours_pld < 2.45  # the figure the literature quotes, about 2.38
    assert ours_rdp == pytest.approx(reference_rdp, rel=1e-9)
    # step-by-step summing, the naive figure, is thousands
    assert Composition.empty().plus([SGD], DELTA).naive_epsilon > 1000


def test_pure_releases_compose_below_their_sum_under_pld() -> None:
    releases = [PureDp(0.1)] * 200
    reference = pld.from_privacy_parameters(
        dpa.pld.common.DifferentialPrivacyParameters(0.1, 0)
    ).self_compose(200)
    tight = _accountant.pld_epsilon(releases, DELTA)
    assert tight == pytest.approx(reference.get_epsilon_for_delta(DELTA), rel=1e-9)
    assert tight is not None
    assert tight < 0.5 * 20.0  # basic composition: 200 * 0.1 = 20


def test_few_pure_releases_keep_their_exact_sum() -> None:
    composed = Composition.empty().plus([PureDp(0.25), PureDp(0.5)], DELTA)
    assert composed.naive_delta == 0
    assert composed.fast_bound(DELTA) == pytest.approx(0.75)  # RDP is looser here; the sum holds


def test_zcdp_releases_convert_through_rdp_and_have_no_pld() -> None:
    composed = Composition.empty().plus([Zcdp(0.01)] * 10, DELTA)
    reference = rdp.compute_epsilon(_accountant.orders(), [a * 0.1 for a in _accountant.orders()], DELTA)[0]
    assert composed.fast_bound(DELTA) == pytest.approx(reference, rel=1e-9)
    assert composed.fast_bound(DELTA) < 0.1 + 2 * math.sqrt(0.1 * math.log(1 / DELTA))  # the zCDP bound
    assert _accountant.pld_epsilon([Zcdp(0.01), PureDp(0.1)], DELTA) is None


def test_mixed_histories_compose_to_the_same_figure_in_any_order() -> None:
    history: list[Mechanism] = [PureDp(0.05), Zcdp(0.002), SubsampledGaussian(1.0, 0.01, 100), PureDp(0.05)]
    forward = Composition.empty().plus(history, DELTA).fast_bound(DELTA)
    backward = Composition.empty().plus(reversed(history), DELTA).fast_bound(DELTA)
    one_by_one = Composition.empty()
    for mechanism in history:
        one_by_one = one_by_one.plus([mechanism], DELTA)
    assert forward == pytest.approx(backward, rel=1e-12) == pytest.approx(one_by_one.fast_bound(DELTA))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 50, allow_nan=False), min_size=len(_accountant.orders()),
             max_size=len(_accountant.orders())),
    st.sampled_from([1e-3, 1e-5, 1e-9, 0.3]),
)  # fmt: skip
def test_the_vectorised_conversion_equals_dp_accounting(divergences: list[float], delta: float) -> None:
    expected, _order = rdp.compute_epsilon(_accountant.orders(), divergences, delta)
    assert _accountant.rdp_epsilon(divergences, delta) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: PureDp(-1.0), "epsilon"),
        (lambda: PureDp(float("nan")), "epsilon"),
        (lambda: PureDp(float("inf")), "epsilon"),
        (lambda: Zcdp(0), "rho"),
        (lambda: SubsampledGaussian(0.0, 0.1, 10), "noise_multiplier"),
        (lambda: SubsampledGaussian(1.0, 1.5, 10), "sampling_rate"),
        (lambda: SubsampledGaussian(1.0, 0.1, 0), "steps"),
    ],
)
def test_meaningless_guarantees_are_refused(make: object, field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        make()  # type: ignore[operator]


def test_stored_mechanisms_round_trip() -> None:
    for mechanism in (PureDp(0.3), Zcdp(0.01), SGD):
        assert mechanism_from(mechanism.kind, mechanism.params()) == mechanism
    with pytest.raises(InvalidInput, match="unknown mechanism"):
        mechanism_from("exponential", {})
