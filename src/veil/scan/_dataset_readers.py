"""Rows of tabular datasets as text: CSV/TSV, JSONL, Parquet and SQLite tables.

Every reader yields ``dict[str, str]`` rows (column name -> cell text; NULL -> "").
``read_samples`` reads a bounded sample: at most ``max_rows`` rows and about
``max_bytes`` of input, taken from evenly spaced places of a large file so that a
sorted file is still seen across its length. ``iter_rows`` reads every row (for
fingerprints). Malformed rows are skipped and counted; a file that cannot be read at
all raises ``InvalidInput`` naming the path (and the line), never a cell. Parquet and
SQLite are read in ``_dataset_stores``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path, PurePosixPath
from typing import Any

from veil.errors import InvalidInput

Row = dict[str, str]

CSV, JSONL, PARQUET, SQLITE = "csv", "jsonl", "parquet", "sqlite"
DATASET_KINDS = (CSV, JSONL, PARQUET, SQLITE)
SQLITE_MAGIC = b"SQLite format 3\x00"
PARQUET_MAGIC = b"PAR1"
GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 64 * 1024
#: Evenly spaced places a large file is sampled at.
WINDOWS = 16
_MAX_LINE = 1 << 20  # a longer line is skipped, so one huge line cannot fill memory
_BATCH_ROWS = 4096
_RESYNC_LINES = 64  # lines read after a seek to find where a CSV record starts
_NULLS = frozenset({"NULL", "null", "\\N"})
_DELIMITERS = ",;\t|"
_EXTENSIONS = {
    ".csv": CSV, ".tsv": CSV, ".tab": CSV, ".psv": CSV, ".jsonl": JSONL, ".ndjson": JSONL,
    ".parquet": PARQUET, ".pq": PARQUET, ".sqlite": SQLITE, ".sqlite3": SQLITE, ".db": SQLITE,
}


@dataclass
class RowSample:
    """The rows read from one dataset (one SQLite table); ``complete`` when every row was read."""

    kind: str
    table: str | None
    columns: list[str]
    rows: list[Row]
    complete: bool
    skipped: int = 0
    bytes_read: int = 0


def dataset_kind(path: Path, head: bytes) -> str | None:
    """``csv``, ``jsonl``, ``parquet`` or ``sqlite`` by magic bytes and extension, else None.

    ``head`` is the file's first bytes; ``.csv.gz`` and ``.jsonl.gz`` count when gzipped.
    """
    if head.startswith(SQLITE_MAGIC):
        return SQLITE
    if head.startswith(PARQUET_MAGIC):
        return PARQUET
    suffixes = [s.lower() for s in path.suffixes]
    gzipped = len(suffixes) >= 2 and suffixes[-1] == ".gz"
    kind = _EXTENSIONS.get(suffixes[-2] if gzipped else (suffixes[-1] if suffixes else ""))
    if kind not in (CSV, JSONL):
        return None  # a .parquet or .db file without its magic is something else
    if gzipped:
        return kind if head.startswith(GZIP_MAGIC) else None
    return kind if b"\x00" not in head else None


def is_dataset_name(name: str) -> bool:
    """Whether a file name (``x.csv``, ``x.jsonl.gz``, ``x.db``) names a dataset format."""
    suffixes = [s.lower() for s in PurePosixPath(name).suffixes]
    if suffixes[-1:] == [".gz"]:
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in _EXTENSIONS


def read_samples(path: Path, *, max_rows: int = 2000, max_bytes: int = 16 << 20,
                 table: str | None = None) -> list[RowSample]:
    """A bounded sample of each dataset in ``path``: one per SQLite table, one otherwise."""
    if max_rows < 1 or max_bytes < 1:
        raise InvalidInput("max_rows and max_bytes must be positive")
    # Imported here, not at the top: _dataset_stores imports this module's shared types.
    from veil.scan._dataset_stores import _sample_parquet, _sample_sqlite, _tables

    kind = _kind_of(path)
    if kind == SQLITE:
        return [_sample_sqlite(path, name, max_rows, max_bytes) for name in _tables(path, table)]
    if table is not None:
        raise InvalidInput(f"{path}: only a SQLite database has tables")
    if kind == PARQUET:
        return [_sample_parquet(path, max_rows, max_bytes)]
    return [_sample_text(path, kind, max_rows, max_bytes)]


def iter_rows(path: Path, *, max_rows: int | None = None) -> Iterator[Row]:
    """Every row of ``path`` (all tables of a SQLite database), up to ``max_rows``."""
    from veil.scan._dataset_stores import _parquet_all, _sqlite_all, sqlite_tables  # see read_samples

    kind = _kind_of(path)
    if kind == SQLITE:
        rows: Iterator[Row] = (row for name in sqlite_tables(path) for row in _sqlite_all(path, name))
    elif kind == PARQUET:
        rows = _parquet_all(path)
    else:
        rows = _text_all(path, kind)
    return islice(rows, max_rows)


def _kind_of(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be opened ({type(exc).__name__})") from None
    kind = dataset_kind(path, head)
    if kind is None:
        raise InvalidInput(f"{path}: not a dataset (CSV, TSV, JSONL, Parquet or SQLite)")
    return kind


def cell_text(value: object) -> str:
    """One cell as text: None -> "", booleans lowercased, lists joined, bytes decoded or dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(text for text in map(cell_text, value) if text)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return ""  # binary is no text to detect in
    return str(value)


def flatten(record: dict[str, Any], prefix: str = "") -> Row:
    """A nested record as one row: ``{"a": {"b": 1}}`` -> ``{"a.b": "1"}``."""
    row: Row = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            row.update(flatten(value, f"{name}."))
        else:
            row[name] = cell_text(value)
    return row


# -- plain text: CSV and JSONL, optionally gzipped ---------------------------------------


@dataclass
class _Budget:
    """Bytes of input a read may use, and what it met on the way."""

    limit: int | None
    used: int = 0
    skipped: int = 0
    cut: bool = False  # stopped before the end of the input
    broken: bool = False  # a corrupt or truncated compressed stream
    first_bad: int = 0  # line number of the first malformed record, where known

    def spent(self) -> bool:
        return self.limit is not None and self.used >= self.limit

    def bad(self, line: int) -> None:
        self.skipped += 1
        self.first_bad = self.first_bad or line


def _open(path: Path) -> tuple[io.BufferedIOBase, bool]:
    """The decompressed byte stream, and whether it may be sampled by seeking."""
    with path.open("rb") as handle:
        gzipped = handle.read(2) == GZIP_MAGIC
    if gzipped:
        return gzip.open(path, "rb"), False
    return path.open("rb"), True


def _lines(stream: io.BufferedIOBase, budget: _Budget, *, first: bool = True) -> Iterator[str]:
    """Decoded lines; an over-long line reads as "" (skipped), a BOM is dropped."""
    while not budget.spent():
        try:
            raw = stream.readline(_MAX_LINE)
            budget.used += len(raw)
            if len(raw) == _MAX_LINE and not raw.endswith(b"\n"):
                budget.skipped += 1
                _skip_line(stream, budget)
                raw = b"\n"  # an empty line in its place keeps the line numbers right
        except (OSError, EOFError, zlib.error):
            budget.broken = budget.cut = True
            return
        if not raw:
            return
        if first and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        first = False
        yield raw.decode("utf-8", "replace")
    budget.cut = True


def _skip_line(stream: io.BufferedIOBase, budget: _Budget) -> None:
    """Consume the rest of a line (within the budget)."""
    while not budget.spent():
        chunk = stream.readline(_MAX_LINE)
        budget.used += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return


def _sniff_delimiter(path: Path) -> str:
    """The delimiter under which the first 64 KB split most consistently into 2+ fields.

    Not ``csv.Sniffer``: it takes half a second on 64 KB.
    """
    stream, _ = _open(path)
    try:
        with stream:
            head = stream.read(SNIFF_BYTES)
    except (OSError, EOFError, zlib.error):
        raise InvalidInput(f"{path}: corrupt or truncated compressed data") from None
    text = head.decode("utf-8", "replace")
    lines = (text[: text.rfind("\n") + 1] or text).splitlines(keepends=True)[:200]
    suffix = path.name.lower().removesuffix(".gz")
    default = "\t" if suffix.endswith((".tsv", ".tab")) else "|" if suffix.endswith(".psv") else ","
    best, best_score = default, (False, 0.0, 0)
    for delimiter in sorted(_DELIMITERS, key=lambda d: d != default):
        counts = [len(record) for record in _records(lines, delimiter, _Budget(None))]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (mode > 1, counts.count(mode) / len(counts), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records(lines: Iterable[str], delimiter: str, budget: _Budget) -> Iterator[list[str]]:
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a field over the csv module's limit, a stray NUL
            budget.bad(reader.line_num)
            continue
        if record:
            yield record


def _header(record: list[str]) -> list[str]:
    names: list[str] = []
    for index, cell in enumerate(record):
        name = base = cell.strip() or f"column_{index + 1}"
        copy = 1
        while name in names:
            copy += 1
            name = f"{base}_{copy}"
        names.append(name)
    return names


class _TextFormat:
    """CSV or JSONL rows from lines; remembers the CSV header across reads of one file."""

    def __init__(self, path: Path, kind: str) -> None:
        self.kind = kind
        self.delimiter = _sniff_delimiter(path) if kind == CSV else ""
        self.header: list[str] | None = None
        self.data_start = 0  # byte offset of the first data row

    def rows(self, lines: Iterable[str], budget: _Budget) -> Iterator[Row]:
        if self.kind == JSONL:
            yield from _json_rows(lines, budget)
            return
        records = _records(lines, self.delimiter, budget)
        if self.header is None:
            first = next(records, None)
            if first is None:
                return
            self.header, self.data_start = _header(first), budget.used
        header = self.header
        for record in records:
            if len(record) == len(header):
                yield {name: "" if v in _NULLS else v for name, v in zip(header, record, strict=True)}
            else:
                budget.skipped += 1

    def resync(self, lines: Iterator[str]) -> Iterator[str]:
        """Lines from the first line start whose CSV records have the header's width.

        A seek may land inside a quoted field that spans lines; parsing from there would
        read every quote the wrong way round.
        """
        if self.kind != CSV or self.header is None:
            return lines
        buffered = list(islice(lines, _RESYNC_LINES))
        for start in range(min(len(buffered), _RESYNC_LINES // 2)):
            if self._aligned(buffered[start:]):
                return chain(buffered[start:], lines)
        return chain(buffered, lines)

    def _aligned(self, lines: list[str]) -> bool:
        width = len(self.header or ())
        try:
            widths = [len(record) for record in islice(csv.reader(lines, delimiter=self.delimiter), 3)]
        except csv.Error:
            return False
        return bool(widths) and all(found == width for found in widths[:2])


def _json_rows(lines: Iterable[str], budget: _Budget) -> Iterator[Row]:
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict):
            yield flatten(record)
        else:
            budget.bad(number)


def _text_all(path: Path, kind: str) -> Iterator[Row]:
    text_format = _TextFormat(path, kind)
    stream, _ = _open(path)
    budget = _Budget(None)
    with stream:
        yield from text_format.rows(_lines(stream, budget), budget)
    if budget.broken:
        raise InvalidInput(f"{path}: corrupt or truncated compressed data")


def _sample_text(path: Path, kind: str, max_rows: int, max_bytes: int) -> RowSample:
    text_format = _TextFormat(path, kind)
    stream, seekable = _open(path)
    with stream:
        # A file that fits in the budget is read whole; a larger one keeps half for the spread sample.
        fits = not seekable or path.stat().st_size <= max_bytes
        head = _Budget(max_bytes if fits else max_bytes // 2)
        rows = list(islice(text_format.rows(_lines(stream, head), head), max_rows + 1))
        if not rows and (head.broken or head.first_bad):
            where = f"line {head.first_bad} is malformed" if head.first_bad else "corrupt compressed data"
            raise InvalidInput(f"{path}: no row could be read ({where})")
        complete = len(rows) <= max_rows and not head.cut
        if complete or not seekable:
            return RowSample(kind, None, _columns(text_format.header, rows), rows[:max_rows], complete,
                             head.skipped, head.used)
        budget = _Budget(max(1, max_bytes - head.used))
        rows = list(_spread(stream, text_format, budget, path.stat().st_size, max_rows))
    return RowSample(kind, None, _columns(text_format.header, rows), rows, False, budget.skipped,
                     head.used + budget.used)


def _spread(stream: io.BufferedIOBase, text_format: _TextFormat, budget: _Budget, size: int,
            max_rows: int) -> Iterator[Row]:
    """Rows from ``WINDOWS`` evenly spaced offsets, each resynced to the next line start."""
    count = min(WINDOWS, max_rows)
    per_window, share = -(-max_rows // count), budget.limit // count if budget.limit else None
    start = end = text_format.data_start
    taken = 0
    for index in range(count):
        offset = start + index * (size - start) // count
        stream.seek(max(offset, end))
        window = _Budget(share)
        seeked = offset > end
        if seeked:
            _skip_line(stream, window)  # the partial line the offset fell into
        lines = _lines(stream, window, first=False)
        if seeked:
            lines = text_format.resync(lines)
        wanted = min(per_window, max_rows - taken)
        for row in islice(text_format.rows(lines, window), wanted):
            taken += 1
            yield row
        end = stream.tell()
        budget.used += window.used
        budget.skipped += window.skipped


def _columns(header: list[str] | None, rows: list[Row]) -> list[str]:
    if header is not None:
        return list(header)
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)
