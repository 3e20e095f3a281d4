"""Parquet redaction by record batches (``pip install 'veil[parquet]'``)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from veil.errors import DependencyMissing, InvalidInput
from veil.redact._redactor import Redactor, default_redactor

DEFAULT_BATCH_SIZE = 1024


def _pyarrow() -> tuple[Any, Any]:
    """pyarrow is an optional extra, imported only when Parquet is redacted."""
    try:
        return importlib.import_module("pyarrow"), importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise DependencyMissing("parquet", "Parquet redaction") from None


def redact_parquet(src: str | os.PathLike[str], dst: str | os.PathLike[str], *,
                   redactor: Redactor | None = None, columns: Sequence[str] | None = None,
                   batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Copy a Parquet file, redacting string ``columns`` (all string columns by default).

    Reads and writes one record batch at a time; each row is numbered on its own.
    Returns the number of rows written.
    """
    pa, pq = _pyarrow()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInput("batch_size must be a positive integer")
    if Path(src).resolve() == Path(dst).resolve():
        raise InvalidInput("dst must differ from src")
    chosen = redactor if redactor is not None else default_redactor()
    source = pq.ParquetFile(src)
    schema = source.schema_arrow
    names = _string_columns(pa, schema, columns)
    rows = 0
    with pq.ParquetWriter(dst, schema) as writer:
        for batch in source.iter_batches(batch_size=batch_size):
            writer.write_batch(_redact_batch(pa, batch, names, chosen))
            rows += batch.num_rows
    return rows


def _string_columns(pa: Any, schema: Any, columns: Sequence[str] | None) -> list[str]:
    strings = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if columns is None:
        return strings
    if isinstance(columns, str):
        raise InvalidInput("columns must be a list of names, not one string")
    missing = [name for name in columns if name not in schema.names]
    if missing:
        raise InvalidInput(f"columns not in the Parquet schema: {', '.join(missing)}")
    not_text = [name for name in columns if name not in strings]
    if not_text:
        raise InvalidInput(f"columns are not string columns: {', '.join(not_text)}")
    return [name for name in strings if name in set(columns)]


def _redact_batch(pa: Any, batch: Any, names: list[str], redactor: Redactor) -> Any:
    values = {name: batch.column(name).to_pylist() for name in names}
    groups = [[values[n][row] for n in names if values[n][row] is not None] for row in range(batch.num_rows)]
    redacted = [iter(texts) for texts in redactor.redact_groups(groups)]
    for name in names:
        column = values[name]
        for row, cell in enumerate(column):
            if cell is not None:
                column[row] = next(redacted[row])
    arrays = [
        pa.array(values[field.name], type=field.type) if field.name in values else batch.column(field.name)
        for field in batch.schema
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)
