"""Appends from several processes never fork or lose the tree: SQLite serializes them on its write
lock, PostgreSQL on a transaction-level advisory lock."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.conftest import Backend
from tests.integration._support import finish, start_worker, wait_for, worker_config
from veil.audit import AuditLog
from veil.audit._merkle import naive_root
from veil.crypto import Ed25519Signer
from veil.storage import upgrade
from veil.storage.tables import audit_entries

PROCESSES = 4
ENTRIES = 300


def test_concurrent_processes_append_one_consistent_tree(backend: Backend, tmp_path: Path) -> None:
    data, keys = backend.open()
    upgrade(data, "data")
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(PROCESSES)]
    children = [
        start_worker(
            "auditor",
            worker_config(
                backend, tmp_path / "no-keyring", index=i, ready=str(ready[i]), go=str(go), entries=ENTRIES
            ),
        )
        for i in range(PROCESSES)
    ]
    wait_for(
        lambda: all(r.exists() for r in ready) or any(c.poll() is not None for c in children),
        timeout=60,
        what="every worker to be ready",
    )
    go.touch()
    results = [finish(child, 120) for child in children]
    try:
        handed_out = sorted(i for result in results for i in result["indexes"])
        assert handed_out == list(range(PROCESSES * ENTRIES))  # no index twice, none lost
        log = AuditLog(data, signer=Ed25519Signer.generate())
        assert log.size() == PROCESSES * ENTRIES
        for worker in range(PROCESSES):
            mine = log.entries(actor=f"worker-{worker}", limit=1000)
            assert sorted(e.resource for e in mine) == sorted(f"item:{n}" for n in range(ENTRIES))
        with data.read() as conn:
            leaves = [
                bytes(h)
                for h in conn.execute(
                    sa.select(audit_entries.c.leaf_hash).order_by(audit_entries.c.idx)
                ).scalars()
            ]
        assert naive_root(leaves) == log.root()
        log.sign_head()
        assert log.verify().ok
    finally:
        data.dispose()
        keys.dispose()
