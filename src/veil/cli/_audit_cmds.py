"""``veil audit``: signed heads, full verification, proofs and queries of the tamper-evident log.

Entries hold ids, names and counts only, so every command here may print them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from veil.audit import AuditEntry, FileWitness, SignedHead, verify_consistency_bundle, verify_inclusion_bundle
from veil.cli._app import EXIT_FAILURE, fail
from veil.cli._context import Project, vault_of
from veil.cli._groups import Group
from veil.cli._io import UsageProblem
from veil.cli._show import FormatOption, ListFormat, show_rows, to_json

audit_command = Group("audit", "The tamper-evident audit log: signed heads, verification, proofs, queries.")

WitnessFile = Annotated[
    Path | None,
    typer.Option(
        "--witness",
        metavar="FILE",
        dir_okay=False,
        help="A witness file (JSON Lines of signed heads) kept outside the database.",
    ),
]
COLUMNS = ["index", "at", "actor", "action", "resource", "subject", "purpose", "decision", "rule", "counts"]


@audit_command("head")
def audit_head_command(
    project: Project = None,
    sign: Annotated[bool, typer.Option("--sign", help="Sign the current tree head first.")] = False,
    export: WitnessFile = None,
) -> None:
    """Print the latest signed tree head (a C2SP checkpoint); --sign makes one for the current tree,
    --witness FILE also hands it, with a consistency proof, to a witness file."""
    with vault_of(project) as (vault, _):
        log = vault.audit
        head: SignedHead | None
        if export is not None:
            head = log.export_head(FileWitness(export, log.verifier_key(), origin=log.origin))
        else:
            head = log.sign_head() if sign else log.latest_head()
    if head is None:
        fail("no signed tree head yet: run `veil audit head --sign`", EXIT_FAILURE)
    typer.echo(head.note, nl=False)


@audit_command("key")
def audit_key_command(project: Project = None) -> None:
    """Print the verifier key (C2SP vkey) that checks this log's signed heads and proofs."""
    with vault_of(project) as (vault, _):
        typer.echo(vault.audit.verifier_key())


@audit_command("verify")
def audit_verify_command(project: Project = None, witness: WitnessFile = None) -> None:
    """Recompute the tree from every stored entry and check every signed head (and a witness's)."""
    with vault_of(project) as (vault, _):
        log = vault.audit
        external = FileWitness(witness, log.verifier_key(), origin=log.origin).notes() if witness else []
        result = log.verify(external=external)
    if not result.ok:
        fail(f"audit log fails verification at entry {result.first_bad}: {result.problem}", EXIT_FAILURE)
    typer.echo(f"audit log verified: {result.size} entries, {result.heads_checked} signed heads checked")


@audit_command("query")
def audit_query_command(
    project: Project = None,
    actor: Annotated[str | None, typer.Option(help="Only entries of this principal.")] = None,
    subject: Annotated[str | None, typer.Option(help="Only entries about this subject id.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. vault.get.")] = None,
    purpose: Annotated[str | None, typer.Option(help="Only this purpose.")] = None,
    decision: Annotated[str | None, typer.Option(help="allow, deny or error.")] = None,
    since: Annotated[datetime | None, typer.Option(help="From this time (ISO 8601, UTC if no zone).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Before this time.")] = None,
    after: Annotated[int, typer.Option(help="Entries after this index (the last one of a page).")] = -1,
    limit: Annotated[int, typer.Option(help="Entries per page (1-1000).")] = 100,
    form: FormatOption = ListFormat.table,
) -> None:
    """Entries in order, filtered; page with --after LAST_INDEX."""
    with vault_of(project) as (vault, _):
        found = vault.audit.entries(
            actor=actor, subject=subject, action=action, purpose=purpose, decision=decision,
            since=_aware(since), until=_aware(until), after=after, limit=limit,
        )  # fmt: skip
    show_rows([_row(entry) for entry in found], COLUMNS, form, title="audit entries")


@audit_command("prove")
def audit_prove_command(
    index: Annotated[int, typer.Argument(metavar="INDEX", help="The entry's index.")],
    project: Project = None,
) -> None:
    """An inclusion proof of one entry against a signed head, as JSON for `veil audit check`."""
    with vault_of(project) as (vault, _):
        typer.echo(to_json(vault.audit.inclusion_bundle(index)))


@audit_command("check")
def audit_check_command(
    proof: Annotated[
        Path, typer.Argument(metavar="PROOF", dir_okay=False, help="A proof from `veil audit prove`.")
    ],
    key: Annotated[
        str, typer.Option("--key", metavar="VKEY", help="The log's verifier key (`veil audit key`).")
    ],
) -> None:
    """Check a proof with nothing but the proof file and the log's public key (no database)."""
    bundle = _bundle(proof)
    if "leaf_index" in bundle:
        head = verify_inclusion_bundle(bundle, key)
        typer.echo(f"entry {bundle['leaf_index']} is in the signed tree of {head.size} entries")
    else:
        old, new = verify_consistency_bundle(bundle, key)
        typer.echo(f"the tree of {old.size} entries is a prefix of the signed tree of {new.size}")


def _bundle(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageProblem(f"{path}: not a readable JSON proof ({type(exc).__name__})") from None
    if not isinstance(value, dict):
        raise UsageProblem(f"{path}: a proof is a JSON object")
    return value


def _aware(moment: datetime | None) -> datetime | None:
    """Times without a zone are UTC (typer parses ISO 8601 without one)."""
    return None if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _row(entry: AuditEntry) -> dict[str, object]:
    row: dict[str, object] = {column: getattr(entry, column, None) for column in COLUMNS}
    row["counts"] = ",".join(f"{k}={v}" for k, v in sorted(entry.counts.items())) or None
    return row
