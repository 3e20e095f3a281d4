"""Encryption at rest: sealed fields, bound to their place, under wrapped per-subject keys."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Backend, Canary
from tests.unit.vault._support import raw_rows, sibling, sqlite_only
from veil.crypto import KEY_SIZE, NONCE_SIZE, InMemoryKeyProvider, unwrap_key
from veil.errors import ConfigError, DecryptionFailed
from veil.storage import Database
from veil.storage.tables import blind_index, data_keys, index_keys, records, subjects
from veil.vault import FieldSpec, Vault, VaultSchema
from veil.vault._payload import pack, unpack

Databases = tuple[Database, Database]
OWN_EMAIL = "zelda.quartermain@example.net"
WRAPPED_SIZE = NONCE_SIZE + KEY_SIZE + 16  # nonce || sealed 32-byte key || GCM tag


def _plant(vault: Vault, canary: Canary) -> list[str]:
    """Records holding the planted values in sealed fields, through every write path."""
    vault.add_subject("subject-alpha-7", "DE", actor="tester")
    vault.add_subject("subject-beta-9", "US-CA", actor="tester")
    ids = [
        vault.put("customers", "subject-alpha-7", {"email": canary.email, "name": canary.ssn, "age": 33},
                  purpose="support", actor="tester"),
        vault.put("tickets", "subject-alpha-7", {"body": canary.text()}, purpose="support", actor="tester"),
        vault.put("customers", "subject-beta-9", {"email": OWN_EMAIL, "name": canary.phone}, purpose="support", actor="tester"),
    ]
    vault.update("customers", ids[2], {"name": canary.card}, purpose="support", actor="tester")
    vault.consent.grant("subject-alpha-7", "marketing", source="web-form", policy_version="2026-01", actor="tester")
    assert [r.record_id for r in vault.find("customers", "email", canary.email, purpose="support", actor="tester")] == [ids[0]]
    return ids


def _planted(canary: Canary) -> list[str]:
    return [*canary.values, OWN_EMAIL, OWN_EMAIL.upper()]


def _leaks(value: Any, planted: list[str]) -> list[str]:
    if isinstance(value, bytes | bytearray | memoryview):
        blob = bytes(value)
        return [p for p in planted if p.encode() in blob or p.encode("utf-16-le") in blob]
    text = str(value)
    return [p for p in planted if p in text]


def _raw_leaks(db: Database, planted: list[str]) -> list[tuple[str, str]]:
    return [(table, column) for table, row in raw_rows(db) for column, value in row.items()
            if _leaks(value, planted)]


def test_raw_rows_of_both_databases_hold_no_planted_value(vault: Vault, databases: Databases,
                                                          canary_pii: Canary) -> None:
    _plant(vault, canary_pii)
    data, keys = databases
    assert _raw_leaks(data, _planted(canary_pii)) == []
    assert _raw_leaks(keys, _planted(canary_pii)) == []
    assert {table for table, _ in raw_rows(keys)} == {"veil_data_keys", "veil_index_keys", "veil_keys_version"}
    # the scan does see what is stored in the clear: subject ids are opaque references, not data
    assert _raw_leaks(data, ["subject-alpha-7"]) != []


@sqlite_only
def test_raw_sqlite_files_and_their_wal_hold_no_planted_value(vault: Vault, backend: Backend,
                                                              canary_pii: Canary) -> None:
    _plant(vault, canary_pii)
    folder = Path(backend.data_url.removeprefix("sqlite:///")).parent
    files = sorted(folder.glob("veil*.db*"))
    assert {f.name for f in files} >= {"veil.db", "veil-keys.db"}
    blob = b"".join(f.read_bytes() for f in files)
    assert b"subject-alpha-7" in blob  # the files do hold the rows just written
    assert _leaks(blob, _planted(canary_pii)) == []


def test_no_raw_data_key_is_stored_in_either_database(vault: Vault, databases: Databases,
                                                      canary_pii: Canary) -> None:
    _plant(vault, canary_pii)
    data, keys = databases
    with keys.read() as conn:
        wrapped = conn.execute(sa.select(data_keys.c.key_id, data_keys.c.kek_version, data_keys.c.wrapped)).all()
    provider = vault.keys.provider
    raw_keys = [unwrap_key(provider.kek(version), blob, key_id.encode()) for key_id, version, blob in wrapped]
    assert len(raw_keys) == 2
    for db in (data, keys):
        for _table, row in raw_rows(db):
            for value in row.values():
                if isinstance(value, bytes):
                    assert not any(key in value for key in raw_keys)


def test_key_store_holds_only_wrapped_keys_of_the_expected_size(vault: Vault, databases: Databases,
                                                                canary_pii: Canary) -> None:
    _plant(vault, canary_pii)
    with databases[1].read() as conn:
        wrapped = [*conn.execute(sa.select(data_keys.c.wrapped)).scalars(),
                   *conn.execute(sa.select(index_keys.c.wrapped)).scalars()]
    assert len(wrapped) == 3  # two subjects' data keys and the blind-index master key
    assert {len(blob) for blob in wrapped} == {WRAPPED_SIZE}


def test_key_store_holds_no_subject_id(vault: Vault, databases: Databases, canary_pii: Canary) -> None:
    _plant(vault, canary_pii)
    data, keys = databases
    ids = ["subject-alpha-7", "subject-beta-9"]
    assert _raw_leaks(keys, ids) == []
    with data.read() as conn:
        key_ids = set(conn.execute(sa.select(subjects.c.key_id)).scalars())
    with keys.read() as conn:
        assert set(conn.execute(sa.select(data_keys.c.key_id)).scalars()) == key_ids
    assert not key_ids & set(ids)


@sqlite_only
def test_blind_index_digest_is_keyed_not_a_plain_hash(vault: Vault, databases: Databases,
                                                      canary_pii: Canary) -> None:
    _plant(vault, canary_pii)
    with databases[0].read() as conn:
        digests = set(conn.execute(sa.select(blind_index.c.digest)).scalars())
    plain = {hashlib.sha256(canary_pii.email.encode()).digest(), hashlib.sha256(OWN_EMAIL.encode()).digest()}
    assert len(digests) == 2
    assert not digests & plain


def _payloads(db: Database, *record_ids: str) -> list[bytes]:
    with db.read() as conn:
        found = dict(conn.execute(sa.select(records.c.record_id, records.c.payload)
                                  .where(records.c.record_id.in_(record_ids))).all())
    return [found[r] for r in record_ids]


def _store_payload(db: Database, record_id: str, payload: bytes) -> None:
    with db.write() as conn:
        conn.execute(sa.update(records).where(records.c.record_id == record_id).values(payload=payload))


def _assert_unreadable(vault: Vault, collection: str, record_id: str) -> None:
    with pytest.raises(DecryptionFailed) as caught:
        vault.get(collection, record_id, purpose="support", actor="tester")
    assert str(caught.value) == "decryption failed"  # no reason, no value


def test_swapping_payloads_between_two_records_of_one_subject_fails_to_decrypt(
        vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    first = vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    second = vault.put("customers", "s1", {"email": "two@example.org"}, purpose="support", actor="tester")
    one, two = _payloads(databases[0], first, second)
    _store_payload(databases[0], first, two)
    _store_payload(databases[0], second, one)
    _assert_unreadable(vault, "customers", first)
    _assert_unreadable(vault, "customers", second)


def test_copying_a_payload_to_another_subjects_record_fails_to_decrypt(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "DE", actor="tester")
    mine = vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    theirs = vault.put("customers", "s2", {"email": "two@example.org"}, purpose="support", actor="tester")
    [payload] = _payloads(databases[0], mine)
    _store_payload(databases[0], theirs, payload)
    _assert_unreadable(vault, "customers", theirs)


def test_moving_a_fields_ciphertext_to_another_field_name_fails_to_decrypt(
        vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "one@example.org", "name": "Ana"}, purpose="support", actor="tester")
    [payload] = _payloads(databases[0], record_id)
    sealed = unpack(payload)
    _store_payload(databases[0], record_id, pack({"email": sealed["email"], "name": sealed["email"]}))
    _assert_unreadable(vault, "customers", record_id)


@sqlite_only
def test_one_flipped_ciphertext_byte_fails_to_decrypt(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    [payload] = _payloads(databases[0], record_id)
    tampered = bytearray(payload)
    tampered[-1] ^= 0x01
    _store_payload(databases[0], record_id, bytes(tampered))
    _assert_unreadable(vault, "customers", record_id)


def test_a_vault_with_another_key_provider_opens_nothing(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "one@example.org"}, purpose="support", actor="tester")
    stranger = Vault(databases[0], databases[1], InMemoryKeyProvider(), vault.schema, profiles=vault.profiles,
                     location="EU", clock=vault.clock, policy=vault.policy)
    with pytest.raises(DecryptionFailed) as caught:
        stranger.get("customers", record_id, purpose="support", actor="tester")
    assert str(caught.value) == "decryption failed"
    assert sibling(vault).get("customers", record_id, purpose="support", actor="tester").fields == {"email": "one@example.org"}


def test_there_is_no_plaintext_mode() -> None:
    assert set(inspect.signature(Vault.__init__).parameters) == {
        "self", "data", "keys", "provider", "schema", "profiles", "location", "regions", "clock", "derived",
        "key_cache_ttl", "policy", "audit_origin", "head_every"}
    assert {f.name for f in dataclasses.fields(FieldSpec)} == {
        "name", "category", "purposes", "type", "lookup", "required", "max_bytes", "redact"}


@pytest.mark.parametrize(("option", "value"), [("encrypted", False), ("encrypt", False), ("plaintext", True)])
def test_a_field_cannot_be_declared_unencrypted(option: str, value: bool) -> None:
    field = {"category": "contact", "purposes": ["support"], option: value}
    table = {"purposes": {"support": {"legal_basis": "contract"}}, "collections": {"c": {"fields": {"f": field}}}}
    with pytest.raises(ConfigError, match="unknown keys"):
        VaultSchema.from_mapping(table)
