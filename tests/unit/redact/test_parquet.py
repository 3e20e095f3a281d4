from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tests.unit.redact._support import small_detector
from veil.errors import DependencyMissing, InvalidInput
from veil.redact import Redactor, redact_parquet

pa = pytest.importorskip("pyarrow", reason="Parquet redaction needs veil[parquet]")
pq = pytest.importorskip("pyarrow.parquet")


def _write(path: Path, rows: int) -> None:
    table = pa.table({
        "who": ["Ana Lima" if n % 2 else None for n in range(rows)],
        "note": [f"EMP-{n:06d} and Bo Chen" for n in range(rows)],
        "n": list(range(rows)),
    })
    pq.write_table(table, path)


def test_parquet_string_columns_are_redacted_batch_by_batch(tmp_path: Path) -> None:
    _write(tmp_path / "in.parquet", 2500)
    written = redact_parquet(tmp_path / "in.parquet", tmp_path / "out.parquet",
                             redactor=Redactor(small_detector()), batch_size=1000)
    out = pq.read_table(tmp_path / "out.parquet")
    assert written == out.num_rows == 2500
    assert out.schema == pq.read_schema(tmp_path / "in.parquet")
    # A row numbers on its own: Bo Chen is the second person where "who" holds Ana Lima.
    assert set(out.column("note").to_pylist()) == {"<EMPLOYEE_ID_1> and <PERSON_1>",
                                                   "<EMPLOYEE_ID_1> and <PERSON_2>"}
    assert out.column("who").to_pylist()[:2] == [None, "<PERSON_1>"]
    assert out.column("n").to_pylist() == list(range(2500))


def test_parquet_columns_limit_what_is_redacted(tmp_path: Path) -> None:
    _write(tmp_path / "in.parquet", 3)
    redact_parquet(tmp_path / "in.parquet", tmp_path / "out.parquet",
                   redactor=Redactor(small_detector()), columns=["who"])
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column("note").to_pylist()[0] == "EMP-000000 and Bo Chen"
    assert out.column("who").to_pylist()[1] == "<PERSON_1>"


@pytest.mark.parametrize(("columns", "message"), [(["missing"], "not in the Parquet schema"),
                                                  (["n"], "not string columns")])
def test_parquet_refuses_unknown_or_non_text_columns(tmp_path: Path, columns: list[str], message: str) -> None:
    _write(tmp_path / "in.parquet", 1)
    with pytest.raises(InvalidInput, match=message):
        redact_parquet(tmp_path / "in.parquet", tmp_path / "out.parquet",
                       redactor=Redactor(small_detector()), columns=columns)


def test_parquet_refuses_to_overwrite_its_source(tmp_path: Path) -> None:
    _write(tmp_path / "in.parquet", 1)
    with pytest.raises(InvalidInput, match="differ"):
        redact_parquet(tmp_path / "in.parquet", tmp_path / "in.parquet", redactor=Redactor(small_detector()))


def test_missing_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = importlib.import_module

    def no_pyarrow(name: str, package: str | None = None) -> object:
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_pyarrow)
    with pytest.raises(DependencyMissing, match=r"veil\[parquet\]"):
        redact_parquet(tmp_path / "a.parquet", tmp_path / "b.parquet")
