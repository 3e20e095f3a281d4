"""The ``veil`` command line: thin adapters over the library (parse, one call, render)."""

from __future__ import annotations

from veil.cli import _detect, _dsr, _redact, _vault_cmds  # noqa: F401 - importing them registers their commands
from veil.cli._app import app


def main() -> None:
    """Entry point of the ``veil`` console script."""
    app(prog_name="veil")


__all__ = ["app", "main"]
