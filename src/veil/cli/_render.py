"""How ``veil detect`` writes findings: a rich table, one JSON document, or JSON lines."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TextIO

from rich.console import Console
from rich.table import Table

from veil.detect import Finding

Row = dict[str, object]


class Format(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


def chosen_format(given: Format | None, output: str | None) -> Format:
    """Table for a person at a terminal, JSON lines for a pipe or a file."""
    if given is not None:
        return given
    return Format.table if output is None and sys.stdout.isatty() else Format.jsonl


def finding_row(source: str, finding: Finding, offset: int, value: str | None) -> Row:
    row: Row = {"source": source, **finding.to_dict()}
    row["start"] = finding.start + offset
    row["end"] = finding.end + offset
    if value is not None:  # only with --show-values: the values are personal data
        row["value"] = value
    return row


class FindingWriter:
    """Writes JSON lines as findings come; collects them for a table or a JSON document."""

    def __init__(self, form: Format, stream: TextIO) -> None:
        self._form = form
        self._stream = stream
        self._rows: list[Row] = []
        self.count = 0

    def add(self, row: Row) -> None:
        self.count += 1
        if self._form is Format.jsonl:
            self._stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            self._rows.append(row)

    def close(self) -> None:
        if self._form is Format.json:
            json.dump(self._rows, self._stream, ensure_ascii=False, indent=2)
            self._stream.write("\n")
        elif self._form is Format.table and self._rows:
            _print_table(self._rows, self._stream)


def _print_table(rows: list[Row], stream: TextIO) -> None:
    columns = [c for c in ("source", "start", "end", "label", "score", "recognizer", "value") if c in rows[0]]
    table = Table(*columns, title=f"{len(rows)} finding{'s' if len(rows) != 1 else ''}")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    Console(file=stream, soft_wrap=False, highlight=False, markup=False).print(table)
