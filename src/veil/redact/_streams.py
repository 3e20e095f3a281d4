"""CSV and JSONL redaction, row by row: memory holds one chunk of rows, never the file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TextIO, TypeVar

from veil.errors import InvalidInput
from veil.redact._json import DEFAULT_MAX_DEPTH, JSON, parse_paths, redact_documents
from veil.redact._redactor import Redactor, default_redactor

#: Rows detected together: large enough for NER batching, small enough to stay bounded.
CHUNK_ROWS = 64

T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def redact_csv(src: TextIO, dst: TextIO, *, redactor: Redactor | None = None,
               columns: Sequence[str] | None = None) -> int:
    """Copy a CSV with a header row, redacting ``columns`` (all by default); returns data rows.

    Each row is numbered on its own unless the Redactor has a session.
    """
    chosen = redactor if redactor is not None else default_redactor()
    rows = _csv_rows(src)
    header = next(rows, None)
    if header is None:
        return 0
    wanted = _column_indexes(header, columns)
    writer = csv.writer(dst, lineterminator="\n")
    writer.writerow(header)
    written = 0
    for chunk in chunks(rows):
        groups = [[row[i] for i in wanted if i < len(row)] for row in chunk]
        for row, texts in zip(chunk, chosen.redact_groups(groups), strict=True):
            writer.writerow(_put_back(row, wanted, texts))
            written += 1
    return written


def _csv_rows(src: TextIO) -> Iterator[list[str]]:
    """Rows, with a parse error naming the line number only."""
    reader = csv.reader(src)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise InvalidInput(f"CSV line {reader.line_num} could not be parsed (malformed, or a field "
                               "over the csv module's size limit)") from None
        yield row


def _column_indexes(header: list[str], columns: Sequence[str] | None) -> list[int]:
    if columns is None:
        return list(range(len(header)))
    if isinstance(columns, str):
        raise InvalidInput("columns must be a list of names, not one string")
    missing = [name for name in columns if name not in header]
    if missing:
        raise InvalidInput(f"columns not in the CSV header: {', '.join(missing)}")
    return sorted({header.index(name) for name in columns})


def _put_back(row: list[str], wanted: list[int], texts: list[str]) -> list[str]:
    out = list(row)
    for index, text in zip((i for i in wanted if i < len(row)), texts, strict=True):
        out[index] = text
    return out


def redact_jsonl(src: TextIO, dst: TextIO, *, redactor: Redactor | None = None,
                 fields: Sequence[str] | None = None, max_depth: int = DEFAULT_MAX_DEPTH) -> int:
    """Copy JSON Lines, redacting string values (or only ``fields`` paths); returns records.

    Blank lines are skipped; a line that is not JSON raises InvalidInput naming its number.
    """
    chosen = redactor if redactor is not None else default_redactor()
    selectors = parse_paths(fields)
    written = 0
    for chunk in chunks(_jsonl_records(src, max_depth)):
        for record in redact_documents(chunk, chosen, selectors, max_depth):
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def _jsonl_records(src: TextIO, max_depth: int) -> Iterator[JSON]:
    for number, line in enumerate(src, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except RecursionError:
            raise InvalidInput(f"JSONL line {number}: JSON nested deeper than {max_depth} levels") from None
        except ValueError:
            raise InvalidInput(f"JSONL line {number} is not valid JSON") from None
