"""Query specs: explicit bounds, declared groups and categories, and errors that name the field."""

from __future__ import annotations

import math
from typing import Any

import pytest

from veil.dp._queries import Count, Histogram, Mean, Quantiles, Sum, Variance
from veil.errors import InvalidInput

VALUE_QUERIES = [Sum, Mean, Variance, Quantiles]


@pytest.mark.parametrize("kind", VALUE_QUERIES)
def test_a_value_query_without_bounds_is_refused_not_guessed(kind: Any) -> None:
    for args in ((), (0,), (None, 10)):
        with pytest.raises(InvalidInput, match=f"{kind.__name__} needs explicit lower and upper bounds"):
            kind("age", *args)


@pytest.mark.parametrize("kind", VALUE_QUERIES)
@pytest.mark.parametrize(
    ("lower", "upper", "message"),
    [
        (10, 0, "lower must be below upper"),
        (5, 5, "lower must be below upper"),
        (math.nan, 1, "lower must be a finite number"),
        (0, math.inf, "upper must be a finite number"),
        (False, 1, "lower must be a finite number"),
        ("0", 1, "lower must be a finite number"),
    ],
)
def test_bounds_must_be_finite_and_ordered(kind: Any, lower: Any, upper: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        kind("age", lower, upper)


def test_bounds_are_kept_as_floats() -> None:
    query = Sum("age", 0, 120)
    assert (query.lower, query.upper) == (0.0, 120.0)
    assert isinstance(query.lower, float)


@pytest.mark.parametrize("column", ["", None, 3])
def test_a_value_query_names_its_column(column: Any) -> None:
    with pytest.raises(InvalidInput, match=r"^column must name a column$"):
        Mean(column, 0, 1)


def test_group_by_needs_declared_groups_and_groups_need_group_by() -> None:
    with pytest.raises(InvalidInput, match="group_by needs its groups declared"):
        Count(group_by="region")
    with pytest.raises(InvalidInput, match="groups are declared only with group_by"):
        Sum("age", 0, 1, groups=["EU"])
    with pytest.raises(InvalidInput, match="group_by must name a column"):
        Count(group_by="", groups=["EU"])


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([], "groups must be a non-empty list"),
        ("EU", "groups must be a non-empty list"),
        (["EU", 1], "groups must be a non-empty list of strings or of integers"),
        ([1.5], "groups must be a non-empty list of strings or of integers"),
        (["EU", "EU"], "groups must be distinct"),
    ],
)
def test_groups_must_be_a_distinct_list_of_one_type(groups: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Count(group_by="region", groups=groups)


def test_declared_groups_are_kept_in_order_as_a_tuple() -> None:
    assert Count(group_by="region", groups=["US", "EU"]).groups == ("US", "EU")
    assert Mean("age", 0, 1, group_by="year", groups=[2024, 2025]).groups == (2024, 2025)


def test_a_histogram_needs_declared_categories() -> None:
    with pytest.raises(InvalidInput, match="categories must be a non-empty list"):
        Histogram("region", [])
    with pytest.raises(InvalidInput, match="categories must be distinct"):
        Histogram("region", ["EU", "EU"])
    assert Histogram("region", ["EU", "US"]).categories == ("EU", "US")


@pytest.mark.parametrize("alphas", [(), (0.0,), (1.0,), (0.5, 0.5), (math.nan,), "0.5", (True,)])
def test_quantile_alphas_must_be_distinct_and_strictly_between_0_and_1(alphas: Any) -> None:
    with pytest.raises(InvalidInput, match="alphas must be distinct numbers between 0 and 1"):
        Quantiles("age", 0, 100, alphas)


@pytest.mark.parametrize("candidates", [1, 0, 100_001, 2.5, True])
def test_quantile_candidates_must_be_a_sensible_count(candidates: Any) -> None:
    with pytest.raises(InvalidInput, match="candidates must be an integer from 2 to 100000"):
        Quantiles("age", 0, 100, candidates=candidates)


def test_errors_never_quote_the_values_given(canary_pii: Any) -> None:
    for make in (
        lambda: Count(group_by="region", groups=[canary_pii.email, canary_pii.email]),
        lambda: Sum("age", canary_pii.ssn, 1),
        lambda: Histogram("region", [canary_pii.card, 3]),
    ):
        with pytest.raises(InvalidInput) as refused:
            make()
        canary_pii.assert_absent(refused.value.message)
