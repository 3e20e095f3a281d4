"""Differential privacy: a privacy budget per dataset, tight composition, private queries and training.

A ``Ledger`` keeps each dataset's total (epsilon, delta) in the vault's database and charges every
release before it happens, atomically, composing the releases with Renyi-DP and privacy-loss
distribution accountants (Google's dp-accounting); queries draw their noise from OpenDP's vetted
mechanisms; ``veil.dp.train`` wraps Opacus for DP-SGD (extra ``veil[train]``).
"""

from __future__ import annotations

from veil.dp._ledger import Budget, BudgetReport, Charge, Ledger, Release
from veil.dp._mechanisms import Mechanism, PureDp, SubsampledGaussian, Zcdp

__all__ = [
    "Budget",
    "BudgetReport",
    "Charge",
    "Ledger",
    "Mechanism",
    "PureDp",
    "Release",
    "SubsampledGaussian",
    "Zcdp",
]
