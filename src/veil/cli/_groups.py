"""Command groups (``veil keys ...``, ``veil dsr ...``) whose commands map errors like ``command``."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec

import typer

from veil.cli._app import app, mapped_errors

P = ParamSpec("P")


class Group:
    """``veil NAME``; calling it with a sub-command name gives that sub-command's decorator."""

    def __init__(self, name: str, help: str) -> None:
        self.commands = typer.Typer(name=name, help=help, no_args_is_help=True, add_completion=False,
                                    rich_markup_mode=None)
        app.add_typer(self.commands, name=name)

    def __call__(self, sub: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
        def register(function: Callable[P, None]) -> Callable[P, None]:
            self.commands.command(sub)(mapped_errors(function))
            return function

        return register
