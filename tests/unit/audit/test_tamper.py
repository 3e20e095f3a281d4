"""`AuditLog.verify`: any edit, deletion, insertion or reordering made directly in the database is
caught, and the first bad position is named."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from veil._clock import FixedClock
from veil.audit import AuditEntry, AuditLog, _verify
from veil.audit._entry import leaf_text
from veil.audit._merkle import leaf_hash
from veil.crypto import Ed25519Signer
from veil.storage import Database
from veil.storage.tables import audit_entries, audit_heads, audit_nodes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SIZE = 40


@pytest.fixture(autouse=True, params=[16, 5, 2], ids=lambda level: f"span{level}")
def span_level(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The replay in one span (the default), in spans of 32 (tiles inside, one node above) and of 4."""
    monkeypatch.setattr(_verify, "SPAN_LEVEL", request.param)
    return int(request.param)


@pytest.fixture
def log(databases: tuple[Database, Database]) -> Iterator[AuditLog]:
    opened = AuditLog(databases[0], clock=FixedClock(NOW), signer=Ed25519Signer(bytes(32)))
    opened.append_many(
        [
            AuditEntry("vault.get", f"svc-{n}", f"collection:c{n % 3}", counts={"records": n})
            for n in range(SIZE)
        ]
    )
    opened.sign_head()
    yield opened
    opened.close()


def _row(db: Database, index: int) -> dict[str, object]:
    with db.read() as conn:
        return dict(
            conn.execute(sa.select(audit_entries).where(audit_entries.c.idx == index)).mappings().one()
        )


def _update(db: Database, index: int, **values: object) -> None:
    with db.write() as conn:
        conn.execute(sa.update(audit_entries).where(audit_entries.c.idx == index).values(**values))


def test_an_untouched_log_verifies(log: AuditLog) -> None:
    result = log.verify()
    assert (result.ok, result.size, result.heads_checked, result.first_bad) == (True, SIZE, 1, None)


@pytest.mark.parametrize("column", ["actor", "action", "resource", "counts", "at_us", "decision", "purpose"])
def test_editing_any_column_of_an_entry_names_it(log: AuditLog, column: str) -> None:
    value: object = {
        "actor": "mallory",
        "action": "vault.put",
        "resource": "collection:x",
        "counts": '{"records": 0}',
        "at_us": 0,
        "decision": "deny",
        "purpose": "support",
    }[column]
    _update(log.db, 17, **{column: value})
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 17)
    assert "entry 17" in (result.problem or "")


def test_deleting_an_entry_names_the_gap(log: AuditLog) -> None:
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_entries).where(audit_entries.c.idx == 9))
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 9)
    assert "entry 9 is missing" in (result.problem or "")


def test_deleting_the_last_entries_is_caught_by_the_state_and_the_signed_head(log: AuditLog) -> None:
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_entries).where(audit_entries.c.idx >= 35))
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 35)


def test_inserting_an_entry_at_the_end_is_not_in_the_tree(log: AuditLog) -> None:
    row = _row(log.db, 3)
    row.update(idx=SIZE, actor="mallory")
    row["leaf_hash"] = leaf_hash(leaf_text(row).encode())  # even with a correct leaf hash
    with log.db.write() as conn:
        conn.execute(sa.insert(audit_entries).values(**row))
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, SIZE)


def test_swapping_two_entries_names_the_first(log: AuditLog) -> None:
    a, b = _row(log.db, 5), _row(log.db, 12)
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_entries).where(audit_entries.c.idx.in_([5, 12])))
        conn.execute(sa.insert(audit_entries), [{**b, "idx": 5}, {**a, "idx": 12}])
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 5)


def test_a_rewrite_that_redoes_every_hash_is_caught_by_the_signed_head(log: AuditLog) -> None:
    # the attacker edits entry 20 and recomputes its leaf hash, the stored nodes and the state, but
    # cannot sign a new head: the signed head of size 40 no longer matches
    _update(log.db, 20, actor="mallory")
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_nodes))
        conn.execute(sa.text("DELETE FROM veil_audit_state"))
    rows = [_row(log.db, i) for i in range(SIZE)]
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_entries))
        heads = conn.execute(sa.select(audit_heads)).mappings().all()
        conn.execute(sa.delete(audit_heads))
    forger = AuditLog(log.db, clock=FixedClock(NOW))
    forger.append_many(
        [
            AuditEntry(str(r["action"]), str(r["actor"]), str(r["resource"]), counts={"records": i})
            for i, r in enumerate(rows)
        ]
    )
    with log.db.write() as conn:
        conn.execute(sa.insert(audit_heads), [dict(h) for h in heads])  # the old, honest signature
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 0)
    assert "signed head of size 40" in (result.problem or "")


def test_a_head_signed_by_another_key_is_refused(log: AuditLog) -> None:
    other = AuditLog(log.db, signer=Ed25519Signer(bytes([1]) * 32), origin=log.origin)
    note = other.sign_head()  # same size already signed: returns the stored one
    assert note.size == SIZE
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_heads))
    forged = other.sign_head()
    result = log.verify()
    assert not result.ok
    assert "no valid signature" in (result.problem or "")
    assert forged.size == SIZE


def test_an_external_head_from_before_a_truncation_catches_it(log: AuditLog) -> None:
    kept = log.latest_head()
    assert kept is not None
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_entries).where(audit_entries.c.idx >= 30))
        conn.execute(sa.delete(audit_heads))
        conn.execute(sa.delete(audit_nodes).where(audit_nodes.c.idx >= 0))
        conn.execute(sa.text("DELETE FROM veil_audit_state"))
    rows = [_row(log.db, i) for i in range(30)]
    with log.db.write() as conn:
        conn.execute(sa.delete(audit_entries))
    rebuilt = AuditLog(log.db, clock=FixedClock(NOW), signer=log.signer)
    rebuilt.append_many(
        [
            AuditEntry(str(r["action"]), str(r["actor"]), str(r["resource"]), counts={"records": i})
            for i, r in enumerate(rows)
        ]
    )
    assert rebuilt.verify().ok  # consistent on its own...
    result = rebuilt.verify(external=[kept.note])  # ...but not with the head a witness kept
    assert not result.ok
    assert "external head 1" in (result.problem or "")


def test_heads_signed_inside_spans_are_each_checked(databases: tuple[Database, Database]) -> None:
    log = AuditLog(databases[0], clock=FixedClock(NOW), signer=Ed25519Signer(bytes(32)))
    try:
        for n in range(37):
            log.append(AuditEntry("vault.get", f"svc-{n}", "collection:c"))
            if n in (0, 2, 15, 16, 31):
                log.sign_head()
        result = log.verify()
        assert (result.ok, result.size, result.heads_checked) == (True, 37, 5)
        _update(log.db, 10, actor="mallory")  # between the heads of size 3 and 16
        result = log.verify()
        assert (result.ok, result.first_bad) == (False, 10)
    finally:
        log.close()
