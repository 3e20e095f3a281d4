"""Erasure against backups, and crashes in the middle of bulk writes (both backends)."""

from __future__ import annotations

import os
import signal
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Backend
from tests.integration._support import (
    count,
    key_ids,
    make_vault,
    opened,
    raw_records,
    restore_backup,
    start_worker,
    take_backup,
    wait_for,
    worker_config,
)
from veil._clock import FixedClock
from veil.crypto import InMemoryKeyProvider, LocalKeyring
from veil.errors import DecryptionFailed, IntegrityError, NotFound
from veil.storage import Database
from veil.storage.tables import blind_index, data_keys, records, subjects
from veil.vault import Vault, VaultSchema
from veil.vault._records import blind_digest
from veil.vault._vault import WRITE_BATCH

A_COUNT, B_COUNT = 5, 4


def _customer(subject: str, n: int) -> dict[str, object]:
    return {"email": f"{subject.lower()}{n}@example.org", "name": f"{subject}-name-{n}", "age": 20 + n}


def _populate(vault: Vault) -> tuple[list[str], list[str]]:
    """A and B with customers records; A has a ticket too. Returns (A's ids, B's ids)."""
    vault.add_subject("A", "DE", actor="tester")
    vault.add_subject("B", "FR", actor="tester")
    a_ids = vault.put_many("customers", [("A", _customer("A", n)) for n in range(A_COUNT)], purpose="support", actor="tester")
    a_ids.append(vault.put("tickets", "A", {"body": "printer on fire", "opened": date(2026, 2, 1)},
                           purpose="support", actor="tester"))
    b_ids = vault.put_many("customers", [("B", _customer("B", n)) for n in range(B_COUNT)], purpose="support", actor="tester")
    return a_ids, b_ids


def _collection(record_id: str, a_ids: list[str]) -> str:
    return "tickets" if record_id == a_ids[-1] else "customers"


def _assert_b_reads(vault: Vault, b_ids: list[str]) -> None:
    for n, record_id in enumerate(b_ids):
        assert vault.get("customers", record_id, purpose="support", actor="tester").fields == _customer("B", n)
    exported = vault.subject_data("B", actor="tester")
    assert sorted(r.record_id for r in exported.records["customers"]) == sorted(b_ids)


def _assert_nothing_of_a_opens(vault: Vault, a_ids: list[str], *, listing_may_fail: bool = False) -> None:
    try:
        listed = vault.records("customers", purpose="support", actor="tester")
    except NotFound:  # the key store cannot unwrap any key at all (an old epoch's backup)
        assert listing_may_fail
    else:
        assert all(r.subject_id != "A" for r in listed)
    for record_id in a_ids:
        with pytest.raises((DecryptionFailed, NotFound)):
            vault.get(_collection(record_id, a_ids), record_id, purpose="support", actor="tester")
    with pytest.raises((DecryptionFailed, NotFound)):
        vault.subject_data("A", actor="tester")
    try:
        found = vault.find("customers", "email", "a0@example.org", purpose="support", actor="tester")
    except NotFound:
        assert listing_may_fail
    else:
        assert found == []


def test_erase_makes_backup_ciphertext_unreadable(backend: Backend, databases: tuple[Database, Database],
                                                  schema: VaultSchema, clock: FixedClock,
                                                  tmp_path: Path) -> None:
    data, keys = databases
    provider = InMemoryKeyProvider()
    vault = make_vault(data, keys, provider, schema, clock)
    a_ids, b_ids = _populate(vault)
    a_key = vault.subject("A", actor="tester").key_id
    backup = take_backup(data, "data", tmp_path, "before-erasure")

    erasure = vault.erase_subject("A", actor="tester")
    assert erasure.key_destroyed
    assert erasure.records == {"customers": A_COUNT, "tickets": 1}
    assert raw_records(data, "A") == []

    restore_backup(data, backup)
    with opened(backend) as (fresh_data, fresh_keys):
        restored = make_vault(fresh_data, fresh_keys, provider, schema, clock)
        # the restore brought A's ciphertexts back: only the destroyed key protects them
        stale = raw_records(fresh_data, "A")
        assert sorted(r.record_id for r in stale) == sorted(a_ids)
        assert all(r.key_id == a_key and len(r.payload) > 40 for r in stale)
        assert a_key not in key_ids(fresh_keys)
        assert restored.subject("A", actor="tester").key_id == a_key

        _assert_nothing_of_a_opens(restored, a_ids)
        listed = restored.records("customers", purpose="support", actor="tester")
        assert sorted(r.record_id for r in listed) == sorted(b_ids)
        last = restored.audit.entries(action="vault.list", limit=1000)[-1]
        unwrapped = last.counts.pop("keys_unwrapped")
        assert last.counts == {"records": B_COUNT, "unreadable": A_COUNT, "withheld": 0}
        assert unwrapped <= 1  # B's one key, unless an earlier read of this vault cached it
        _assert_b_reads(restored, b_ids)
        # nor can a write for A bring a key back under the destroyed id
        with pytest.raises(IntegrityError):
            restored.put("customers", "A", _customer("A", 99), purpose="support", actor="tester")
        with pytest.raises(IntegrityError):
            restored.add_subject("A", "DE", actor="tester")
        assert a_key not in key_ids(fresh_keys)


def test_keystore_backup_older_than_an_epoch_opens_nothing(backend: Backend,
                                                           databases: tuple[Database, Database],
                                                           schema: VaultSchema, clock: FixedClock,
                                                           tmp_path: Path) -> None:
    data, keys = databases
    provider = InMemoryKeyProvider()
    vault = make_vault(data, keys, provider, schema, clock)
    a_ids, b_ids = _populate(vault)
    old = (take_backup(data, "data", tmp_path, "old"), take_backup(keys, "keys", tmp_path, "old"))
    erasure = vault.erase_subject("A", actor="tester")
    live = (take_backup(data, "data", tmp_path, "live"), take_backup(keys, "keys", tmp_path, "live"))

    def restore(pair: tuple[Any, Any]) -> None:
        restore_backup(data, pair[0])
        restore_backup(keys, pair[1])

    # control: within the erasure's epoch a key-store backup still opens A (the documented window)
    restore(old)
    with opened(backend) as (d, k):
        assert make_vault(d, k, provider, schema, clock).get(
            "customers", a_ids[0], purpose="support", actor="tester").fields == _customer("A", 0)

    restore(live)
    with opened(backend) as (d, k):
        current = make_vault(d, k, provider, schema, clock)
        report = current.advance_epoch(actor="tester")
        assert report.epoch == erasure.backups_unreadable_after_epoch
        assert report.destroyed_versions == (1,)
        assert 1 not in provider.versions()
        _assert_b_reads(current, b_ids)  # the live store survives the epoch

    restore(old)
    with opened(backend) as (d, k):
        restored = make_vault(d, k, provider, schema, clock)
        assert sorted(r.record_id for r in raw_records(d, "A")) == sorted(a_ids)  # ciphertexts are back
        with pytest.raises(NotFound, match="key-encryption key version 1 is not available"):
            restored.get("customers", a_ids[0], purpose="support", actor="tester")
        _assert_nothing_of_a_opens(restored, a_ids, listing_may_fail=True)
        for record_id in b_ids:  # a key-store backup older than an epoch opens nothing at all
            with pytest.raises((DecryptionFailed, NotFound)):
                restored.get("customers", record_id, purpose="support", actor="tester")


# -- a writer killed in the middle of put_many ------------------------------------------

BULK_SUBJECTS = 20


def _postgres_backends(db: Database, application: str) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :a"),
                                {"a": application}).scalar_one())


def test_sigkill_during_bulk_write_leaves_no_partial_record(backend: Backend,
                                                             databases: tuple[Database, Database],
                                                             schema: VaultSchema, clock: FixedClock,
                                                             tmp_path: Path) -> None:
    data, keys = databases
    keyring = tmp_path / "keyring.json"
    LocalKeyring.create(keyring)
    config = worker_config(backend, keyring, subjects=BULK_SUBJECTS, per_round=5 * WRITE_BATCH)
    application = f"veil-bulk-{os.getpid()}-{tmp_path.name}"[:60]
    if backend.name == "postgresql":
        for url in ("data_url", "keys_url"):
            config[url] = f"{config[url]}?application_name={application}"
    child = start_worker("bulk", config)
    try:
        wait_for(lambda: child.poll() is not None or count(data, records) >= 3 * WRITE_BATCH,
                 timeout=60, what="the child's first committed batches", interval=0.005)
        assert child.poll() is None, f"the bulk writer exited early: {child.communicate()[1][-3000:]}"
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=20)
    assert child.returncode == -signal.SIGKILL
    if backend.name == "postgresql":  # the server rolls back the killed client's transaction
        wait_for(lambda: _postgres_backends(data, application) == 0, timeout=20,
                 what="the killed client's server processes to end", interval=0.02)

    stored = count(data, records)
    assert stored >= 3 * WRITE_BATCH
    assert stored % WRITE_BATCH == 0, f"{stored} records: a batch was stored in part"
    if data.is_sqlite:
        for db in (data, keys):
            with db.read() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]

    vault = make_vault(data, keys, LocalKeyring.open(keyring), schema, clock)
    listed = vault.records("customers", purpose="support", actor="tester")
    assert len(listed) == stored  # every stored record opens
    by_age = {r.fields["age"]: r for r in listed}
    assert sorted(by_age) == list(range(stored))  # whole batches, in order, no duplicates
    for n, record in by_age.items():
        assert record.fields == {"email": f"user{n}@example.org", "age": n, "name": f"name-{n}"}
        assert record.subject_id == f"s{n % BULK_SUBJECTS}"
    puts = vault.audit.entries(action="vault.put", limit=1000)
    assert [e.counts["records"] for e in puts] == [WRITE_BATCH] * (stored // WRITE_BATCH)

    # no record is sealed under a key the key store lacks
    with data.read() as conn:
        record_keys = set(conn.execute(sa.select(records.c.key_id).distinct()).scalars())
        registered = dict(conn.execute(sa.select(subjects.c.subject_id, subjects.c.key_id)).all())
    assert record_keys <= key_ids(keys)
    # every subject can still be written (a subject whose key the kill prevented gets it now) and read
    for subject_id in registered:
        record_id = vault.put("customers", subject_id, {"email": "after@example.org"}, purpose="support", actor="tester")
        assert vault.get("customers", record_id, purpose="support", actor="tester").fields == {"email": "after@example.org"}
    assert set(registered.values()) <= key_ids(keys)
    assert count(keys, data_keys) == len(registered)


def test_erased_subjects_backup_blind_index_does_not_confirm_its_values(
        backend: Backend, databases: tuple[Database, Database], schema: VaultSchema, clock: FixedClock,
        tmp_path: Path) -> None:
    data, keys = databases
    provider = InMemoryKeyProvider()
    vault = make_vault(data, keys, provider, schema, clock)
    _populate(vault)
    backup = take_backup(data, "data", tmp_path, "before-erasure")
    vault.erase_subject("A", actor="tester")
    vault.advance_epoch(actor="tester")
    restore_backup(data, backup)
    with opened(backend) as (fresh_data, fresh_keys):
        restored = make_vault(fresh_data, fresh_keys, provider, schema, clock)
        field = schema.collection("customers").field("email")
        with fresh_data.read() as conn:
            digests = set(conn.execute(sa.select(blind_index.c.digest)
                                       .where(blind_index.c.subject_id == "A")).scalars())
        assert digests, "the backup holds A's blind-index entries"
        with pytest.raises(NotFound):  # the index key of the backup's digests was destroyed by the epoch
            restored.keys.index_key("customers", "email", 1)
        guess = blind_digest(restored.keys.index_key("customers", "email", 2), field,
                             field.encode("customers", "a0@example.org"))
        assert guess not in digests, "a guess of A's e-mail is confirmed from the backup after erasure"
        assert restored.find("customers", "email", "a0@example.org", purpose="support", actor="tester") == []


def test_erasure_receipt_epoch_holds_when_an_epoch_advances_during_the_erasure(
        backend: Backend, databases: tuple[Database, Database], schema: VaultSchema, clock: FixedClock,
        tmp_path: Path) -> None:
    if backend.name == "sqlite":
        pytest.skip("SQLite serializes the epoch job behind the erasure's write lock: no interleaving possible")
    data, keys = databases
    provider = InMemoryKeyProvider()
    vault = make_vault(data, keys, provider, schema, clock)
    a_ids, _ = _populate(vault)
    backups: list[Any] = []
    with opened(backend) as (other_data, other_keys):
        other = make_vault(other_data, other_keys, provider, schema, clock)  # e.g. the nightly epoch job

        def epoch_job_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            """Right before the key is deleted, an epoch rewraps it and a key-store backup is taken."""
            if statement.startswith("DELETE FROM veil_data_keys") and not backups:
                other.advance_epoch(actor="tester")
                backups.append((take_backup(data, "data", tmp_path, "mid"),
                                take_backup(keys, "keys", tmp_path, "mid"), other.keys.current_epoch()))

        sa.event.listen(vault.keys.db.engine, "before_cursor_execute", epoch_job_first)
        try:
            erasure = vault.erase_subject("A", actor="tester")
        finally:
            sa.event.remove(vault.keys.db.engine, "before_cursor_execute", epoch_job_first)
    assert backups, "the epoch job ran inside the erasure"
    mid_epoch = backups[0][2]
    assert erasure.destroyed_in_epoch == mid_epoch  # the receipt counts the epoch that rewrapped the key
    while vault.keys.current_epoch() < erasure.backups_unreadable_after_epoch:
        vault.advance_epoch(actor="tester")
    restore_backup(data, backups[0][0])
    restore_backup(keys, backups[0][1])
    with opened(backend) as (d, k):
        restored = make_vault(d, k, provider, schema, clock)
        with pytest.raises((DecryptionFailed, NotFound)):
            restored.get("customers", a_ids[0], purpose="support", actor="tester")
