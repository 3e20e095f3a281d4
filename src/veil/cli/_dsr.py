"""``veil dsr``: data subject requests (open, list, overdue, extend, export, erase, rectify, reject).

Only ``veil dsr export`` prints personal data: it exists to hand the subject their data.
Receipts and listings carry ids, counts and dates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from veil.cli._app import EXIT_FAILURE
from veil.cli._context import Project, vault_of
from veil.cli._groups import Group
from veil.cli._show import FormatOption, ListFormat, private_output, show_rows, to_json
from veil.cli._values import FieldValues, field_values
from veil.dsr import DataSubjectRequests, DsrRequest
from veil.vault import RequestKind

dsr_command = Group("dsr", "Data subject requests: access, portability, erasure and rectification, "
                           "on their regulation's deadline.")

COLUMNS = ("request_id", "subject_id", "kind", "status", "profile", "received_at", "deadline", "extended",
           "completed_at")
RequestId = Annotated[str, typer.Argument(metavar="ID", help="The request id `veil dsr open` printed.")]


def _row(request: DsrRequest) -> dict[str, object]:
    return {column: getattr(request, column) for column in COLUMNS}


def _show(requests: list[DsrRequest], form: ListFormat, title: str) -> None:
    show_rows([_row(r) for r in requests], COLUMNS, form, title=title)


@dsr_command("open")
def dsr_open_command(
    subject: Annotated[str, typer.Argument(metavar="SUBJECT", help="The subject id the request is about.")],
    kind: Annotated[RequestKind, typer.Argument(metavar="KIND", help="access, portability, erasure or "
                                                                     "rectification.")],
    region: Annotated[str | None, typer.Option(
        "--region", metavar="REGION",
        help="The subject's region, when the vault does not know them.")] = None,
    project: Project = None,
    form: FormatOption = ListFormat.table,
) -> None:
    """Record a request received now; its deadline comes from the subject's regulation profile."""
    with vault_of(project) as (vault, actor):
        request = DataSubjectRequests(vault).open(subject, kind.value, region=region, actor=actor)
    if form is ListFormat.json:
        typer.echo(to_json(_row(request)))
    else:
        _show([request], form, "opened")


@dsr_command("list")
def dsr_list_command(
    status: Annotated[str | None, typer.Option(
        "--status", metavar="STATUS",
        help="Only requests that are open, extended, completed or rejected.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", metavar="SUBJECT", help="Only the requests of this subject.")] = None,
    project: Project = None,
    form: FormatOption = ListFormat.table,
) -> None:
    """List requests, oldest first."""
    with vault_of(project) as (vault, _):
        found = DataSubjectRequests(vault).list(status=status, subject_id=subject)
    _show(found, form, "requests")


@dsr_command("overdue")
def dsr_overdue_command(project: Project = None, form: FormatOption = ListFormat.table) -> None:
    """List open requests past their deadline; exit status 1 when there are any."""
    with vault_of(project) as (vault, _):
        late = DataSubjectRequests(vault).overdue()
    _show(late, form, "overdue requests")
    if late:
        raise typer.Exit(EXIT_FAILURE)


@dsr_command("extend")
def dsr_extend_command(request_id: RequestId, project: Project = None) -> None:
    """Apply the regulation's one deadline extension (tell the subject, and why, in time)."""
    with vault_of(project) as (vault, actor):
        request = DataSubjectRequests(vault).extend(request_id, actor=actor)
    typer.echo(f"request {request.request_id} extended: due {request.deadline.isoformat(timespec='seconds')}")


@dsr_command("export")
def dsr_export_command(
    request_id: RequestId,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", dir_okay=False,
        help="Write the bundle to FILE, created readable by its owner only (default: stdout).")] = None,
    project: Project = None,
) -> None:
    """Answer an access or portability request: the subject's data as one JSON bundle."""
    with private_output(output) as stream, vault_of(project) as (vault, actor):
        stream.write(to_json(DataSubjectRequests(vault).export(request_id, actor=actor)) + "\n")
    if output is not None:
        typer.echo(f"wrote the export of request {request_id} to {output}", err=True)


@dsr_command("erase")
def dsr_erase_command(request_id: RequestId, project: Project = None) -> None:
    """Answer an erasure request by crypto-shredding the subject; prints the signed receipt (JSON)."""
    with vault_of(project) as (vault, actor):
        receipt = DataSubjectRequests(vault).erase(request_id, actor=actor)
    typer.echo(receipt.to_json())


@dsr_command("rectify")
def dsr_rectify_command(
    request_id: RequestId,
    collection: Annotated[str, typer.Argument(metavar="COLLECTION", help="The collection of the record.")],
    record_id: Annotated[str, typer.Argument(metavar="RECORD_ID", help="The subject's record to correct.")],
    values: FieldValues,
    project: Project = None,
) -> None:
    """Answer a rectification request: correct fields of one record; prints the signed receipt (JSON)."""
    with vault_of(project) as (vault, actor):
        parsed = field_values(values, vault.schema.collection(collection))
        receipt = DataSubjectRequests(vault).rectify(request_id, collection, record_id, parsed, actor=actor)
    typer.echo(receipt.to_json())


@dsr_command("reject")
def dsr_reject_command(
    request_id: RequestId,
    reason: Annotated[str, typer.Option("--reason", metavar="CODE", help=(
        "Why: identity_not_verified, manifestly_unfounded, excessive or legal_hold."))],
    project: Project = None,
) -> None:
    """Close a request unanswered, for a reason code (never free text)."""
    with vault_of(project) as (vault, actor):
        request = DataSubjectRequests(vault).reject(request_id, reason=reason, actor=actor)
    typer.echo(f"request {request.request_id} rejected ({reason})")
