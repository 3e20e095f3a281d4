"""The ``veil`` command line: thin adapters over the library (parse, one call, render)."""

from __future__ import annotations

from veil.cli import (  # noqa: F401 - registers them
    _audit_cmds,
    _detect,
    _dsr,
    _redact,
    _scan,
    _serve,
    _token_cmds,
    _vault_cmds,
)
from veil.cli._app import app


def main() -> None:
    """Entry point of the ``veil`` console script."""
    app(prog_name="veil")


__all__ = ["app", "main"]
