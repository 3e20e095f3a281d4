"""What a release spends, as the accountant sees it: the privacy guarantee of each mechanism run.

Three shapes cover what Veil releases: any pure epsilon-DP mechanism (OpenDP's Laplace, discrete
Laplace and the histograms built on them), a rho-zCDP mechanism (OpenDP's Gaussian) and the
Poisson-subsampled Gaussian of DP-SGD, run ``steps`` times. Each is validated on construction,
so a ledger never stores a guarantee that means nothing (negative, infinite, NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from veil.errors import InvalidInput


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a positive finite number")
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"{name} must be a positive finite number")
    return float(value)


@dataclass(frozen=True, slots=True)
class PureDp:
    """One run of an epsilon-DP mechanism (delta 0)."""

    epsilon: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", _positive("epsilon", self.epsilon))

    @property
    def kind(self) -> str:
        return "pure"

    def params(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon}


@dataclass(frozen=True, slots=True)
class Zcdp:
    """One run of a rho-zCDP mechanism (a Gaussian: rho = sensitivity**2 / (2 * sigma**2))."""

    rho: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "rho", _positive("rho", self.rho))

    @property
    def kind(self) -> str:
        return "zcdp"

    def params(self) -> dict[str, Any]:
        return {"rho": self.rho}


@dataclass(frozen=True, slots=True)
class SubsampledGaussian:
    """``steps`` runs of a Gaussian with ``noise_multiplier`` (sigma / clipping norm) on a Poisson
    sample of rate ``sampling_rate``: DP-SGD."""

    noise_multiplier: float
    sampling_rate: float
    steps: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "noise_multiplier", _positive("noise_multiplier", self.noise_multiplier))
        rate = _positive("sampling_rate", self.sampling_rate)
        if rate > 1:
            raise InvalidInput("sampling_rate must be at most 1")
        object.__setattr__(self, "sampling_rate", rate)
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise InvalidInput("steps must be a positive integer")

    @property
    def kind(self) -> str:
        return "subsampled_gaussian"

    def params(self) -> dict[str, Any]:
        return {
            "noise_multiplier": self.noise_multiplier,
            "sampling_rate": self.sampling_rate,
            "steps": self.steps,
        }


Mechanism = PureDp | Zcdp | SubsampledGaussian


def mechanism_from(kind: str, params: dict[str, Any]) -> Mechanism:
    """The mechanism a stored release names (the inverse of ``kind`` and ``params()``)."""
    if kind == "pure":
        return PureDp(params["epsilon"])
    if kind == "zcdp":
        return Zcdp(params["rho"])
    if kind == "subsampled_gaussian":
        return SubsampledGaussian(params["noise_multiplier"], params["sampling_rate"], params["steps"])
    raise InvalidInput(f"unknown mechanism kind {kind!r}")
