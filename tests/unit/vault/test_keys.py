"""Key management: rotation rewraps without re-encrypting, retired and epoch-old KEKs are gone."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.unit.vault._support import sibling, sqlite_only
from veil.crypto import LocalKeyring
from veil.errors import DecryptionFailed, IntegrityError, NotFound
from veil.storage import Database
from veil.storage.tables import data_keys, index_keys, records
from veil.vault import Vault

Databases = tuple[Database, Database]


def _two_records(vault: Vault) -> tuple[str, str]:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "US-CA", actor="tester")
    return (vault.put("customers", "s1", {"email": "one@example.org", "age": 30}, purpose="support", actor="tester"),
            vault.put("tickets", "s2", {"body": "printer on fire"}, purpose="support", actor="tester"))


def _assert_readable(vault: Vault, first: str, second: str) -> None:
    """Readable by a vault that has no key cached (another process, after a restart)."""
    fresh = sibling(vault)
    assert fresh.get("customers", first, purpose="support", actor="tester").fields == {"email": "one@example.org", "age": 30}
    assert fresh.get("tickets", second, purpose="support", actor="tester").fields == {"body": "printer on fire"}
    assert [r.record_id for r in fresh.find("customers", "email", "ONE@example.org", purpose="support", actor="tester")] == [first]


def _kek_versions(keys: Database) -> set[int]:
    with keys.read() as conn:
        return {*conn.execute(sa.select(data_keys.c.kek_version)).scalars(),
                *conn.execute(sa.select(index_keys.c.kek_version)).scalars()}


def _payloads(data: Database) -> dict[str, bytes]:
    with data.read() as conn:
        return dict(conn.execute(sa.select(records.c.record_id, records.c.payload)).all())


def test_rotation_rewraps_every_key_and_keeps_old_and_new_records_readable(
        vault: Vault, databases: Databases) -> None:
    first, second = _two_records(vault)
    before = _payloads(databases[0])
    report = vault.rotate_keys(actor="tester")
    assert (report.kek_version, report.data_keys, report.index_keys) == (2, 2, 1)
    assert _payloads(databases[0]) == before  # no field was re-encrypted
    vault.add_subject("s3", "DE", actor="tester")
    third = vault.put("customers", "s3", {"email": "three@example.org"}, purpose="support", actor="tester")
    assert _kek_versions(databases[1]) == {2}
    _assert_readable(vault, first, second)
    assert sibling(vault).get("customers", third, purpose="support", actor="tester").fields == {"email": "three@example.org"}
    [entry] = vault.audit.entries(action="keys.rotate")
    assert entry.resource == "kek:2"
    assert entry.counts == {"data_keys": 2, "index_keys": 1}


@sqlite_only
def test_rewrap_after_a_finished_rotation_has_nothing_left_to_do(vault: Vault) -> None:
    _two_records(vault)
    version = vault.rotate_keys(actor="tester").kek_version
    again = vault.keys.rewrap(version)
    assert (again.data_keys, again.index_keys) == (0, 0)


def test_retiring_the_old_version_after_rotation_destroys_it_and_nothing_readable_depended_on_it(
        vault: Vault) -> None:
    first, second = _two_records(vault)
    vault.rotate_keys(actor="tester")
    vault.retire_key(1, actor="tester")
    provider = vault.keys.provider
    assert provider.versions() == [2]
    with pytest.raises(NotFound):
        provider.kek(1)
    _assert_readable(vault, first, second)
    assert [e.resource for e in vault.audit.entries(action="keys.retire")] == ["kek:1"]


def test_retiring_a_version_that_still_wraps_keys_is_refused(vault: Vault) -> None:
    first, second = _two_records(vault)
    provider = vault.keys.provider
    provider.create_version()  # a new current version, nothing rewrapped under it yet
    with pytest.raises(IntegrityError, match="version 1 still wraps 3 key"):
        vault.retire_key(1, actor="tester")
    assert provider.versions() == [1, 2]
    refused, = vault.audit.entries(action="keys.retire")  # the allowed call that failed is on record
    assert (refused.decision, refused.rule) == ("error", "owner-everything")
    _assert_readable(vault, first, second)


@sqlite_only
def test_retiring_the_current_version_is_refused(vault: Vault) -> None:
    _two_records(vault)
    vault.rotate_keys(actor="tester")
    with pytest.raises(IntegrityError):
        vault.retire_key(2, actor="tester")
    assert vault.keys.provider.versions() == [1, 2]


def test_advancing_the_epoch_destroys_every_old_version_and_data_stays_readable(vault: Vault) -> None:
    first, second = _two_records(vault)
    vault.rotate_keys(actor="tester")
    report = vault.advance_epoch(actor="tester")
    assert (report.epoch, report.kek_version, report.rewrapped, report.destroyed_versions) == (1, 3, 2, (1, 2))
    assert vault.keys.provider.versions() == [3]
    assert vault.keys.current_epoch() == 1
    _assert_readable(vault, first, second)
    second_report = vault.advance_epoch(actor="tester")
    assert (second_report.epoch, second_report.destroyed_versions) == (2, (3,))
    _assert_readable(vault, first, second)
    assert [e.resource for e in vault.audit.entries(action="keys.epoch")] == ["epoch:1", "epoch:2"]


def test_blind_index_lookup_still_works_after_rotation_and_epoch(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "Find.Me@example.org"}, purpose="support", actor="tester")
    vault.rotate_keys(actor="tester")
    vault.retire_key(1, actor="tester")
    vault.advance_epoch(actor="tester")
    for reader in (vault, sibling(vault)):
        assert [r.record_id for r in reader.find("customers", "email", "find.me@example.org",
                                                 purpose="support", actor="tester")] == [record_id]


def test_key_store_backup_from_before_an_epoch_cannot_unwrap_after_it(vault: Vault, databases: Databases) -> None:
    first, _ = _two_records(vault)
    keys = databases[1]
    with keys.read() as conn:
        backup = [dict(row) for row in conn.execute(sa.select(data_keys)).mappings()]
    vault.advance_epoch(actor="tester")
    provider = vault.keys.provider
    assert backup
    assert {row["kek_version"] for row in backup} == {1}
    for row in backup:
        with pytest.raises(NotFound):
            provider.kek(row["kek_version"])
    with keys.write() as conn:  # restore the key-store backup over the live table
        conn.execute(sa.delete(data_keys))
        conn.execute(sa.insert(data_keys), backup)
    with pytest.raises(NotFound, match="version 1 is not available"):
        sibling(vault).get("customers", first, purpose="support", actor="tester")


def test_a_destroyed_data_key_is_gone_from_the_cache_and_refused_for_re_creation(vault: Vault) -> None:
    subject = vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    assert set(vault.keys.available([subject.key_id])) == {subject.key_id}  # cached by the write
    vault.keys.destroy(subject.key_id)
    assert vault.keys.is_destroyed(subject.key_id)
    assert vault.keys.available([subject.key_id]) == {}
    with pytest.raises(IntegrityError, match="destroyed by an erasure"):
        vault.keys.data_keys([subject.key_id], create=True)
    with pytest.raises(NotFound):
        vault.keys.data_keys([subject.key_id])
    with pytest.raises(DecryptionFailed):
        vault.get("customers", record_id, purpose="support", actor="tester")
    with pytest.raises(IntegrityError):  # a write would need the key back
        vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")


@sqlite_only
def test_a_vault_without_a_key_cache_sees_another_vaults_key_destruction_at_once(vault: Vault) -> None:
    subject = vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    uncached = sibling(vault, key_cache_ttl=timedelta(0))
    assert uncached.get("customers", record_id, purpose="support", actor="tester").fields == {"email": "one@example.org"}
    vault.keys.destroy(subject.key_id)
    with pytest.raises(DecryptionFailed):
        uncached.get("customers", record_id, purpose="support", actor="tester")


def test_local_keyring_works_as_the_key_provider_and_stays_private(
        vault: Vault, databases: Databases, tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring.create(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data, keys = databases
    local = Vault(data, keys, keyring, vault.schema, profiles=vault.profiles, location="EU", clock=vault.clock,
                  policy=vault.policy)
    local.add_subject("s1", "DE", actor="tester")
    record_id = local.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    local.rotate_keys(actor="tester")
    local.retire_key(1, actor="tester")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    reopened = Vault(data, keys, LocalKeyring.open(path), vault.schema, profiles=vault.profiles, location="EU",
                     clock=vault.clock, policy=vault.policy)
    assert reopened.keys.provider.versions() == [2]
    assert reopened.get("customers", record_id, purpose="support", actor="tester").fields == {"email": "one@example.org"}
    assert [r.record_id for r in reopened.find("customers", "email", "one@example.org",
                                               purpose="support", actor="tester")] == [record_id]
    assert b"one@example.org" not in path.read_bytes()
