"""The stored audit tree against a naive recomputation: whatever the batching, the root is the RFC root
of the stored leaves and every proof the database serves verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from veil.audit import AuditEntry, AuditLog, verify_consistency, verify_inclusion
from veil.audit._merkle import naive_root
from veil.storage import Database, upgrade
from veil.storage.tables import audit_entries


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditLog]:
    folder: Path = tmp_path_factory.mktemp("audit-properties")
    db = Database.from_url(f"sqlite:///{folder}/audit.db")
    upgrade(db, "data")
    opened = AuditLog(db)
    yield opened
    opened.close()
    db.dispose()


def _leaves(log: AuditLog) -> list[bytes]:
    with log.db.read() as conn:
        query = sa.select(audit_entries.c.leaf_hash).order_by(audit_entries.c.idx)
        return [bytes(h) for h in conn.execute(query).scalars()]


@settings(max_examples=40, deadline=None)
@given(
    batches=st.lists(st.tuples(st.integers(1, 40), st.booleans()), min_size=1, max_size=5),
    picks=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=5),
)
def test_any_batching_keeps_the_rfc_root_and_valid_proofs(
    log: AuditLog, batches: list[tuple[int, bool]], picks: list[float]
) -> None:
    before = log.size()
    for count, inline in batches:
        entries = [AuditEntry("test.append", "svc", f"item:{n}", counts={"n": n}) for n in range(count)]
        if inline:
            with log.db.write() as conn:
                log.append_many(entries, conn=conn)
        else:
            log.append_many(entries)  # through the group-commit sequencer
    leaves = _leaves(log)
    size = len(leaves)
    assert size == log.size() == before + sum(count for count, _ in batches)
    root = naive_root(leaves)
    assert log.root() == root
    for pick in picks:
        index = int(pick * size)
        verify_inclusion(leaves[index], index, size, log.inclusion_proof(index), root)
        old = max(1, index)
        verify_consistency(old, size, log.consistency_proof(old), naive_root(leaves[:old]), root)
