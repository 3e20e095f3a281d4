from __future__ import annotations

import csv
import gzip
import json
import random
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from faker import Faker

from tests.conftest import Canary
from veil.detect import Detector, Entity
from veil.errors import DependencyMissing, InvalidInput, NotFound
from veil.scan._dataset_readers import dataset_kind, read_samples
from veil.scan._datasets import (
    ColumnProfile,
    DatasetPolicy,
    DatasetProfile,
    dataset_findings,
    label_of,
    profile_dataset,
)
from veil.scan._finding import Kind, Severity, file_fingerprint

DETECTOR = Detector()
HEADER = ["id", "email", "phone", "surname", "dob", "product_name", "notes", "amount"]


def people(count: int, seed: int = 7) -> list[dict[str, object]]:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for index in range(count):
        note = (f"Called {fake.name()} on {fake.numerify('+44 20 7946 0###')} about the refund."
                if index % 3 == 0 else fake.sentence(nb_words=10))
        rows.append({"id": index, "email": fake.email(), "phone": fake.numerify("+44 20 7946 0###"),
                     "surname": fake.last_name().lower(), "dob": fake.date_of_birth().isoformat(),
                     "product_name": f"Widget {fake.word().title()}", "notes": note,
                     "amount": f"{rng.random() * 1000:.2f}"})
    return rows


def write_csv(path: Path, rows: list[dict[str, object]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def by_name(profile: DatasetProfile) -> dict[str, ColumnProfile]:
    return {column.name: column for column in profile.columns}


@pytest.fixture(scope="module")
def people_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(tmp_path_factory.mktemp("people") / "people.csv", people(600))


# -- what a file is -------------------------------------------------------------------------

KINDS = [
    ("a.csv", b"id,email\n", "csv"),
    ("a.TSV", b"id\temail\n", "csv"),
    ("a.jsonl", b'{"a": 1}\n', "jsonl"),
    ("a.ndjson", b'{"a": 1}\n', "jsonl"),
    ("a.csv.gz", b"\x1f\x8b\x08\x00", "csv"),
    ("a.jsonl.gz", b"\x1f\x8b\x08\x00", "jsonl"),
    ("a.csv.gz", b"id,email\n", None),  # not gzipped after all
    ("a.parquet", b"PAR1\x15\x04", "parquet"),
    ("a.parquet", b"not parquet", None),
    ("data.bin", b"PAR1\x15\x04", "parquet"),  # the magic decides
    ("app.db", b"SQLite format 3\x00\x10\x00", "sqlite"),
    ("app.db", b"\x00\x01 some other db", None),
    ("no_extension", b"SQLite format 3\x00", "sqlite"),
    ("a.csv", b"\x00\x00binary", None),
    ("notes.txt", b"id,email\n", None),
    ("a.json", b'{"a": 1}\n', None),
]


@pytest.mark.parametrize(("name", "head", "expected"), KINDS)
def test_dataset_kind_by_extension_and_magic(name: str, head: bytes, expected: str | None) -> None:
    assert dataset_kind(Path(name), head) == expected


@pytest.mark.parametrize(("name", "label"), [
    ("dateOfBirth", "date of birth"), ("Surname", "last name"), ("user.e_mail", "email"),
    ("first-name", "first name"), ("IP_ADDRESS", "ip address"), ("notes", "notes"),
])
def test_column_names_read_as_words(name: str, label: str) -> None:
    assert label_of(name) == label


# -- the profile ------------------------------------------------------------------------------


def test_csv_profile_finds_identifier_and_free_text_columns(people_csv: Path) -> None:
    (profile,) = profile_dataset(people_csv, DETECTOR)
    assert (profile.rows_sampled, profile.complete, profile.format, profile.table) == (600, True, "csv", None)
    columns = by_name(profile)
    assert columns["email"].kind == "identifier"
    assert columns["email"].shares[Entity.EMAIL_ADDRESS] >= 0.98
    assert columns["phone"].shares[Entity.PHONE_NUMBER] >= 0.9
    # The name says so: the detector's own header rule, here on lower-case names.
    assert columns["surname"].shares[Entity.PERSON] >= 0.95
    assert columns["dob"].shares[Entity.DATE_OF_BIRTH] >= 0.95
    notes = columns["notes"]
    assert notes.free_text
    assert notes.kind == "free_text"
    assert notes.mentions[Entity.PERSON] >= 150
    assert notes.mentions[Entity.PHONE_NUMBER] >= 150
    for clean in ("id", "amount", "product_name"):
        assert columns[clean].kind == "clean", clean
    assert columns["id"].non_empty == 600


def test_verdict_reports_each_offending_column_once(people_csv: Path) -> None:
    (profile,) = profile_dataset(people_csv, DETECTOR)
    findings = {f.extra["column"]: f for f in dataset_findings(profile, DatasetPolicy(), "data/people.csv")}
    assert set(findings) == {"email", "phone", "surname", "dob", "notes"}
    email = findings["email"]
    assert (email.rule, email.kind, email.severity, email.line, email.path) == (
        "dataset_direct_identifier", Kind.DATASET, Severity.HIGH, 0, "data/people.csv")
    assert email.message == ('column "email": 100% EMAIL_ADDRESS over all 600 rows '
                             "(direct identifier outside the vault)")
    assert email.entity == "EMAIL_ADDRESS"
    assert email.fingerprint == file_fingerprint("dataset_direct_identifier", "data/people.csv", "email")
    assert email.extra["shares"] == {"EMAIL_ADDRESS": 1.0}
    assert "vault" in email.remediation
    assert ".veilignore" in email.remediation
    notes = findings["notes"]
    assert notes.rule == "dataset_free_text_pii"
    assert notes.message.startswith('column "notes": free text with ')
    assert "PERSON (" in notes.message
    assert "PHONE_NUMBER (" in notes.message


def test_policy_decides_what_offends(people_csv: Path) -> None:
    (profile,) = profile_dataset(people_csv, DETECTOR)
    policy = DatasetPolicy(denied=frozenset({"EMAIL_ADDRESS"}), free_text_mentions=frozenset())
    assert [f.extra["column"] for f in dataset_findings(profile, policy, "p.csv")] == ["email"]
    assert dataset_findings(profile, DatasetPolicy(min_share=1.01, min_mentions=10**6), "p.csv") == []


def test_sampled_rows_are_said_to_be_a_sample(people_csv: Path) -> None:
    (profile,) = profile_dataset(people_csv, DETECTOR, max_rows=100)
    assert (profile.rows_sampled, profile.complete) == (100, False)
    messages = [f.message for f in dataset_findings(profile, DatasetPolicy(), "p.csv")]
    assert any("over 100 sampled rows" in m for m in messages)


def test_no_cell_value_reaches_findings_or_the_profile(tmp_path: Path, canary_pii: Canary) -> None:
    rows = people(40)
    for row in rows:
        row.update(email=canary_pii.email, phone=canary_pii.phone, notes=canary_pii.text())
    (profile,) = profile_dataset(write_csv(tmp_path / "c.csv", rows), DETECTOR)
    findings = dataset_findings(profile, DatasetPolicy(), "c.csv")
    assert len(findings) >= 3
    canary_pii.assert_absent([json.dumps(f.to_dict()) for f in findings], json.dumps(profile.to_dict()))


def test_a_detector_without_names_sees_no_name_column(people_csv: Path) -> None:
    emails_only = Detector(entities=[Entity.EMAIL_ADDRESS])
    columns = by_name(profile_dataset(people_csv, emails_only)[0])
    assert columns["surname"].shares == {}
    assert columns["email"].kind == "identifier"


def test_tsv_and_semicolon_files_are_split_by_their_delimiter(tmp_path: Path) -> None:
    rows = people(30)
    for delimiter, name in (("\t", "p.tsv"), (";", "p.csv"), ("|", "p.psv")):
        (profile,) = profile_dataset(write_csv(tmp_path / name, rows, delimiter), DETECTOR)
        assert [c.name for c in profile.columns] == HEADER, name
        assert by_name(profile)["email"].kind == "identifier", name


def test_jsonl_is_flattened_and_bad_lines_are_counted(tmp_path: Path) -> None:
    fake = Faker()
    fake.seed_instance(3)
    lines = [json.dumps({"id": i, "user": {"email": fake.email(), "tags": ["a", "b"]}, "ok": True, "n": None})
             for i in range(50)]
    lines[10:10] = ["{not json", "[1, 2]"]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (profile,) = profile_dataset(path, DETECTOR)
    columns = by_name(profile)
    assert list(columns) == ["id", "user.email", "user.tags", "ok", "n"]
    assert columns["user.email"].kind == "identifier"
    assert columns["n"].non_empty == 0
    assert (profile.rows_sampled, profile.skipped_rows) == (50, 2)
    (sample,) = read_samples(path)
    assert sample.rows[0]["user.tags"] == "a, b"
    assert sample.rows[0]["ok"] == "true"


def test_a_file_with_no_readable_row_names_the_line_not_the_value(tmp_path: Path, canary_pii: Canary) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f"\n{canary_pii.email}\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        profile_dataset(path, DETECTOR)
    assert "bad.jsonl" in caught.value.message
    assert "line 2" in caught.value.message
    canary_pii.assert_absent(caught.value.message)


def test_ragged_csv_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("id,email\n1,a@example.org\n2\n3,c@example.org,extra\n4,d@example.org\n", encoding="utf-8")
    (profile,) = profile_dataset(path, DETECTOR)
    assert (profile.rows_sampled, profile.skipped_rows) == (2, 2)


def test_gzipped_csv_is_read(tmp_path: Path, people_csv: Path) -> None:
    path = tmp_path / "people.csv.gz"
    path.write_bytes(gzip.compress(people_csv.read_bytes()))
    (profile,) = profile_dataset(path, DETECTOR, max_rows=200)
    assert profile.rows_sampled == 200
    assert not profile.complete
    assert by_name(profile)["email"].kind == "identifier"


def test_a_truncated_gzip_stream_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(b"id,email\n" * 100)[:12])
    with pytest.raises(InvalidInput, match=r"cut\.csv\.gz"):
        profile_dataset(path, DETECTOR)


def test_parquet_profile(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = people(300)
    table = pa.table({name: [row[name] for row in rows] for name in HEADER})
    path = tmp_path / "people.parquet"
    pq.write_table(table, path, row_group_size=50)
    (profile,) = profile_dataset(path, DETECTOR)
    assert (profile.format, profile.rows_sampled, profile.complete) == ("parquet", 300, True)
    assert by_name(profile)["email"].kind == "identifier"
    (sampled,) = profile_dataset(path, DETECTOR, max_rows=60)
    assert (sampled.rows_sampled, sampled.complete) == (60, False)


def test_corrupt_parquet_is_an_error_naming_the_file(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    with pytest.raises(InvalidInput, match=r"broken\.parquet"):
        profile_dataset(path, DETECTOR)


def test_parquet_without_pyarrow_says_which_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 16)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(DependencyMissing, match=r"install 'veil\[parquet\]'"):
        profile_dataset(path, DETECTOR)


def make_sqlite(path: Path, users: int) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute('CREATE TABLE "user list" (id INTEGER PRIMARY KEY, email TEXT, note BLOB)')
        conn.executemany('INSERT INTO "user list" VALUES (?, ?, ?)',
                         [(i, f"user.{i}@example.org", b"\xff\x00") for i in range(users)])
        conn.execute("CREATE TABLE orders (sku TEXT, qty INTEGER)")
        conn.executemany("INSERT INTO orders VALUES (?, ?)", [(f"A-{i}", i % 7) for i in range(30)])
        conn.execute("CREATE VIEW emails AS SELECT email FROM \"user list\"")
    conn.close()
    return path


def test_each_sqlite_table_is_a_dataset_read_without_writing(tmp_path: Path) -> None:
    path = make_sqlite(tmp_path / "app.db", 50)
    before = path.read_bytes()
    profiles = profile_dataset(path, DETECTOR)
    assert [(p.table, p.rows_sampled, p.complete) for p in profiles] == [("orders", 30, True), ("user list", 50, True)]
    users = profiles[1]
    assert by_name(users)["email"].kind == "identifier"
    assert by_name(users)["note"].non_empty == 0  # binary is no text
    (finding,) = dataset_findings(users, DatasetPolicy(), "app.db")
    assert finding.message.startswith('table "user list", column "email": 100% EMAIL_ADDRESS')
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("app.db-*"))  # no journal or WAL left behind


def test_one_sqlite_table_by_name(tmp_path: Path) -> None:
    path = make_sqlite(tmp_path / "app.sqlite", 5)
    assert [p.table for p in profile_dataset(path, DETECTOR, table="orders")] == ["orders"]
    with pytest.raises(NotFound, match="missing"):
        profile_dataset(path, DETECTOR, table="missing")


def test_a_large_sqlite_table_is_sampled_across_its_rowids(tmp_path: Path) -> None:
    path = make_sqlite(tmp_path / "big.db", 40_000)
    (sample,) = read_samples(path, table="user list")
    ids = sorted(int(row["id"]) for row in sample.rows)
    assert len(ids) <= 2000
    assert not sample.complete
    assert ids[0] < 1000
    assert ids[-1] > 36_000


def test_a_large_sorted_csv_is_sampled_across_its_length(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rng = random.Random(5)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("id,email,comment,score\n")
        index = 0
        while handle.tell() < 50 << 20:
            handle.write("".join(
                f'{i},user{i}@example.org,"{rng.choice(words)} {rng.choice(words)}, {i % 97}",{i % 1000}\n'
                for i in range(index, index + 10_000)))
            index += 10_000
    started = time.perf_counter()
    (profile,) = profile_dataset(path, DETECTOR)
    elapsed = time.perf_counter() - started
    (sample,) = read_samples(path)
    ids = sorted(int(row["id"]) for row in sample.rows)
    assert profile.rows_sampled <= 2000
    assert not profile.complete
    assert sample.bytes_read <= (16 << 20) + (1 << 20)
    assert ids[0] < index * 0.05
    assert ids[-1] > index * 0.9
    assert len(set(ids)) == len(ids)
    assert by_name(profile)["email"].kind == "identifier"
    assert elapsed < 10


def test_profile_to_dict_is_json(people_csv: Path) -> None:
    (profile,) = profile_dataset(people_csv, DETECTOR)
    data = json.loads(json.dumps(profile.to_dict()))
    assert data["rows_sampled"] == 600
    assert data["complete"] is True
    email = next(c for c in data["columns"] if c["name"] == "email")
    assert email == {"name": "email", "kind": "identifier", "non_empty": 600,
                     "shares": {"EMAIL_ADDRESS": 1.0}, "free_text": False, "mentions": {}}


def test_bounds_must_be_positive(people_csv: Path) -> None:
    with pytest.raises(InvalidInput):
        profile_dataset(people_csv, DETECTOR, max_rows=0)


def test_a_large_jsonl_file_is_sampled_across_its_length(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps({"id": i, "event": "login", "ok": i % 2 == 0}) + "\n"
                            for i in range(20_000)), encoding="utf-8")
    (sample,) = read_samples(path, max_rows=160, max_bytes=64 << 10)
    ids = [int(row["id"]) for row in sample.rows]
    assert len(ids) == 160
    assert not sample.complete
    assert ids == sorted(set(ids))  # windows in file order, none read twice
    assert ids[0] == 0
    assert ids[-1] > 18_000
    assert sample.skipped == 0  # a window starts at a line start, never mid-record


def test_quoted_newlines_survive_sampling_by_offsets(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "note", "score"])
        writer.writerows([i, f"line one\nline two, {i}\n", i % 10] for i in range(20_000))
    (sample,) = read_samples(path, max_rows=320, max_bytes=128 << 10)
    assert 300 <= len(sample.rows) <= 320
    assert sample.columns == ["id", "note", "score"]
    for row in sample.rows:  # a resync inside a quoted field is dropped, never read as a row
        assert row["note"] == f"line one\nline two, {row['id']}\n"
    assert int(sample.rows[-1]["id"]) > 18_000


def test_a_gzipped_file_is_bounded_by_its_head(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(b'{"id": %d}\n' % i for i in range(50_000))))
    (sample,) = read_samples(path, max_rows=10_000, max_bytes=32 << 10)
    assert not sample.complete
    assert sample.bytes_read <= (32 << 10) + 64
    assert 0 < len(sample.rows) < 10_000
