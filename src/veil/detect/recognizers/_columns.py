"""Names and places in delimited tables with a header row (CSV, TSV, ``;`` or ``|``).

A cell under ``name`` or ``city`` gives a model no sentence to read, but the
header says what it holds. The whole table is one candidate; ``_cells`` walks
it once per text (cached) and reports the cells of the named columns.
"""

from __future__ import annotations

import re
from functools import lru_cache

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer, Refiner

_PERSON_COLUMNS = re.compile(
    r"(?:full_?|first_?|last_?|display_?|customer_?|account_?|card_?|user_?)?name|holder|cardholder"
    r"|beneficiary|payee|payer|customer|patient|applicant|employee|contact|owner|recipient|sender",
)
_PLACE_COLUMNS = re.compile(r"city|town|country|state|region|location|place_?of_?birth|birthplace|hometown")
_DELIMITERS = ",;|\t"
_HEADER_CELL = re.compile(r"[A-Za-z][A-Za-z0-9_ .-]{0,39}")
_HAS_LETTER = re.compile(r"[^\W\d_]")

# A header line of two or more plain column names, then the rows.
_TABLE = r"(?<![^\n])[A-Za-z][A-Za-z0-9_ .\"-]{0,40}(?:[,;|\t][A-Za-z0-9_ .\"-]{1,40}){1,40}\r?\n[\s\S]*"


@lru_cache(maxsize=64)  # the PERSON and LOCATION recognizers read the same table
def _cells(table: str) -> tuple[tuple[int, int, str], ...]:
    header, _, _ = table.partition("\n")
    delimiter = max(_DELIMITERS, key=header.count)
    columns = [c.strip().strip('"').lower() for c in header.split(delimiter)]
    if not all(_HEADER_CELL.fullmatch(c) for c in columns):
        return ()
    kinds = {i: _kind(c) for i, c in enumerate(columns) if _kind(c)}
    if not kinds:
        return ()
    found: list[tuple[int, int, str]] = []
    offset = len(header) + 1
    for line in table[offset:].split("\n"):
        for index, (start, end) in enumerate(_fields(line, delimiter)):
            kind = kinds.get(index)
            if kind and _HAS_LETTER.search(line, start, end):
                found.append((offset + start, offset + end, kind))
        offset += len(line) + 1
    return tuple(found)


def _kind(column: str) -> str:
    if _PERSON_COLUMNS.fullmatch(column):
        return "PERSON"
    return "LOCATION" if _PLACE_COLUMNS.fullmatch(column) else ""


def _fields(line: str, delimiter: str) -> list[tuple[int, int]]:
    """Spans of each field's value (quotes and surrounding blanks excluded)."""
    spans: list[tuple[int, int]] = []
    position = 0
    while position <= len(line):
        if line.startswith('"', position):
            close = line.find('"', position + 1)
            close = len(line) if close < 0 else close
            spans.append((position + 1, close))
            position = line.find(delimiter, close)
        else:
            cut = line.find(delimiter, position)
            end = len(line.rstrip("\r")) if cut < 0 else cut
            spans.append(_trim(line, position, end))
            position = cut
        if position < 0:
            break
        position += 1
    return spans


def _trim(line: str, start: int, end: int) -> tuple[int, int]:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return start, end


def _refiner(kind: str) -> Refiner:
    def refine(table: str) -> list[tuple[int, int, float]]:
        return [(start, end, 0.75) for start, end, cell_kind in _cells(table) if cell_kind == kind]

    return refine


PERSON_COLUMN = Recognizer(
    name="person_column",
    entity=Entity.PERSON,
    patterns=(Pattern("table", _TABLE, 0.75),),
    refine=_refiner("PERSON"),
    priority=12,
)

PLACE_COLUMN = Recognizer(
    name="place_column",
    entity=Entity.LOCATION,
    patterns=(Pattern("table", _TABLE, 0.75),),
    refine=_refiner("LOCATION"),
    priority=12,
)

RECOGNIZERS: tuple[Recognizer, ...] = (PERSON_COLUMN, PLACE_COLUMN)
