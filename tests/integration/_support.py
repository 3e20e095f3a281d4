"""Helpers of the integration tests: vaults, raw table access, database backups, child processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.conftest import fixture_policy
from veil._clock import Clock, FixedClock
from veil.crypto import KeyProvider
from veil.storage import DATA_METADATA, KEYS_METADATA, Database
from veil.storage.tables import blind_index, data_keys, records, subjects
from veil.vault import ProfileSet, Vault, VaultSchema, shipped_profiles

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "tests" / "fixtures" / "veil.toml"
#: The moment every vault of these tests (parent and children) lives at.
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def load_schema() -> VaultSchema:
    with SCHEMA_FILE.open("rb") as handle:
        return VaultSchema.from_mapping(tomllib.load(handle), source=str(SCHEMA_FILE))


def make_vault(data: Database, keys: Database, provider: KeyProvider, schema: VaultSchema | None = None,
               clock: Clock | None = None) -> Vault:
    return Vault(data, keys, provider, schema or load_schema(), profiles=ProfileSet.load(shipped_profiles()),
                 location="EU", clock=clock or FixedClock(NOW), policy=fixture_policy())


@contextmanager
def opened(backend: Any) -> Iterator[tuple[Database, Database]]:
    """A fresh (data, keys) pair of engines on ``backend``, disposed afterwards."""
    data, keys = backend.open()
    try:
        yield data, keys
    finally:
        data.dispose()
        keys.dispose()


def scalar(db: Database, query: sa.Select[Any]) -> Any:
    with db.read() as conn:
        return conn.execute(query).scalar()


def count(db: Database, table: sa.Table, *where: Any) -> int:
    return int(scalar(db, sa.select(sa.func.count()).select_from(table).where(*where)))


def raw_records(data: Database, subject_id: str) -> list[Any]:
    with data.read() as conn:
        return list(conn.execute(sa.select(records).where(records.c.subject_id == subject_id)).all())


def key_ids(keys: Database) -> set[str]:
    with keys.read() as conn:
        return set(conn.execute(sa.select(data_keys.c.key_id)).scalars())


def subject_keys(data: Database) -> dict[str, str]:
    with data.read() as conn:
        return dict(conn.execute(sa.select(subjects.c.subject_id, subjects.c.key_id)).all())


def index_entries(data: Database, *where: Any) -> int:
    return count(data, blind_index, *where)


# -- backups -------------------------------------------------------------------------


@dataclass
class Backup:
    """A copy of one database: the SQLite file (backup API) or every row of every veil table."""

    db_url: str
    which: str
    file: Path | None = None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _metadata(which: str) -> sa.MetaData:
    return DATA_METADATA if which == "data" else KEYS_METADATA


def take_backup(db: Database, which: str, folder: Path, label: str) -> Backup:
    backup = Backup(str(db.engine.url), which)
    if db.is_sqlite:
        db.checkpoint()
        backup.file = folder / f"backup-{which}-{label}.db"
        source, target = sqlite3.connect(str(db.engine.url.database)), sqlite3.connect(backup.file)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return backup
    with db.read() as conn:
        for table in _metadata(which).sorted_tables:
            backup.rows[table.name] = [dict(r) for r in conn.execute(sa.select(table)).mappings()]
    return backup


def restore_backup(db: Database, backup: Backup) -> None:
    """Put ``backup`` back in place of the live database (every other engine on it disposed first)."""
    db.dispose()
    if db.is_sqlite:
        assert backup.file is not None
        source, target = sqlite3.connect(backup.file), sqlite3.connect(str(db.engine.url.database))
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        db.dispose()
        return
    tables = _metadata(backup.which).sorted_tables
    with db.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE " + ", ".join(t.name for t in tables))
        for table in tables:
            if backup.rows[table.name]:
                conn.execute(sa.insert(table), backup.rows[table.name])
    db.dispose()


# -- child processes -----------------------------------------------------------------


def worker_config(backend: Any, keyring: Path, **extra: Any) -> dict[str, Any]:
    return {"data_url": backend.data_url, "keys_url": backend.keys_url, "data_schema": backend.data_schema,
            "keys_schema": backend.keys_schema, "keyring": str(keyring), **extra}


def _command(task: str, config: dict[str, Any]) -> list[str]:
    return [sys.executable, "-m", "tests.integration._worker", task, json.dumps(config)]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def start_worker(task: str, config: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(_command(task, config), cwd=REPO, env=_environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    """Wait for a worker (killing it past ``timeout``) and return the JSON it printed last."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate(timeout=10)
        raise AssertionError(f"worker ran past {timeout}s; stderr:\n{err[-3000:]}") from None
    assert process.returncode == 0, f"worker failed ({process.returncode}); stderr:\n{err[-3000:]}"
    return json.loads(out.strip().splitlines()[-1])


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.01) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
