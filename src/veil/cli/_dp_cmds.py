"""``veil dp``: privacy budgets per dataset and private queries over vault collections and files.

A budget holds only its terms and the mechanisms released, never a result or a value, so every
command here may print what it shows.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from veil.cli._context import Project, vault_of
from veil.cli._groups import Group
from veil.cli._io import UsageProblem
from veil.cli._show import FormatOption, ListFormat, moment, show_rows, to_json

dp_command = Group("dp", "Differential privacy: budgets per dataset, private queries, their history.")
RELEASE_COLUMNS = ["seq", "at", "actor", "purpose", "kind", "mechanisms", "spent_after"]

Dataset = Annotated[
    str, typer.Argument(metavar="DATASET", help="A vault collection or a registered dataset name.")
]


@dp_command("create")
def dp_create_command(
    dataset: Dataset,
    epsilon: Annotated[float, typer.Option(help="The total epsilon every release of the dataset shares.")],
    delta: Annotated[float, typer.Option(help="The total delta (0 for pure-DP releases only).")] = 1e-6,
    owner: Annotated[str, typer.Option(help="Who answers for the budget.")] = "privacy-office",
    max_contributions: Annotated[
        int, typer.Option(help="Rows one subject may contribute to any release (more are dropped).")
    ] = 1,
    project: Project = None,
) -> None:
    """Give a dataset a privacy budget (an existing one is never replaced)."""
    from veil.dp import Ledger

    with vault_of(project) as (vault, actor):
        budget = Ledger.for_vault(vault).create(
            dataset,
            epsilon=epsilon,
            delta=delta,
            owner=owner,
            max_contributions=max_contributions,
            actor=actor,
        )
    typer.echo(f"budget for {budget.dataset}: epsilon {budget.epsilon:g}, delta {budget.delta:g}, "
               f"at most {budget.max_contributions} row(s) per subject")  # fmt: skip


@dp_command("budget")
def dp_budget_command(
    dataset: Dataset, project: Project = None, form: FormatOption = ListFormat.table
) -> None:
    """Total, spent (tight and naive) and every release of a dataset's budget."""
    from veil.dp import Ledger

    with vault_of(project) as (vault, actor):
        report = Ledger.for_vault(vault).report(dataset, actor=actor)
    summary = _summary(report)
    rows = [_release_row(r) for r in report.releases]
    if form is ListFormat.json:
        typer.echo(to_json({**summary, "releases": rows}))
        return
    budget = report.budget
    typer.echo(f"{budget.dataset}: epsilon {budget.epsilon:g} at delta {budget.delta:g}, "
               f"owner {budget.owner}, "
               f"unit: {budget.unit} (at most {budget.max_contributions} row(s) each)")  # fmt: skip
    typer.echo(f"spent    {report.spent:.6g}   remaining {report.remaining:.6g}")
    pld = "n/a (a zCDP release)" if report.spent_pld is None else f"{report.spent_pld:.6g}"
    typer.echo(f"  PLD    {pld}")
    typer.echo(f"  RDP    {report.spent_rdp:.6g}")
    typer.echo(
        f"  naive  {report.naive_epsilon:.6g} at delta {report.naive_delta:.3g} (summing every release)"
    )
    show_rows([{**r, "at": moment(r["at"])} for r in rows], RELEASE_COLUMNS, form, title="releases")


def _summary(report: Any) -> dict[str, Any]:
    budget = report.budget
    return {
        "dataset": budget.dataset, "epsilon": budget.epsilon, "delta": budget.delta, "owner": budget.owner,
        "unit": budget.unit, "max_contributions": budget.max_contributions, "spent": report.spent,
        "remaining": report.remaining, "spent_pld": report.spent_pld, "spent_rdp": report.spent_rdp,
        "naive_epsilon": report.naive_epsilon, "naive_delta": report.naive_delta,
    }  # fmt: skip


def _release_row(release: Any) -> dict[str, Any]:
    mechanisms = ", ".join(
        f"{m.kind}({', '.join(f'{k}={v:g}' for k, v in m.params().items())})" for m in release.mechanisms
    )
    return {
        "seq": release.seq, "release_id": release.release_id, "at": release.at, "actor": release.actor,
        "purpose": release.purpose, "kind": release.kind, "mechanisms": mechanisms,
        "details": dict(release.details), "spent_after": round(release.spent_after, 6),
    }  # fmt: skip


class QueryKind(StrEnum):
    COUNT = "count"
    SUM = "sum"
    MEAN = "mean"
    VARIANCE = "variance"
    HISTOGRAM = "histogram"
    QUANTILES = "quantiles"


Labels = Annotated[
    list[str] | None, typer.Option(metavar="LABEL", help="Repeat for each (integers if all are).")
]


@dp_command("query")
def dp_query_command(
    dataset: Dataset,
    kind: Annotated[QueryKind, typer.Argument(help="count, sum, mean, variance, histogram or quantiles.")],
    epsilon: Annotated[float, typer.Option(help="What this release spends of the dataset's budget.")],
    purpose: Annotated[str, typer.Option(help="The purpose the release serves (decided by the policy).")],
    column: Annotated[str | None, typer.Option(help="The column (a field of the collection).")] = None,
    lower: Annotated[float | None, typer.Option(help="Values below are clamped up to it (required).")] = None,
    upper: Annotated[
        float | None, typer.Option(help="Values above are clamped down to it (required).")
    ] = None,
    category: Labels = None,
    alpha: Annotated[
        list[float] | None, typer.Option(help="A quantile to release, e.g. 0.5 (repeat).")
    ] = None,
    group_by: Annotated[
        str | None, typer.Option(help="A column whose declared groups split the result.")
    ] = None,
    group: Labels = None,
    confidence: Annotated[float, typer.Option(help="The level of the error bars.")] = 0.95,
    file: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="A CSV or Parquet file instead of the vault collection."),
    ] = None,
    subject_column: Annotated[
        str | None, typer.Option(help="With --file: the column of subject ids.")
    ] = None,
    project: Project = None,
    form: FormatOption = ListFormat.table,
) -> None:
    """Release a noisy statistic with its error bar, charged to the dataset's budget first."""
    from veil.dp import release

    query = _query(kind, column, lower, upper, category, alpha, group_by, group)
    with vault_of(project) as (vault, actor):
        from veil.dp import Ledger

        table = _table(vault, dataset, query, purpose, actor, file, subject_column)
        result = release(Ledger.for_vault(vault), dataset, table, query, epsilon=epsilon, actor=actor,
                         purpose=purpose, confidence=confidence)  # fmt: skip
    rows = [_estimate_row(key, estimate) for key, estimate in result.estimates.items()]
    if form is ListFormat.json:
        typer.echo(to_json({"kind": result.kind, "confidence": result.confidence, "epsilon": result.epsilon,
                            "release_id": result.release_id, "epsilon_remaining": result.epsilon_remaining,
                            "estimates": rows}))  # fmt: skip
        return
    typer.echo(f"{result.kind} of {dataset}: epsilon {result.epsilon:.6g} spent, "
               f"{result.epsilon_remaining:.6g} left (release {result.release_id})")  # fmt: skip
    # a quantile has no interval in values, only the rows by which its rank may be off
    spread = ["rank_error"] if kind is QueryKind.QUANTILES else ["low", "high"]
    columns = ["group", "value", *spread]
    show_rows(rows, columns, form, title=f"estimates at {confidence:.0%} confidence")


def _labels(values: list[str] | None) -> list[str] | list[int] | None:
    if values is None:
        return None
    try:
        return [int(v) for v in values]
    except ValueError:
        return values


def _query(kind: QueryKind, column: str | None, lower: float | None, upper: float | None,
           category: list[str] | None, alpha: list[float] | None, group_by: str | None,
           group: list[str] | None) -> Any:  # fmt: skip
    from veil.dp import Count, Histogram, Mean, Quantiles, Sum, Variance

    grouping: dict[str, Any] = {"group_by": group_by, "groups": _labels(group)}
    if kind is QueryKind.COUNT:
        return Count(**grouping)
    if column is None:
        raise UsageProblem(f"{kind.value} needs --column")
    if kind is QueryKind.HISTOGRAM:
        if not category:
            raise UsageProblem("histogram needs its categories declared: --category (repeat)")
        return Histogram(column, _labels(category) or [], **grouping)
    if kind is QueryKind.QUANTILES:
        return Quantiles(column, lower, upper, tuple(alpha or (0.5,)), **grouping)
    return {QueryKind.SUM: Sum, QueryKind.MEAN: Mean, QueryKind.VARIANCE: Variance}[kind](
        column, lower, upper, **grouping
    )


def _table(vault: Any, dataset: str, query: Any, purpose: str, actor: str, file: Path | None,
           subject_column: str | None) -> Any:  # fmt: skip
    from veil.dp import Table

    if file is not None:
        if subject_column is None:
            raise UsageProblem("--file needs --subject-column: the column that names each row's subject")
        return Table.from_arrow(_read_table(file), subject=subject_column)
    fields = [name for name in (getattr(query, "column", None), query.group_by) if name]
    if not fields:  # a plain count still reads one field the purpose may see, to know the rows
        spec = vault.schema.collection(dataset)
        fields = [f.name for f in spec.fields_for(purpose)][:1]
    return Table.from_vault(vault, dataset, fields=fields, purpose=purpose, actor=actor)


def _read_table(file: Path) -> Any:
    try:
        import pyarrow.csv
        import pyarrow.parquet
    except ModuleNotFoundError:
        raise UsageProblem("reading a file needs pyarrow: pip install 'veil[parquet]'") from None
    if not file.is_file():
        raise UsageProblem(f"{file.name}: no such file")
    if file.suffix.lower() == ".parquet":
        return pyarrow.parquet.read_table(file)
    if file.suffix.lower() in {".csv", ".tsv"}:
        options = pyarrow.csv.ParseOptions(delimiter="\t" if file.suffix.lower() == ".tsv" else ",")
        return pyarrow.csv.read_csv(file, parse_options=options)
    raise UsageProblem(f"{file.name}: --file reads .csv, .tsv or .parquet")


def _estimate_row(key: tuple[Any, ...], estimate: Any) -> dict[str, Any]:
    group = "/".join(str(k) for k in key) if key else "all"
    return {"group": group, "value": round(estimate.value, 6), "low": estimate.low, "high": estimate.high,
            "rank_error": estimate.rank_error}  # fmt: skip
