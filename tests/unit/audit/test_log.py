"""The stored audit tree: appends (inline and group-committed), signed heads, proofs and queries."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from veil._clock import FixedClock
from veil.audit import (
    AuditEntry,
    AuditLog,
    FileWitness,
    open_checkpoint,
    verify_consistency,
    verify_consistency_bundle,
    verify_inclusion,
    verify_inclusion_bundle,
)
from veil.audit._entry import COLUMNS, leaf_text, leaf_texts
from veil.audit._merkle import leaf_hash, naive_root
from veil.crypto import Ed25519Signer
from veil.errors import ConfigError, IntegrityError, InvalidInput, NotFound
from veil.storage import Database
from veil.storage.tables import audit_entries, audit_nodes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def log(databases: tuple[Database, Database]) -> Iterator[AuditLog]:
    opened = AuditLog(databases[0], clock=FixedClock(NOW), signer=Ed25519Signer(bytes(range(32))))
    yield opened
    opened.close()


def _entry(n: int, **extra: object) -> AuditEntry:
    fields: dict[str, object] = {
        "action": "vault.get",
        "actor": f"svc-{n % 3}",
        "resource": f"collection:c{n % 2}",
    }
    fields.update(extra)
    return AuditEntry(**fields)  # type: ignore[arg-type]


def _leaves(db: Database) -> list[bytes]:
    with db.read() as conn:
        return [
            bytes(h)
            for h in conn.execute(
                sa.select(audit_entries.c.leaf_hash).order_by(audit_entries.c.idx)
            ).scalars()
        ]


def test_appends_get_consecutive_indexes_and_the_root_is_the_rfc_root(log: AuditLog) -> None:
    first = [log.append(_entry(n)) for n in range(5)]
    with log.db.write() as conn:
        inline = log.append_many([_entry(n) for n in range(5, 40)], conn=conn)
    assert first + inline == list(range(40))
    assert log.size() == 40
    assert log.root() == naive_root(_leaves(log.db))


def test_each_leaf_is_the_hash_of_the_entry_text_verification_rebuilds(log: AuditLog) -> None:
    log.append(
        _entry(1, purpose="support", subject="s-1", rule="grant-a", request_id="r-1", counts={"records": 2})
    )
    log.append(_entry(2))  # optional columns empty
    with log.db.read() as conn:
        rows = conn.execute(sa.select(*(audit_entries.c[name] for name in COLUMNS))).all()
    assert len(rows) == 2
    for row, text in zip(rows, leaf_texts(rows), strict=True):
        assert text == leaf_text(row._mapping)
        assert bytes(row.leaf_hash) == leaf_hash(text.encode())


def test_group_commit_batches_concurrent_submits_and_resolves_each_future(
    databases: tuple[Database, Database],
) -> None:
    log = AuditLog(databases[0], clock=FixedClock(NOW), max_batch=50)
    try:
        futures = [log.submit(_entry(n)) for n in range(500)]
        indexes = [future.result(timeout=30) for future in futures]
    finally:
        log.close()
    assert sorted(indexes) == list(range(500))
    assert indexes == sorted(indexes)  # one queue, one writer: submission order is log order
    assert [e.actor for e in log.entries(limit=1000)] == [f"svc-{n % 3}" for n in range(500)]


def test_closed_log_flushes_its_queue_and_a_new_append_starts_again(log: AuditLog) -> None:
    futures = [log.submit(_entry(n)) for n in range(20)]
    log.close()
    assert all(f.done() for f in futures)
    assert log.append(_entry(99)) == 20


def test_perfect_subtrees_from_the_tile_height_up_are_stored(log: AuditLog) -> None:
    log.append_many([_entry(n) for n in range(64)])
    with log.db.read() as conn:
        stored = {(int(level), int(idx)): bytes(h) for level, idx, h in conn.execute(sa.select(audit_nodes))}
    leaves = _leaves(log.db)
    assert set(stored) == {(4, i) for i in range(4)} | {(5, 0), (5, 1), (6, 0)}
    for (level, index), digest in stored.items():
        assert digest == naive_root(leaves[index << level : (index + 1) << level])


@pytest.mark.parametrize("size", [1, 2, 3, 15, 16, 17, 33, 100])
def test_every_inclusion_and_consistency_proof_verifies(log: AuditLog, size: int) -> None:
    log.append_many([_entry(n) for n in range(size)])
    leaves, root = _leaves(log.db), log.root()
    for index in range(size):
        verify_inclusion(leaves[index], index, size, log.inclusion_proof(index), root)
    for old in range(1, size + 1):  # RFC 9162: no proof from the empty tree
        verify_consistency(old, size, log.consistency_proof(old), naive_root(leaves[:old]), root)


def test_proofs_of_an_earlier_tree_size_verify_against_that_root(log: AuditLog) -> None:
    log.append_many([_entry(n) for n in range(30)])
    leaves = _leaves(log.db)
    verify_inclusion(leaves[3], 3, 10, log.inclusion_proof(3, size=10), naive_root(leaves[:10]))
    with pytest.raises(NotFound):
        log.inclusion_proof(12, size=10)
    with pytest.raises(NotFound):
        log.inclusion_proof(0, size=31)
    with pytest.raises(InvalidInput):
        log.consistency_proof(11, 10)


def test_signed_head_is_a_c2sp_checkpoint_opened_by_the_verifier_key(log: AuditLog) -> None:
    log.append_many([_entry(n) for n in range(7)])
    head = log.sign_head()
    checkpoint = open_checkpoint(head.note, log.verifier_key(), origin=log.origin)
    assert (checkpoint.size, checkpoint.root) == (7, log.root())
    assert head.note.startswith(
        f"{log.origin}\n7\n{base64.b64encode(log.root()).decode()}\n\n— {log.origin} "
    )
    assert log.sign_head() == head  # one head per size
    assert log.latest_head() == head


def test_heads_are_signed_on_a_schedule_by_the_sequencer(databases: tuple[Database, Database]) -> None:
    clock = FixedClock(NOW)
    log = AuditLog(
        databases[0], clock=clock, signer=Ed25519Signer.generate(), head_every=timedelta(minutes=5)
    )
    try:
        log.append(_entry(0))
        log.append(_entry(1))
        clock.advance(timedelta(minutes=5))
        log.append(_entry(2))
    finally:
        log.close()
    assert [head.size for head in log.heads()] == [1, 3]


def test_a_log_without_a_signing_key_cannot_sign(databases: tuple[Database, Database]) -> None:
    log = AuditLog(databases[0])
    with pytest.raises(ConfigError, match="signing key"):
        log.sign_head()


def test_bundles_verify_with_only_the_public_key(log: AuditLog) -> None:
    log.append_many([_entry(n) for n in range(12)])
    old = log.sign_head()
    log.append_many([_entry(n) for n in range(12, 29)])
    bundle = log.inclusion_bundle(20)  # beyond the old head: a new head is signed for it
    assert verify_inclusion_bundle(bundle, log.verifier_key()).size == 29
    (new,) = [h for h in log.heads() if h.size == 29]
    olds, news = verify_consistency_bundle(log.consistency_bundle(old, new), log.verifier_key())
    assert (olds.size, news.size) == (12, 29)
    other_key = AuditLog(log.db, signer=Ed25519Signer.generate(), origin=log.origin).verifier_key()
    with pytest.raises(IntegrityError):
        verify_inclusion_bundle(bundle, other_key)


def test_a_witness_file_accepts_extensions_and_refuses_a_forked_history(
    log: AuditLog, tmp_path: object
) -> None:
    from pathlib import Path

    witness = FileWitness(Path(str(tmp_path)) / "witness.jsonl", log.verifier_key(), origin=log.origin)
    log.append_many([_entry(n) for n in range(5)])
    log.export_head(witness)
    log.append_many([_entry(n) for n in range(5, 9)])
    log.export_head(witness)
    assert [open_checkpoint(n, log.verifier_key()).size for n in witness.notes()] == [5, 9]
    # a rewritten log signs a different tree of the same key: the witness refuses to follow it
    fork_db = log.db
    with fork_db.write() as conn:
        conn.execute(sa.delete(audit_entries))
        conn.execute(sa.delete(audit_nodes))
        conn.execute(sa.text("DELETE FROM veil_audit_state"))
        conn.execute(sa.text("DELETE FROM veil_audit_heads"))
    log.append_many([_entry(n, action="forged") for n in range(12)])
    with pytest.raises(IntegrityError):
        log.export_head(witness)
    assert len(witness.notes()) == 2


def test_queries_filter_and_page(log: AuditLog) -> None:
    clock = log.clock
    assert isinstance(clock, FixedClock)
    for n in range(30):
        log.append(
            _entry(
                n,
                subject=f"s{n % 5}",
                purpose="support" if n % 2 else None,
                decision="deny" if n % 10 == 0 else "allow",
            )
        )
        clock.advance(timedelta(seconds=1))
    assert [e.index for e in log.entries(subject="s1")] == [1, 6, 11, 16, 21, 26]
    assert [e.index for e in log.entries(decision="deny")] == [0, 10, 20]
    assert [e.index for e in log.entries(actor="svc-0", purpose="support")] == [3, 9, 15, 21, 27]
    window = log.entries(since=NOW + timedelta(seconds=5), until=NOW + timedelta(seconds=8))
    assert [e.index for e in window] == [5, 6, 7]
    page1 = log.entries(limit=10)
    page2 = log.entries(after=page1[-1].index or 0, limit=10)
    assert [e.index for e in page1 + page2] == list(range(20))
    assert log.entry(4).at == NOW + timedelta(seconds=4)
    with pytest.raises(InvalidInput):
        log.entries(limit=0)
    with pytest.raises(NotFound):
        log.entry(99)


@pytest.mark.parametrize(
    "bad",
    [
        {"decision": "maybe"},
        {"actor": ""},
        {"actor": "a\nb"},
        {"resource": "x" * 257},
        {"counts": {"Records": 1}},
        {"counts": {"records": True}},
        {"rule": "tab\there"},
        {"actor": 7},
        {"subject": "\x7f"},
        {"counts": {"records": 1.0}},
    ],
)
def test_malformed_entries_are_refused_before_anything_is_stored(
    log: AuditLog, bad: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput):
        _entry(0, **bad)
    assert log.size() == 0


@pytest.mark.parametrize(
    "counts", [{}, {"records": 2}, {"records.customers": 3, "keys_unwrapped": -1, "a": 10**12}]
)
def test_counts_are_stored_as_sorted_json(counts: dict[str, int]) -> None:
    prepared = _entry(0, counts=counts).prepare(0)
    assert prepared.counts == json.dumps(counts, sort_keys=True)


def test_empty_optional_fields_are_stored_as_absent(log: AuditLog) -> None:
    log.append(_entry(0, purpose="", request_id=""))
    stored = log.entry(0)
    assert (stored.purpose, stored.request_id) == (None, None)
