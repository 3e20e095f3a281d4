"""Private queries as typed specs: what an analyst may ask of a table (``release`` answers them).

``Count()``, ``Sum("age", 0, 120)``, ``Mean``, ``Variance``, ``Histogram("region", ["EU", "US"])``
and ``Quantiles("age", 0, 120, [0.5])``, each optionally grouped over declared groups
(``group_by="region", groups=["EU", "US"]``; rows outside them count in no group). Groups and
categories are declared, never read from the data (the set of values present would itself leak), and
bounds are explicit: a value query without them is refused, not guessed. Every spec is checked when
it is made, and each error names the field, never a value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from veil.dp._tables import Label
from veil.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Count:
    """The number of rows."""

    group_by: str | None = field(default=None, kw_only=True)
    groups: Sequence[Label] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _check_grouping(self)


@dataclass(frozen=True, slots=True)
class _ValueQuery:
    """What every query over the values of one column names: the column and its explicit bounds."""

    column: str
    lower: float | None = None
    upper: float | None = None
    group_by: str | None = field(default=None, kw_only=True)
    groups: Sequence[Label] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _check_value_query(self)


@dataclass(frozen=True, slots=True)
class Sum(_ValueQuery):
    """The sum of ``column``, each value clamped to ``[lower, upper]``."""


@dataclass(frozen=True, slots=True)
class Mean(_ValueQuery):
    """The mean of ``column``, each value clamped to ``[lower, upper]``."""


@dataclass(frozen=True, slots=True)
class Variance(_ValueQuery):
    """The population variance (``ddof=0``) of ``column``, clamped to ``[lower, upper]``."""


@dataclass(frozen=True, slots=True)
class Histogram:
    """Rows per declared category of ``column`` (other values count in none)."""

    column: str
    categories: Sequence[Label]
    group_by: str | None = field(default=None, kw_only=True)
    groups: Sequence[Label] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column", _column_name("column", self.column))
        object.__setattr__(self, "categories", _labels("categories", self.categories))
        _check_grouping(self)


@dataclass(frozen=True, slots=True)
class Quantiles(_ValueQuery):
    """The ``alphas``-quantiles of ``column``, chosen among ``candidates`` evenly spaced values of
    ``[lower, upper]`` (bounds included)."""

    alphas: Sequence[float] = (0.5,)
    candidates: int = field(default=1001, kw_only=True)

    def __post_init__(self) -> None:
        _check_value_query(self)
        alphas = (
            tuple(self.alphas)
            if isinstance(self.alphas, Sequence) and not isinstance(self.alphas, str)
            else ()
        )
        if not alphas or len(set(alphas)) != len(alphas) or not all(real(a) and 0 < a < 1 for a in alphas):
            raise InvalidInput("alphas must be distinct numbers between 0 and 1, at least one")
        object.__setattr__(self, "alphas", tuple(float(a) for a in alphas))
        count = self.candidates
        if isinstance(count, bool) or not isinstance(count, int) or not 2 <= count <= 100_000:
            raise InvalidInput("candidates must be an integer from 2 to 100000")


Query = Count | Sum | Mean | Variance | Histogram | Quantiles


def real(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def _column_name(what: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{what} must name a column")
    return value


def _labels(what: str, values: object) -> tuple[Label, ...]:
    labels = tuple(values) if isinstance(values, Sequence) and not isinstance(values, str) else ()
    kinds = {str if isinstance(v, str) else int if isinstance(v, int) else None for v in labels}
    if not labels or len(kinds) != 1 or None in kinds:
        raise InvalidInput(f"{what} must be a non-empty list of strings or of integers")
    if len(set(labels)) != len(labels):
        raise InvalidInput(f"{what} must be distinct")
    return labels


def _check_grouping(query: Any) -> None:
    if query.group_by is None:
        if query.groups is not None:
            raise InvalidInput("groups are declared only with group_by")
        return
    object.__setattr__(query, "group_by", _column_name("group_by", query.group_by))
    if query.groups is None:
        raise InvalidInput("group_by needs its groups declared: the groups must not come from the data")
    object.__setattr__(query, "groups", _labels("groups", query.groups))


def _check_value_query(query: Any) -> None:
    object.__setattr__(query, "column", _column_name("column", query.column))
    if query.lower is None or query.upper is None:
        raise InvalidInput(
            f"{type(query).__name__} needs explicit lower and upper bounds: they are not guessed"
        )
    for name in ("lower", "upper"):
        if not real(getattr(query, name)):
            raise InvalidInput(f"{name} must be a finite number")
        object.__setattr__(query, name, float(getattr(query, name)))
    if not query.lower < query.upper:
        raise InvalidInput("lower must be below upper")
    _check_grouping(query)
