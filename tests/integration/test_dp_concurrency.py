"""Workers spending one privacy budget at once never pass it: each charge composes under the budget
row's lock (PostgreSQL ``FOR UPDATE``, SQLite's write lock) and a refused charge records nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

pytest.importorskip("dp_accounting", reason="the ledger's accountant needs the dp extra: pip install 'veil[dp]'")

from tests.conftest import Backend, fixture_policy
from tests.integration._support import count, finish, start_worker, wait_for, worker_config
from veil.audit import AuditLog
from veil.dp import Ledger
from veil.storage import upgrade
from veil.storage.tables import dp_releases

PROCESSES = 4
TOTAL, EACH = 3.0, 0.01  # at delta 0 pure releases compose by summing: 300 fit


def test_workers_spending_one_budget_concurrently_never_pass_it(backend: Backend, tmp_path: Path) -> None:
    data, _keys = backend.open()
    upgrade(data, "data")
    log = AuditLog(data)
    ledger = Ledger(data, log, fixture_policy())
    ledger.create("visits", epsilon=TOTAL, delta=0.0, owner="analytics", actor="tester")
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(PROCESSES)]
    children = [
        start_worker("spender", worker_config(backend, tmp_path / "no-keyring", ready=str(ready[i]), go=str(go),
                                              dataset="visits", epsilon=EACH))
        for i in range(PROCESSES)
    ]  # fmt: skip
    wait_for(lambda: all(r.exists() for r in ready) or any(c.poll() is not None for c in children),
             timeout=60, what="every worker to be ready")  # fmt: skip
    go.touch()
    results = [finish(child, 120) for child in children]
    try:
        granted = [r for result in results for r in result["releases"]]
        report = ledger.report("visits", actor="tester")
        assert report.spent <= TOTAL
        assert len(granted) == len(set(granted)) == count(data, dp_releases) == len(report.releases)
        # summing 0.01 three hundred times in floating point lands a hair above or below 3.0
        assert len(granted) in (299, 300)
        assert sum(len(result["releases"]) > 0 for result in results) >= 2  # they really raced
        seqs = [r.seq for r in report.releases]
        assert seqs == list(range(1, len(granted) + 1))
        assert len(log.entries(action="dp.release", decision="allow", limit=1000)) == len(granted)
        refusals = log.entries(action="dp.release", decision="deny", limit=1000)
        assert [e.rule for e in refusals] == ["budget_exhausted"] * PROCESSES  # each worker's last try
        with data.read() as conn:
            assert conn.execute(sa.select(sa.func.max(dp_releases.c.spent_after))).scalar() <= TOTAL
    finally:
        log.close()
        data.dispose()
