"""``veil token``: issue, revoke and list scoped access tokens (list never shows a secret)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from veil.access import Token
from veil.cli._context import Project, vault_of
from veil.cli._groups import Group
from veil.cli._io import UsageProblem
from veil.cli._show import FormatOption, ListFormat, show_rows, to_json

token_command = Group("token", "Scoped, short-lived access tokens for services and the gateway.")
COLUMNS = ["token_id", "principal", "scopes", "label", "created_at", "expires_at", "revoked_at"]


@token_command("issue")
def token_issue_command(
    principal: Annotated[
        str, typer.Argument(metavar="PRINCIPAL", help="A principal of veil.toml's [access].")
    ],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help="inference, dsr, audit, admin or vault:ACTION:COLLECTION (repeat for several).",
        ),
    ],
    ttl: Annotated[
        int | None,
        typer.Option(
            "--ttl", metavar="MINUTES", help="Lifetime (default 15 with inference, else 60; at most 30 days)."
        ),
    ] = None,
    label: Annotated[str | None, typer.Option(help="What the token is for (shown by list).")] = None,
    project: Project = None,
) -> None:
    """Print a new token's secret once, on stdout (it is stored only as a keyed hash)."""
    if ttl is not None and ttl <= 0:
        raise UsageProblem("--ttl must be a positive number of minutes")
    lifetime = timedelta(minutes=ttl) if ttl is not None else None
    with vault_of(project) as (vault, actor):
        issued = vault.issue_token(principal, scope, actor=actor, ttl=lifetime, label=label)
    typer.echo(
        f"token {issued.token.token_id} for {principal}, expires {issued.token.expires_at.isoformat()}",
        err=True,
    )
    typer.echo(issued.secret)


@token_command("revoke")
def token_revoke_command(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="The id `veil token list` shows.")],
    project: Project = None,
) -> None:
    """Revoke a token now."""
    with vault_of(project) as (vault, actor):
        token = vault.revoke_token(token_id, actor=actor)
    typer.echo(f"token {token.token_id} revoked")


@token_command("list")
def token_list_command(
    principal: Annotated[str | None, typer.Option(help="Only this principal's tokens.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Expired and revoked ones too.")] = False,
    project: Project = None,
    form: FormatOption = ListFormat.table,
) -> None:
    """Tokens and their scopes and expiry; secrets are never stored, so never shown."""
    with vault_of(project) as (vault, actor):
        found = vault.list_tokens(actor=actor, principal=principal, include_inactive=all_)
    rows = [_row(token) for token in found]
    if form is ListFormat.json:
        typer.echo(to_json(rows))
    else:
        show_rows(rows, COLUMNS, form, title="tokens")


def _row(token: Token) -> dict[str, object]:
    return {
        "token_id": token.token_id,
        "principal": token.principal,
        "scopes": " ".join(sorted(token.scopes)),
        "label": token.label,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }
