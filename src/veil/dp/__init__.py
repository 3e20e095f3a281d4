"""Differential privacy: a privacy budget per dataset, tight composition, private queries and training.

A ``Ledger`` keeps each dataset's total (epsilon, delta) in the vault's database and charges every
release before it happens, atomically, composing the releases with Renyi-DP and privacy-loss
distribution accountants (Google's dp-accounting); queries draw their noise from OpenDP's vetted
mechanisms; ``veil.dp.train`` wraps Opacus for DP-SGD (extra ``veil[train]``).
"""

from __future__ import annotations

from veil.dp._ledger import Budget, BudgetReport, Charge, Ledger, Release
from veil.dp._mechanisms import Mechanism, PureDp, SubsampledGaussian, Zcdp
from veil.dp._queries import Count, Histogram, Mean, Quantiles, Query, Sum, Variance
from veil.dp._release import DpResult, Estimate, release
from veil.dp._tables import Table, bound_contributions
from veil.errors import BudgetExhausted

__all__ = [
    "Budget",
    "BudgetExhausted",
    "BudgetReport",
    "Charge",
    "Count",
    "DpResult",
    "Estimate",
    "Histogram",
    "Ledger",
    "Mean",
    "Mechanism",
    "PureDp",
    "Quantiles",
    "Query",
    "Release",
    "SubsampledGaussian",
    "Sum",
    "Table",
    "Variance",
    "Zcdp",
    "bound_contributions",
    "release",
]
