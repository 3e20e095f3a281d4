"""Migrations: from an empty database to head, matching the table definitions, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.conftest import Backend, postgres_unavailable
from veil.errors import ConfigError, StorageError
from veil.storage import DATA_METADATA, KEYS_METADATA, Database, current_revision, upgrade
from veil.storage._migrate import Which, version_table
from veil.storage.tables import audit_entries, audit_unchained, key_epochs, subjects

METADATA = {"data": DATA_METADATA, "keys": KEYS_METADATA}
WHICH: tuple[Which, ...] = ("data", "keys")
HEAD = {"data": "0003", "keys": "0001"}


def _differences(db: Database, which: Which) -> list[object]:
    with db.read() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": version_table(which),
                                                         "compare_type": True})
        return list(compare_metadata(context, METADATA[which]))


def _tables(db: Database) -> set[str]:
    with db.read() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_upgrade_from_empty_reaches_head_and_matches_the_table_definitions(backend: Backend) -> None:
    data, keys = backend.open()
    try:
        for db, which in zip((data, keys), WHICH, strict=True):
            assert current_revision(db, which) is None
            assert _tables(db) == set()
            upgrade(db, which)
            assert current_revision(db, which) == HEAD[which]
            assert _differences(db, which) == []
            assert _tables(db) == set(METADATA[which].tables) | {version_table(which)}
    finally:
        data.dispose()
        keys.dispose()


def test_data_and_key_tables_live_in_separate_databases(backend: Backend) -> None:
    data, keys = backend.open()
    try:
        upgrade(data, "data")
        upgrade(keys, "keys")
        assert not _tables(data) & set(KEYS_METADATA.tables)
        assert not _tables(keys) & set(DATA_METADATA.tables)
    finally:
        data.dispose()
        keys.dispose()


def test_running_upgrade_twice_is_a_no_op_that_keeps_the_rows(backend: Backend) -> None:
    data, keys = backend.open()
    now = datetime(2026, 3, 1, tzinfo=UTC)
    try:
        upgrade(data, "data")
        upgrade(keys, "keys")
        with data.write() as conn:
            conn.execute(sa.insert(subjects).values(subject_id="s1", region="DE", key_id="k1", state="active",
                                                    created_at=now))
        with keys.write() as conn:
            conn.execute(sa.insert(key_epochs).values(epoch=1, kek_version=1, started_at=now, rewrapped=0))
        tables = (_tables(data), _tables(keys))
        upgrade(data, "data")
        upgrade(keys, "keys", "0001")
        assert (current_revision(data, "data"), current_revision(keys, "keys")) == (HEAD["data"], HEAD["keys"])
        assert (_tables(data), _tables(keys)) == tables
        with data.read() as conn:
            assert conn.execute(sa.select(subjects.c.subject_id)).scalars().all() == ["s1"]
        with keys.read() as conn:
            assert conn.execute(sa.select(key_epochs.c.epoch)).scalars().all() == [1]
    finally:
        data.dispose()
        keys.dispose()


def test_0002_keeps_the_unchained_audit_entries_and_starts_an_empty_tree(backend: Backend) -> None:
    data, keys = backend.open()
    try:
        upgrade(data, "data", "0001")
        with data.write() as conn:
            conn.execute(sa.text(
                "INSERT INTO veil_audit_entries (at, actor, action, resource, decision, counts) "
                "VALUES (:at, 'cli', 'vault.put', 'collection:customers', 'allow', '{}')"
            ), {"at": datetime(2026, 3, 1, tzinfo=UTC)})
        upgrade(data, "data")
        assert current_revision(data, "data") == HEAD["data"]
        with data.read() as conn:
            kept = conn.execute(sa.select(audit_unchained.c.actor, audit_unchained.c.action)).all()
            assert conn.execute(sa.select(sa.func.count()).select_from(audit_entries)).scalar_one() == 0
        assert [tuple(row) for row in kept] == [("cli", "vault.put")]
    finally:
        data.dispose()
        keys.dispose()


def test_a_database_path_that_cannot_be_opened_is_a_storage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "veil.db"
    db = Database.from_url(f"sqlite:///{missing}")
    with pytest.raises(StorageError) as caught:
        upgrade(db, "data")
    assert caught.value.message == "database operation failed (OperationalError)"
    assert str(missing) not in str(caught.value)
    with pytest.raises(StorageError):
        current_revision(db, "data")
    assert not missing.parent.exists()


@pytest.mark.parametrize("url", [
    "mysql://veil:hunter2-secret@db.example.org/veil",
    "mysql+pymysql://veil:hunter2-secret@db.example.org:3306/veil",
    "postgresql+psycopg2://veil:hunter2-secret@db.example.org/veil",  # a driver other than psycopg
    "oracle://veil:hunter2-secret@db.example.org/veil",
])
def test_an_unsupported_database_url_is_a_config_error_that_hides_the_password(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Database.from_url(url)
    assert "hunter2-secret" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_malformed_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a valid SQLAlchemy URL"):
        Database.from_url("veil:hunter2-secret at db.example.org")


def test_an_unreachable_postgresql_server_is_a_storage_error_that_hides_the_password() -> None:
    reason = postgres_unavailable()
    if reason and "psycopg" in reason and "installed" in reason:
        pytest.skip(reason)
    db = Database.from_url("postgresql+psycopg://veil:hunter2-secret@127.0.0.1:1/test")
    try:
        with pytest.raises(StorageError) as caught:
            upgrade(db, "data")
        assert "hunter2-secret" not in str(caught.value)
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__
    finally:
        db.dispose()
