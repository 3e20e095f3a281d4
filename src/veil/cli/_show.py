"""How the vault and request commands print: a rich table or JSON, dates as ISO 8601."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.table import Table

from veil.errors import InvalidInput

#: Wide enough for 32-character ids when the output is a pipe or a file, not a terminal.
PIPE_WIDTH = 240

Row = Mapping[str, object]


class ListFormat(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[ListFormat, typer.Option("--format", help="Output: table or json.")]


def moment(value: datetime) -> str:
    """A time as people read it in a title or a table: ISO 8601 to the second."""
    return value.isoformat(timespec="seconds")


def plain(value: object) -> object:
    """A JSON-able form of the values the library returns (``json.dumps`` ``default=``)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=plain)


def cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return moment(value)
    return str(plain(value) if isinstance(value, date | Enum) else value)


def show_rows(rows: Sequence[Row], columns: Sequence[str], form: ListFormat, *, title: str) -> None:
    """Rows as a table (with ``title``) or as a JSON list of objects."""
    if form is ListFormat.json:
        typer.echo(to_json([{c: row.get(c) for c in columns} for row in rows]))
        return
    if not rows:
        typer.echo(f"{title}: none")
        return
    typer.echo(f"{title}:")
    table = Table(*columns)
    for row in rows:
        table.add_row(*(cell(row.get(c)) for c in columns))
    width = None if sys.stdout.isatty() else PIPE_WIDTH
    Console(file=sys.stdout, width=width, soft_wrap=False, highlight=False, markup=False).print(table)


@contextmanager
def private_output(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a new file only its owner may read (0600), removed again if the work fails."""
    if path is None:
        yield sys.stdout
        return
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{path} already exists: nothing was written") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot create ({type(exc).__name__})") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yield handle
    except BaseException:
        path.unlink(missing_ok=True)
        raise
