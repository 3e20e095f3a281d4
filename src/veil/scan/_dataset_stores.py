"""Binary dataset formats, Parquet and SQLite, read in bounded samples."""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import Any

from veil.errors import DependencyMissing, InvalidInput, NotFound
from veil.scan._dataset_readers import (
    _BATCH_ROWS,
    PARQUET,
    SQLITE,
    WINDOWS,
    Row,
    RowSample,
    _Budget,
    _columns,
    cell_text,
    flatten,
)

# -- Parquet (veil[parquet]) ---------------------------------------------------------------


def _pyarrow() -> tuple[Any, Any]:
    """pyarrow is an optional extra, imported only when a Parquet file is read."""
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise DependencyMissing("parquet", "reading Parquet datasets") from None


def _parquet_file(path: Path) -> tuple[Any, Any]:
    pa, pq = _pyarrow()
    try:
        return pa, pq.ParquetFile(str(path))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a readable Parquet file ({type(exc).__name__})") from None


def _parquet_all(path: Path) -> Iterator[Row]:
    pa, source = _parquet_file(path)
    try:
        for batch in source.iter_batches(batch_size=_BATCH_ROWS, use_threads=False):
            yield from map(flatten, batch.to_pylist())
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: corrupt Parquet data ({type(exc).__name__})") from None


def _sample_parquet(path: Path, max_rows: int, max_bytes: int) -> RowSample:
    pa, source = _parquet_file(path)
    meta = source.metadata
    groups = meta.num_row_groups
    count = min(WINDOWS, groups)
    picked = [index * groups // count for index in range(count)]  # evenly spaced row groups
    per_group = -(-max_rows // count) if count else 0
    rows: list[Row] = []
    budget = _Budget(max_bytes)
    for group in picked:
        if budget.spent() or len(rows) >= max_rows:
            break
        quota = min(per_group, max_rows - len(rows))
        try:
            rows.extend(_parquet_group(source, group, quota, budget))
        except (pa.ArrowException, OSError, ValueError):
            budget.skipped += meta.row_group(group).num_rows  # a corrupt row group: the others still count
    if not rows and budget.skipped:
        raise InvalidInput(f"{path}: no row group of the Parquet file could be read")
    complete = len(rows) == meta.num_rows
    columns = _columns(None, rows) or [str(name) for name in source.schema_arrow.names]
    return RowSample(PARQUET, None, columns, rows, complete, budget.skipped, budget.used)


def _parquet_group(source: Any, group: int, quota: int, budget: _Budget) -> list[Row]:
    rows: list[Row] = []
    batches = source.iter_batches(batch_size=min(quota, _BATCH_ROWS), row_groups=[group], use_threads=False)
    for batch in batches:
        budget.used += batch.nbytes
        rows.extend(map(flatten, batch.to_pylist()[: quota - len(rows)]))
        if len(rows) >= quota or budget.spent():
            break
    return rows


# -- SQLite (read-only) -----------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT name FROM sqlite_master LIMIT 1")
    except sqlite3.Error as exc:
        raise InvalidInput(f"{path}: not a readable SQLite database ({type(exc).__name__})") from None
    conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_tables(path: Path) -> list[str]:
    """The ordinary tables of a SQLite database (no views, virtual or internal tables)."""
    with closing(_connect(path)) as conn:
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            " AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name").fetchall()
    return [str(name) for (name,) in found]


def _tables(path: Path, table: str | None) -> list[str]:
    names = sqlite_tables(path)
    if table is None:
        return names
    if table not in names:
        raise NotFound(f"{path}: no table named {table!r}")
    return [table]


_Query = tuple[str, tuple[int, ...]]


def _sqlite_queries(conn: sqlite3.Connection, quoted: str, max_rows: int) -> list[_Query]:
    """The head of a small table; rowid ranges evenly spaced over a large one."""
    head: list[_Query] = [(f"SELECT * FROM {quoted} LIMIT ?", (max_rows + 1,))]  # noqa: S608
    try:  # min and max of the rowid are index lookups, unlike COUNT(*)
        low, high = conn.execute(f"SELECT min(rowid), max(rowid) FROM {quoted}").fetchone()  # noqa: S608
    except sqlite3.OperationalError:
        return head  # a WITHOUT ROWID table
    if low is None or high - low < max_rows:
        return head
    count = min(WINDOWS, max_rows)
    bounds = [low + index * (high - low + 1) // count for index in range(count)] + [high + 1]
    query = f"SELECT * FROM {quoted} WHERE rowid >= ? AND rowid < ? ORDER BY rowid LIMIT ?"  # noqa: S608
    return [(query, (bounds[i], bounds[i + 1], -(-max_rows // count))) for i in range(count)]


def _sample_sqlite(path: Path, table: str, max_rows: int, max_bytes: int) -> RowSample:
    budget, rows = _Budget(max_bytes), list[Row]()
    with closing(_connect(path)) as conn:
        queries = _sqlite_queries(conn, _quote(table), max_rows)
        try:
            for query, params in queries:
                cursor = conn.execute(query, params)
                names = [str(d[0]) for d in cursor.description]
                rows.extend(islice(_sqlite_rows(cursor, names, budget), max_rows + 1 - len(rows)))
                if budget.spent() or len(rows) > max_rows:
                    break
            names = [str(d[1]) for d in conn.execute(f"PRAGMA table_info({_quote(table)})")]
        except sqlite3.Error as exc:
            raise InvalidInput(f"{path}: table {table!r} cannot be read ({type(exc).__name__})") from None
    complete = len(queries) == 1 and len(rows) <= max_rows and not budget.spent()
    return RowSample(SQLITE, table, names, rows[:max_rows], complete, 0, budget.used)


def _sqlite_rows(cursor: sqlite3.Cursor, names: list[str], budget: _Budget) -> Iterator[Row]:
    while batch := cursor.fetchmany(256):
        for record in batch:
            row = {name: cell_text(value) for name, value in zip(names, record, strict=True)}
            budget.used += sum(map(len, row.values()))
            yield row
        if budget.spent():
            return


def _sqlite_all(path: Path, table: str) -> Iterator[Row]:
    with closing(_connect(path)) as conn:
        try:
            cursor = conn.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608
            yield from _sqlite_rows(cursor, [str(d[0]) for d in cursor.description], _Budget(None))
        except sqlite3.Error as exc:
            raise InvalidInput(f"{path}: table {table!r} cannot be read ({type(exc).__name__})") from None
