"""Concurrent writers, subject creation and erasure: PostgreSQL with threads, SQLite with processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Backend
from tests.integration import _work
from tests.integration._support import (
    count,
    finish,
    key_ids,
    make_vault,
    opened,
    raw_records,
    start_worker,
    subject_keys,
    wait_for,
    worker_config,
)
from veil._clock import FixedClock
from veil.crypto import InMemoryKeyProvider, KeyProvider, LocalKeyring
from veil.errors import IntegrityError, NotFound
from veil.storage import Database
from veil.storage.tables import blind_index, data_keys, destroyed_keys, records, subjects
from veil.vault import Vault, VaultSchema

THREADS = 8  # PostgreSQL: one Vault and engine pair per thread
PROCESSES = 4  # SQLite: one Vault per spawned process, keys through a shared LocalKeyring


def _in_threads(backend: Backend, provider: KeyProvider, count_: int,
                work: Callable[[Vault, int], Any], *, timeout: float = 60) -> list[Any]:
    """Run ``work(vault, index)`` in ``count_`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count_)
    results: list[Any] = [None] * count_
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with opened(backend) as (data, keys):
                vault = make_vault(data, keys, provider)
                barrier.wait(timeout=30)
                results[index] = work(vault, index)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count_)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), f"threads still running after {timeout}s"
    if errors:
        raise errors[0]
    return results


def _in_processes(backend: Backend, keyring: Path, tmp_path: Path, task: str, count_: int,
                  *, timeout: float = 60, **config: Any) -> list[dict[str, Any]]:
    """Run worker ``task`` in ``count_`` processes released together by a go file."""
    go = tmp_path / f"go-{task}"
    ready = [tmp_path / f"ready-{task}-{i}" for i in range(count_)]
    children = [start_worker(task, worker_config(backend, keyring, index=i, ready=str(ready[i]), go=str(go),
                                                 **config)) for i in range(count_)]
    try:
        wait_for(lambda: all(r.exists() for r in ready) or any(c.poll() is not None for c in children),
                 timeout=timeout, what="every worker to be ready")
        go.touch()
        return [finish(child, timeout) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate(timeout=10)


# -- concurrent writers -----------------------------------------------------------------


def test_concurrent_writers_lose_no_updates(backend: Backend, databases: tuple[Database, Database],
                                           schema: VaultSchema, clock: FixedClock, tmp_path: Path) -> None:
    data, keys = databases
    if backend.name == "sqlite":
        keyring = tmp_path / "keyring.json"
        provider: KeyProvider = LocalKeyring.create(keyring)
        writers = PROCESSES
    else:
        provider = InMemoryKeyProvider()
        writers = THREADS
    vault = make_vault(data, keys, provider, schema, clock)
    vault.add_subject("s0", "DE", actor="tester")
    originals = [{"email": f"shared{n}@example.org", "name": "original", "age": 1, "notes": "original notes"}
                 for n in range(-(-writers // len(_work.FIELDS)))]
    shared = vault.put_many("customers", [("s0", values) for values in originals], purpose="support", actor="tester")

    if backend.name == "sqlite":
        results = _in_processes(backend, keyring, tmp_path, "writer", writers, shared=shared,
                                subjects=_work.SUBJECTS)
    else:
        results = _in_threads(backend, provider, writers, lambda v, i: _work.concurrent_writer(
            v, i, shared, _work.SUBJECTS))
    assert [r["written"] for r in results] == [_work.PER_WRITER] * writers

    total = writers * _work.PER_WRITER + len(shared)
    assert count(data, records) == total
    listed = {r.record_id: r for r in vault.records("customers", purpose="support", actor="tester")}
    assert len(listed) == total  # every record decrypts
    assert vault.audit.entries(action="vault.list", limit=1000)[-1].counts["unreadable"] == 0
    written = {r.fields["email"]: r for rid, r in listed.items() if rid not in shared}
    for i in range(writers):
        for n in range(_work.PER_WRITER):
            subject_id, values = _work.put_values(i, n)
            record = written[str(values["email"])]
            assert record.subject_id == subject_id
            assert record.fields == values

    # every writer's last update of its own field survived, on every shared record
    last = _work.ROUNDS - 1
    finals = {rid: dict(originals[n]) for n, rid in enumerate(shared)}
    for i in range(writers):
        rid, field = _work.shared_target(i, shared)
        finals[rid][field] = _work.update_value(i, field, last)
    for rid, values in finals.items():
        assert listed[rid].fields == values
        updates = sum(1 for i in range(writers) if _work.shared_target(i, shared)[0] == rid) * _work.ROUNDS
        with data.read() as conn:
            version = conn.execute(sa.select(records.c.version).where(records.c.record_id == rid)).scalar_one()
        assert version == 1 + updates
        # and its blind index follows the last e-mail only
        assert [r.record_id for r in vault.find("customers", "email", values["email"], purpose="support", actor="tester")] == [rid]
    for i in range(writers):
        if _work.shared_target(i, shared)[1] == "email":
            stale = _work.update_value(i, "email", 0)
            assert vault.find("customers", "email", stale, purpose="support", actor="tester") == []
    assert count(data, blind_index) == total  # one e-mail digest per record, no leftovers

    # one data key per subject, all of them in use: no orphan keys
    registered = subject_keys(data)
    assert sorted(registered) == sorted(_work.SUBJECTS)
    assert len(set(registered.values())) == len(_work.SUBJECTS)
    assert key_ids(keys) == set(registered.values())
    with data.read() as conn:
        assert set(conn.execute(sa.select(records.c.key_id).distinct()).scalars()) == set(registered.values())
    assert len(vault.audit.entries(action="vault.update", limit=1000)) == writers * _work.ROUNDS


# -- concurrent creation of one subject -------------------------------------------------


def test_concurrent_subject_creation_makes_one_key(backend: Backend, databases: tuple[Database, Database],
                                                   schema: VaultSchema, clock: FixedClock,
                                                   tmp_path: Path) -> None:
    data, keys = databases
    if backend.name == "sqlite":
        keyring = tmp_path / "keyring.json"
        provider: KeyProvider = LocalKeyring.create(keyring)
        made = [r["key_id"] for r in _in_processes(backend, keyring, tmp_path, "subject", PROCESSES,
                                                   subject_id="same")]
    else:
        provider = InMemoryKeyProvider()
        made = [s.key_id for s in _in_threads(backend, provider, THREADS,
                                              lambda v, _: v.add_subject("same", "DE", actor="tester"))]
    assert len(set(made)) == 1
    assert subject_keys(data) == {"same": made[0]}
    assert count(keys, data_keys) == 1
    assert key_ids(keys) == {made[0]}
    vault = make_vault(data, keys, provider, schema, clock)
    record_id = vault.put("customers", "same", {"email": "same@example.org"}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields == {"email": "same@example.org"}
    assert len(vault.audit.entries(action="subject.add", limit=1000)) == len(made)


# -- erasure while a writer keeps writing -----------------------------------------------


class _Writer(threading.Thread):
    """Keeps putting records for subject A until stopped; ``register`` re-registers A on each put."""

    def __init__(self, vault: Vault, *, register: bool) -> None:
        super().__init__(daemon=True)
        self.vault, self.register = vault, register
        self.stored: list[str] = []
        self.refused_after_erasure: list[type[BaseException]] = []
        self.refused: list[type[BaseException]] = []
        self.unexpected: list[BaseException] = []
        self.erased = threading.Event()
        self.stop = threading.Event()

    def run(self) -> None:
        deadline, n = time.monotonic() + 60, 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            after = self.erased.is_set()
            n += 1
            try:
                self.stored.append(self.vault.put("customers", "A", {"email": f"a{n}@example.org", "age": n},
                                                  purpose="support", region="DE" if self.register else None, actor="tester"))
            except (IntegrityError, NotFound) as exc:
                (self.refused_after_erasure if after else self.refused).append(type(exc))
            except BaseException as exc:
                self.unexpected.append(exc)
                return


def _erase_while_writing(backend: Backend, data: Database, provider: KeyProvider, *,
                         register: bool) -> tuple[_Writer, Any, str, int]:
    """A writer thread on its own vault; A erased by another vault once it has stored 20 records."""
    with opened(backend) as (writer_data, writer_keys), opened(backend) as (eraser_data, eraser_keys):
        eraser = make_vault(eraser_data, eraser_keys, provider)
        eraser.add_subject("A", "DE", actor="tester")
        old_key = eraser.subject("A", actor="tester").key_id
        writer = _Writer(make_vault(writer_data, writer_keys, provider), register=register)
        writer.start()
        try:
            wait_for(lambda: len(writer.stored) >= 20 or not writer.is_alive(), timeout=30,
                     what="the writer's first records")
            erasure = eraser.erase_subject("A", actor="tester")
            writer.erased.set()
            stored_at_erasure = len(writer.stored)
            wait_for(lambda: len(writer.refused_after_erasure) + len(writer.stored) - stored_at_erasure >= 10
                     or not writer.is_alive(), timeout=30, what="the writer's puts after the erasure")
        finally:
            writer.stop.set()
            writer.join(30)
        assert not writer.is_alive()
        assert not writer.unexpected, repr(writer.unexpected)
        return writer, erasure, old_key, stored_at_erasure


def test_erase_during_writes_leaves_nothing_readable_of_the_subject(
        backend: Backend, databases: tuple[Database, Database], schema: VaultSchema, clock: FixedClock) -> None:
    data, keys = databases
    provider = InMemoryKeyProvider()
    writer, erasure, old_key, _ = _erase_while_writing(backend, data, provider, register=False)
    vault = make_vault(data, keys, provider, schema, clock)

    assert len(writer.stored) >= 20
    assert erasure.records == {"customers": len(writer.stored)}  # every acknowledged record was erased
    assert raw_records(data, "A") == []
    assert count(data, blind_index, blind_index.c.subject_id == "A") == 0
    assert count(data, subjects, subjects.c.subject_id == "A") == 0
    assert vault.keys.is_destroyed(old_key)
    assert old_key not in key_ids(keys)
    assert len(writer.refused_after_erasure) >= 10
    assert set(writer.refused_after_erasure) == {NotFound}  # A is gone: writes are refused, not stored
    assert set(writer.refused) <= {IntegrityError, NotFound}
    for record_id in writer.stored:
        with pytest.raises(NotFound):
            vault.get("customers", record_id, purpose="support", actor="tester")
    assert vault.records("customers", purpose="support", actor="tester") == []


def test_erase_during_reregistering_writes_keeps_old_key_dead(
        backend: Backend, databases: tuple[Database, Database], schema: VaultSchema, clock: FixedClock) -> None:
    data, keys = databases
    provider = InMemoryKeyProvider()
    writer, erasure, old_key, _ = _erase_while_writing(backend, data, provider, register=True)
    vault = make_vault(data, keys, provider, schema, clock)

    assert set(writer.refused + writer.refused_after_erasure) <= {IntegrityError, NotFound}
    new_key = vault.subject("A", actor="tester").key_id  # the writer registered A again after the erasure
    assert new_key != old_key
    assert vault.keys.is_destroyed(old_key)
    assert old_key not in key_ids(keys)
    remaining = raw_records(data, "A")
    assert remaining
    assert all(r.key_id == new_key for r in remaining)
    readable = {r.record_id for r in vault.records("customers", purpose="support", subject_id="A", actor="tester")}
    assert readable == {r.record_id for r in remaining}
    # what was stored before the erasure is gone; the rest was written under the new key
    gone = [rid for rid in writer.stored if rid not in readable]
    assert len(gone) == erasure.records["customers"]
    assert len(gone) + len(readable) == len(writer.stored)
    assert count(data, blind_index, blind_index.c.subject_id == "A") == len(readable)
    with data.read() as conn:
        assert set(conn.execute(sa.select(records.c.key_id).distinct()).scalars()) == {new_key}


# -- a destroyed key id stays destroyed ----------------------------------------------------


def test_key_destroyed_while_it_is_being_created_is_not_created(backend: Backend,
                                                                 databases: tuple[Database, Database]) -> None:
    if backend.name == "sqlite":
        pytest.skip("SQLite serializes the two key transactions (BEGIN IMMEDIATE): no interleaving possible")
    _, keys = databases
    provider = InMemoryKeyProvider()
    with opened(backend) as (writer_data, writer_keys), opened(backend) as (eraser_data, eraser_keys):
        writer = make_vault(writer_data, writer_keys, provider)
        eraser = make_vault(eraser_data, eraser_keys, provider)
        erased: list[Any] = []
        threads: list[threading.Thread] = []

        def erase_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            """Just before the writer inserts A's new data key, A's erasure starts: it must wait its turn."""
            if statement.startswith("INSERT INTO veil_data_keys") and not threads:
                thread = threading.Thread(target=lambda: erased.append(eraser.erase_subject("A", actor="tester")), daemon=True)
                threads.append(thread)
                thread.start()
                thread.join(1)
                assert not erased, "the erasure destroyed the key id while its creation was in flight"

        sa.event.listen(writer_keys.engine, "before_cursor_execute", erase_first)
        key_id = None
        try:
            key_id = writer.add_subject("A", "DE", actor="tester").key_id
        except IntegrityError:
            pass  # refused: the key was destroyed meanwhile (the correct outcome)
        finally:
            sa.event.remove(writer_keys.engine, "before_cursor_execute", erase_first)
        threads[0].join(20)
        assert erased
        assert erased[0].key_destroyed
        with keys.read() as conn:
            destroyed = set(conn.execute(sa.select(destroyed_keys.c.key_id)).scalars())
        assert key_id is None or key_id in destroyed  # the writer got the id the erasure destroyed
        assert not (destroyed & key_ids(keys)), "a data key exists under an id the erasure destroyed"
