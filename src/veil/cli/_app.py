"""The ``veil`` typer application and the one place where errors become exit statuses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NoReturn, ParamSpec

import typer

from veil.cli._io import UsageProblem
from veil.errors import VeilError

EXIT_OK = 0
EXIT_FAILURE = 1  # also "findings found" for veil detect
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

P = ParamSpec("P")


def fail(message: str, status: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(status)


def mapped_errors(command: Callable[P, None]) -> Callable[P, None]:
    """The one place where exceptions become one line on stderr and an exit status."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except UsageProblem as exc:
            fail(str(exc), EXIT_USAGE)
        except VeilError as exc:  # messages of Veil errors never carry data values
            fail(exc.message, EXIT_FAILURE)
        except BrokenPipeError:  # the reader went away (veil detect | head): nothing to tell it
            raise typer.Exit(EXIT_FAILURE) from None
        except KeyboardInterrupt:
            fail("interrupted", EXIT_INTERRUPTED)
        except Exception as exc:  # str(exc) of an unknown error may hold input: only its class is shown
            fail(f"internal error ({type(exc).__name__})", EXIT_FAILURE)

    return run


def command(name: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Registers a ``veil NAME`` command with its errors mapped."""

    def register(function: Callable[P, None]) -> Callable[P, None]:
        app.command(name)(mapped_errors(function))
        return function

    return register


app = typer.Typer(
    name="veil",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Veil: find and redact personal data and secrets, and keep personal data in an encrypted vault.

    Start a project with `veil init`; then `veil vault`, `veil dsr`, `veil keys` and `veil retention`.

    Exit status: 0 ok (nothing found), 1 findings found or a failure, 2 a usage error.
    """
