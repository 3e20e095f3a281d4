"""The ``veil`` command line: thin adapters over the library (parse, one call, render).

Each command module registers its commands on import. ``main`` imports only the module of the
command being run, so ``veil scan --staged`` (a pre-commit hook) never loads the vault, the
database layer or the web service; ``app`` has them all.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: The module that registers each top-level command.
_COMMAND_MODULES = {
    "scan": "_scan", "detect": "_detect", "redact": "_redact", "serve": "_serve", "audit": "_audit_cmds",
    "token": "_token_cmds", "dsr": "_dsr", "init": "_vault_cmds", "db": "_vault_cmds", "keys": "_vault_cmds",
    "retention": "_vault_cmds", "vault": "_vault_cmds", "dp": "_dp_cmds",
}


def _register(modules: set[str]) -> Any:
    for module in sorted(modules):
        importlib.import_module(f"veil.cli.{module}")
    from veil.cli._app import app

    return app


def main() -> None:
    """Entry point of the ``veil`` console script."""
    first = next((word for word in sys.argv[1:] if not word.startswith("-")), None)
    module = _COMMAND_MODULES.get(first or "")
    app = _register({module} if module else set(_COMMAND_MODULES.values()))
    app(prog_name="veil")


def __getattr__(name: str) -> Any:
    if name == "app":  # every command, as tests and documentation tools expect
        return _register(set(_COMMAND_MODULES.values()))
    raise AttributeError(f"module 'veil.cli' has no attribute {name!r}")


__all__ = ["app", "main"]
