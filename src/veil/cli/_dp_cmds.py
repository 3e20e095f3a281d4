"""``veil dp``: privacy budgets per dataset and private queries over vault collections and files.

A budget holds only its terms and the mechanisms released, never a result or a value, so every
command here may print what it shows.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from veil.cli._context import Project, vault_of
from veil.cli._groups import Group
from veil.cli._show import FormatOption, ListFormat, moment, show_rows, to_json

dp_command = Group("dp", "Differential privacy: budgets per dataset, private queries, their history.")
RELEASE_COLUMNS = ["seq", "at", "actor", "purpose", "kind", "mechanisms", "spent_after"]

Dataset = Annotated[str, typer.Argument(metavar="DATASET", help="A vault collection or a registered dataset name.")]


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
            dataset, epsilon=epsilon, delta=delta, owner=owner, max_contributions=max_contributions, actor=actor
        )
    typer.echo(f"budget for {budget.dataset}: epsilon {budget.epsilon:g}, delta {budget.delta:g}, "
               f"at most {budget.max_contributions} row(s) per subject")  # fmt: skip


@dp_command("budget")
def dp_budget_command(dataset: Dataset, project: Project = None, form: FormatOption = ListFormat.table) -> None:
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
    typer.echo(f"{budget.dataset}: epsilon {budget.epsilon:g} at delta {budget.delta:g}, owner {budget.owner}, "
               f"unit: {budget.unit} (at most {budget.max_contributions} row(s) each)")  # fmt: skip
    typer.echo(f"spent    {report.spent:.6g}   remaining {report.remaining:.6g}")
    pld = "n/a (a zCDP release)" if report.spent_pld is None else f"{report.spent_pld:.6g}"
    typer.echo(f"  PLD    {pld}")
    typer.echo(f"  RDP    {report.spent_rdp:.6g}")
    typer.echo(f"  naive  {report.naive_epsilon:.6g} at delta {report.naive_delta:.3g} (summing every release)")
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
