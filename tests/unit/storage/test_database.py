"""Transactions, SQLite settings and error mapping of one ``Database``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from veil.errors import StorageError
from veil.storage import Database, upgrade
from veil.storage.tables import subjects

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _subject(subject_id: str, key_id: str) -> dict[str, object]:
    return {"subject_id": subject_id, "region": "DE", "key_id": key_id, "state": "active", "created_at": NOW}


def _ids(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(sa.select(subjects.c.subject_id).order_by(subjects.c.subject_id)).scalars())


def _insert(db: Database, *rows: dict[str, object], fail: bool = False) -> None:
    with db.write() as conn:
        for row in rows:
            conn.execute(sa.insert(subjects), [row])
        if fail:
            raise RuntimeError("stop")


def test_a_failed_write_rolls_back_and_reports_the_error_class_only(databases: tuple[Database, Database]) -> None:
    data = databases[0]
    _insert(data, _subject("s1", "k1"))
    with pytest.raises(StorageError) as caught:
        _insert(data, _subject("s2", "k2"), _subject("s3", "k1"))  # duplicate key id
    assert re.fullmatch(r"database operation failed \((IntegrityError|UniqueViolation)\)", caught.value.message)
    assert caught.value.__cause__ is None
    assert _ids(data) == ["s1"]


def test_an_error_inside_a_write_rolls_it_back_and_propagates(databases: tuple[Database, Database]) -> None:
    with pytest.raises(RuntimeError):
        _insert(databases[0], _subject("s1", "k1"), fail=True)
    assert _ids(databases[0]) == []


def test_naive_datetimes_are_refused_and_aware_ones_come_back_in_utc(databases: tuple[Database, Database]) -> None:
    data = databases[0]
    with pytest.raises(StorageError):
        _insert(data, {**_subject("s1", "k1"), "created_at": datetime(2026, 3, 1)})
    _insert(data, _subject("s2", "k2"))
    with data.read() as conn:
        created = conn.execute(sa.select(subjects.c.created_at)).scalar_one()
    assert created == NOW
    assert created.utcoffset() == timedelta(0)


def _pragma(db: Database, name: str) -> object:
    with db.read() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_secure_delete_when_asked(tmp_path: Path) -> None:
    plain = Database.from_url(f"sqlite:///{tmp_path}/data.db")
    secure = Database.from_url(f"sqlite:///{tmp_path}/keys.db", secure_delete=True)
    try:
        assert plain.is_sqlite
        assert plain.dialect == "sqlite"
        assert _pragma(plain, "journal_mode") == "wal"
        assert _pragma(plain, "foreign_keys") == 1
        assert _pragma(secure, "secure_delete") == 1  # some SQLite builds turn it on everywhere by default
    finally:
        plain.dispose()
        secure.dispose()


def test_checkpoint_empties_the_sqlite_write_ahead_log(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path}/data.db")
    try:
        upgrade(db, "data")
        with db.write() as conn:
            conn.execute(sa.insert(subjects), [_subject("s1", "k1")])
        wal = tmp_path / "data.db-wal"
        assert wal.stat().st_size > 0
        db.checkpoint()
        assert wal.stat().st_size == 0
        assert _ids(db) == ["s1"]
    finally:
        db.dispose()
