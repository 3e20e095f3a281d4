"""``veil init``, ``db``, ``keys``, ``retention`` and ``vault``: thin adapters over ``Vault``.

Nothing here prints a field value except ``veil vault get``, which exists to show one record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from veil.cli._app import command
from veil.cli._context import Project, Which, migrate, vault_of
from veil.cli._groups import Group
from veil.cli._io import UsageProblem
from veil.cli._project import create_keyring, initialise
from veil.cli._show import FormatOption, ListFormat, moment, show_rows, to_json
from veil.cli._values import FieldValues, field_values
from veil.config import load_settings

db_command = Group("db", "Database migrations of the data and key databases.")
keys_command = Group("keys", "Key-encryption keys: status, rotation, retirement and key epochs.")
retention_command = Group("retention", "Retention deadlines: remove records past theirs.")
vault_command = Group("vault", "Store and read sealed records from the shell (to try the vault).")

Purpose = Annotated[str, typer.Option("--purpose", metavar="PURPOSE",
                                      help="The declared purpose the record is stored or read for.")]


@command("init")
def init_command(
    directory: Annotated[Path | None, typer.Argument(
        metavar="DIR", file_okay=False, show_default=False,
        help="The project folder to set up (default: VEIL_PROJECT, else the current directory).")] = None,
) -> None:
    """Set up a project: veil.toml, a keyring, both databases migrated, and a .gitignore for them."""
    for made in initialise(load_settings(directory)):
        typer.echo(made)
    typer.echo("next: veil vault put customers c-1 --purpose support --region EU email=you@example.org")


@db_command("upgrade")
def db_upgrade_command(project: Project = None) -> None:
    """Migrate the data and key databases (VEIL_DATABASE_URL, VEIL_KEYSTORE_URL) to the newest revision."""
    settings = load_settings(project)
    databases: tuple[tuple[Which, str], ...] = (("data", settings.database_url),
                                                 ("keys", settings.keystore_url))
    for which, url in databases:
        typer.echo(f"{which} database at revision {migrate(url, which)}")


@keys_command("init")
def keys_init_command(project: Project = None) -> None:
    """Create the project's keyring file (VEIL_KEYRING) when it has none; `veil init` does this too."""
    typer.echo(create_keyring(load_settings(project).keyring))


@keys_command("status")
def keys_status_command(project: Project = None, form: FormatOption = ListFormat.table) -> None:
    """The current key-encryption key version, the live versions, the key epoch and what each wraps."""
    with vault_of(project) as (vault, _):
        current, epoch = vault.keys.provider.current_version(), vault.keys.current_epoch()
        rows = [{"version": v, "current": v == current, "wrapped_keys": vault.keys.dependents(v)}
                for v in vault.keys.provider.versions()]
    if form is ListFormat.json:
        typer.echo(to_json({"current": current, "epoch": epoch, "versions": rows}))
    else:
        show_rows(rows, ["version", "current", "wrapped_keys"], form,
                  title=f"key-encryption keys (current {current}, epoch {epoch})")


@keys_command("rotate")
def keys_rotate_command(project: Project = None) -> None:
    """Make a new key-encryption key version and rewrap every key under it (no data is re-encrypted)."""
    with vault_of(project) as (vault, actor):
        report = vault.rotate_keys(actor=actor)
    typer.echo(f"key-encryption key version {report.kek_version} is current; rewrapped "
               f"{report.data_keys} data key(s) and {report.index_keys} index key(s)")


@keys_command("retire")
def keys_retire_command(
    version: Annotated[int, typer.Argument(metavar="VERSION", min=1, help="The old version to destroy.")],
    project: Project = None,
) -> None:
    """Destroy an old key-encryption key version; refused while any key still depends on it."""
    with vault_of(project) as (vault, actor):
        vault.retire_key(version, actor=actor)
    typer.echo(f"key-encryption key version {version} destroyed")


@keys_command("epoch")
def keys_epoch_command(project: Project = None) -> None:
    """Start a key epoch: rewrap every key under a new version and destroy all older versions."""
    with vault_of(project) as (vault, actor):
        report = vault.advance_epoch(actor=actor)
    destroyed = ", ".join(map(str, report.destroyed_versions)) or "none"
    typer.echo(f"epoch {report.epoch}: key-encryption key version {report.kek_version}, rewrapped "
               f"{report.rewrapped} data key(s), destroyed version(s) {destroyed}")


@retention_command("sweep")
def retention_sweep_command(
    now: Annotated[str | None, typer.Option(
        "--now", metavar="ISO8601",
        help="Sweep as if it were this time (what-if; no zone means UTC).")] = None,
    project: Project = None,
    form: FormatOption = ListFormat.table,
) -> None:
    """Remove every record past its retention deadline; prints how many went per collection."""
    at = _instant(now) if now is not None else None
    with vault_of(project) as (vault, actor):
        report = vault.sweep_expired(actor=actor, now=at)
    rows = [{"collection": c, "removed": n} for c, n in sorted(report.removed.items())]
    if form is ListFormat.json:
        typer.echo(to_json({"at": report.at, "removed": dict(report.removed), "total": report.total}))
    else:
        title = f"records past retention at {moment(report.at)}"
        show_rows(rows, ["collection", "removed"], form, title=title)


@vault_command("put")
def vault_put_command(
    collection: Annotated[str, typer.Argument(metavar="COLLECTION", help="A collection of veil.toml.")],
    subject: Annotated[str, typer.Argument(metavar="SUBJECT", help="The subject id (an opaque reference).")],
    values: FieldValues,
    purpose: Purpose,
    region: Annotated[str | None, typer.Option(
        "--region", metavar="REGION",
        help="Register a new subject of this region on the way (e.g. EU).")] = None,
    project: Project = None,
) -> None:
    """Store one record and print its id (values are never printed)."""
    with vault_of(project) as (vault, actor):
        parsed = field_values(values, vault.schema.collection(collection))
        record_id = vault.put(collection, subject, parsed, purpose=purpose, region=region, actor=actor)
    typer.echo(record_id)


@vault_command("get")
def vault_get_command(
    collection: Annotated[str, typer.Argument(metavar="COLLECTION", help="A collection of veil.toml.")],
    record_id: Annotated[str, typer.Argument(metavar="RECORD_ID", help="The id `veil vault put` printed.")],
    purpose: Purpose,
    project: Project = None,
) -> None:
    """Print one record as JSON, with only the fields PURPOSE may see (this shows personal data)."""
    with vault_of(project) as (vault, actor):
        record = vault.get(collection, record_id, purpose=purpose, actor=actor)
    typer.echo(to_json({"collection": record.collection, "record_id": record.record_id,
                        "subject_id": record.subject_id, "fields": dict(record.fields),
                        "created_at": record.created_at, "updated_at": record.updated_at,
                        "expires_at": record.expires_at}))


def _instant(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a zone it is UTC."""
    try:
        given = datetime.fromisoformat(text)
    except ValueError:
        raise UsageProblem("--now must be an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z") from None
    return given.replace(tzinfo=UTC) if given.tzinfo is None else given
