from __future__ import annotations

import csv
import json
import random
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from faker import Faker

from veil.errors import ConfigError, InvalidInput, NotFound
from veil.scan._finding import Kind, Severity, file_fingerprint
from veil.scan._fingerprints import (
    KEY_FILE,
    FingerprintMatch,
    FingerprintStore,
    fingerprint_findings,
    normalize_cell,
    row_hash,
)

KEY = bytes(range(32))
COLUMNS = ["id", "name", "email", "score", "active", "joined"]


def dataset(count: int, seed: int) -> list[dict[str, object]]:
    fake = Faker()
    fake.seed_instance(seed)
    rng = random.Random(seed)
    return [{"id": i, "name": fake.name(), "email": fake.email(), "score": round(rng.random() * 100, 2),
             "active": rng.random() < 0.5, "joined": fake.date_time().isoformat()} for i in range(count)]


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def store(tmp_path: Path) -> FingerprintStore:
    return FingerprintStore(tmp_path / ".veil" / "fingerprints",
                            now=lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def customers() -> list[dict[str, object]]:
    return dataset(1500, seed=21)


@pytest.fixture
def registered(store: FingerprintStore, customers: list[dict[str, object]], tmp_path: Path) -> FingerprintStore:
    added = store.add(write_csv(tmp_path / "customers.csv", customers))
    assert (added.name, added.rows, len(added.hashes), added.columns) == ("customers", 1500, 1500, COLUMNS)
    assert added.created == "2026-03-01T12:00:00+00:00"
    return FingerprintStore(store.folder)  # a later scan: loaded from disk


def test_a_reordered_jsonl_subset_is_reported(registered: FingerprintStore, customers: list[dict[str, object]],
                                              tmp_path: Path) -> None:
    subset = random.Random(1).sample(customers, 120)  # shuffled, and a tenth of the rows
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in subset), encoding="utf-8")
    assert registered.match(path) == [FingerprintMatch("customers", 120, 120, 1.0, 1500, True)]


def test_parquet_rows_with_columns_in_another_order_are_reported(
        registered: FingerprintStore, customers: list[dict[str, object]], tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = customers[300:380]
    # Native types: ints, floats, booleans and timestamps, not the CSV's text.
    table = pa.table({
        "joined": [datetime.fromisoformat(str(r["joined"])) for r in rows],
        "active": [r["active"] for r in rows], "email": [r["email"] for r in rows],
        "score": [r["score"] for r in rows], "id": [r["id"] for r in rows], "name": [r["name"] for r in rows],
    })
    path = tmp_path / "leak.parquet"
    pq.write_table(table, path)
    (match,) = registered.match(path)
    assert (match.name, match.shared_rows, match.sampled_rows) == ("customers", 80, 80)


def test_a_sqlite_table_of_the_rows_is_reported(registered: FingerprintStore,
                                                customers: list[dict[str, object]], tmp_path: Path) -> None:
    path = tmp_path / "copy.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (email TEXT, name TEXT, id INTEGER, score REAL, active TEXT, joined TEXT)")
        conn.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
                         [(r["email"], r["name"], r["id"], r["score"], str(r["active"]).upper(), r["joined"])
                          for r in customers[:40]])
    conn.close()
    assert [(m.name, m.shared_rows) for m in registered.match(path)] == [("customers", 40)]


def test_an_unrelated_file_is_not_reported(registered: FingerprintStore, tmp_path: Path) -> None:
    other = write_csv(tmp_path / "other.csv", dataset(800, seed=99))
    assert registered.match(other) == []


def test_a_single_shared_row_in_a_large_file_is_below_the_bar(
        registered: FingerprintStore, customers: list[dict[str, object]], tmp_path: Path) -> None:
    rows = [*dataset(400, seed=5), customers[7]]
    path = write_csv(tmp_path / "mostly_other.csv", rows)
    assert registered.match(path) == []
    assert [m.shared_rows for m in FingerprintStore(registered.folder, min_rows=1).match(path)] == [1]


def test_findings_name_the_dataset_and_the_counts() -> None:
    match = FingerprintMatch("customers", 120, 2000, 0.06, 1500, False)
    (finding,) = fingerprint_findings([match], "exports/leak.jsonl")
    assert (finding.rule, finding.kind, finding.severity, finding.line, finding.path) == (
        "known_sensitive_dataset", Kind.FINGERPRINT, Severity.CRITICAL, 0, "exports/leak.jsonl")
    assert finding.message == ('120 of 2,000 sampled rows (6%) are rows of the sensitive dataset "customers" '
                               "(1,500 rows fingerprinted)")
    assert "veil scan fingerprint remove customers" in finding.remediation
    assert finding.fingerprint == file_fingerprint("known_sensitive_dataset", "exports/leak.jsonl", "customers")
    assert finding.extra["shared_rows"] == 120


def test_the_key_is_private_and_made_on_first_add(store: FingerprintStore, customers: list[dict[str, object]],
                                                  tmp_path: Path) -> None:
    assert store.names() == []
    assert store.match(write_csv(tmp_path / "c.csv", customers)) == []
    assert not store.folder.exists()  # listing and matching never create the store
    store.add(tmp_path / "c.csv", "c")
    key = store.folder / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(bytes.fromhex(key.read_text("ascii"))) == 32


def test_the_store_holds_no_cell_value(registered: FingerprintStore, customers: list[dict[str, object]]) -> None:
    stored = (registered.folder / "customers.json").read_text("utf-8")
    assert not [row for row in customers[:200] if str(row["email"]) in stored or str(row["name"]) in stored]


def test_names_remove_and_replace(registered: FingerprintStore, customers: list[dict[str, object]],
                                  tmp_path: Path) -> None:
    source = write_csv(tmp_path / "again.csv", customers[:10])
    with pytest.raises(InvalidInput, match="exists"):
        registered.add(source, "customers")
    assert registered.add(source, "customers", replace=True).rows == 10
    registered.add(source, "second.set")
    assert registered.names() == ["customers", "second.set"]
    registered.remove("customers")
    assert registered.names() == ["second.set"]
    with pytest.raises(NotFound):
        registered.remove("customers")
    with pytest.raises(InvalidInput):
        registered.add(source, "../escape")


def test_add_reads_at_most_max_rows(store: FingerprintStore, customers: list[dict[str, object]],
                                    tmp_path: Path) -> None:
    assert store.add(write_csv(tmp_path / "c.csv", customers), max_rows=100).rows == 100


def test_a_corrupt_fingerprint_file_is_an_error_naming_it(registered: FingerprintStore, tmp_path: Path) -> None:
    (registered.folder / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.json"):
        FingerprintStore(registered.folder).match(tmp_path / "customers.csv")


def test_a_malformed_fingerprint_file_is_an_error_naming_it(registered: FingerprintStore, tmp_path: Path) -> None:
    path = registered.folder / "customers.json"
    data = json.loads(path.read_text("utf-8"))
    data["hashes"] = "not base64!"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"customers\.json"):
        FingerprintStore(registered.folder).load()


def test_a_replaced_key_is_an_error_not_silence(registered: FingerprintStore) -> None:
    (registered.folder / KEY_FILE).write_text(bytes(32).hex(), encoding="ascii")
    with pytest.raises(ConfigError, match="another key"):
        FingerprintStore(registered.folder).load()


@pytest.mark.parametrize(("left", "right"), [
    (["1", "Ana Lima", "true"], ["Ana Lima", "1.0", "TRUE"]),  # order, numbers, booleans
    (["  7 ", "x@example.org"], ["x@example.org", "+7", ""]),  # blanks and empty cells
    (["0.50", "x@example.org"], [".5", "x@example.org"]),
    (["2024-01-02T10:00:00", "x@example.org"], ["2024-01-02 10:00:00", "x@example.org"]),
    (["1e3", "x@example.org"], ["1000", "x@example.org"]),
])
def test_rows_that_say_the_same_hash_the_same(left: list[str], right: list[str]) -> None:
    assert row_hash(KEY, left) == row_hash(KEY, right) is not None


@pytest.mark.parametrize(("left", "right"), [
    (["1", "Ana Lima"], ["2", "Ana Lima"]),
    (["Ana Lima", "x@example.org"], ["Ana", "Lima x@example.org"]),  # cells do not run together
    (["Ana Lima", "x@example.org"], ["ana lima", "x@example.org"]),
])
def test_rows_that_differ_hash_apart(left: list[str], right: list[str]) -> None:
    assert row_hash(KEY, left) != row_hash(KEY, right)


def test_a_trivial_row_is_not_hashed_and_the_key_matters() -> None:
    assert row_hash(KEY, ["1", "true", ""]) is None
    assert row_hash(KEY, ["Ana Lima", "7"]) != row_hash(bytes(32), ["Ana Lima", "7"])


@pytest.mark.parametrize(("cell", "normal"), [
    ("1", "1"), ("1.0", "1"), ("-0.0", "0"), ("003", "3"), ("2.50", "2.5"), ("1e-3", "0.001"),
    ("False", "false"), (" Ana ", "Ana"), ("1,5", "1,5"), ("nan", "nan"), ("1e999", "1E+999"),
    ("2024-01-02T10:00", "2024-01-02 10:00"), ("T-shirt", "T-shirt"),
])
def test_normalized_cells(cell: str, normal: str) -> None:
    assert normalize_cell(cell) == normal
