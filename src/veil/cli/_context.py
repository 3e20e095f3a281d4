"""The command line's side of ``veil._setup``: the ``--project`` option and a vault per command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from veil._setup import Which, migrate, open_vault
from veil.config import load_settings
from veil.vault import Vault

Project = Annotated[Path | None, typer.Option(
    "--project", metavar="DIR", file_okay=False,
    help="The project folder with veil.toml (default: VEIL_PROJECT, else the current directory).")]


@contextmanager
def vault_of(project: Path | None) -> Iterator[tuple[Vault, str]]:
    """The vault of a project folder and the principal the command acts as (VEIL_ACTOR); the audit
    queue flushed and engines closed afterwards."""
    settings = load_settings(project)
    vault = open_vault(settings)
    try:
        yield vault, settings.actor
    finally:
        vault.close()


__all__ = ["Project", "Which", "migrate", "open_vault", "vault_of"]
