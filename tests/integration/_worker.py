"""Child processes of the integration tests: ``python -m tests.integration._worker TASK CONFIG_JSON``.

Each child opens its own engines and a ``LocalKeyring`` shared through the file system,
and prints one JSON line with what it did.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.integration import _support
from tests.integration._work import concurrent_writer
from veil.audit import AuditEntry, AuditLog
from veil.crypto import LocalKeyring
from veil.storage import Database
from veil.vault import Vault

#: A child never outlives this, even if its parent forgets it.
MAX_SECONDS = 90


def _vault(config: dict[str, Any]) -> Vault:
    data = Database.from_url(config["data_url"], schema=config["data_schema"])
    keys = Database.from_url(config["keys_url"], schema=config["keys_schema"], secure_delete=True)
    return _support.make_vault(data, keys, LocalKeyring.open(Path(config["keyring"])))


def _wait_for_go(config: dict[str, Any]) -> None:
    """Say ready, then start together with the other children when the parent creates the go file."""
    Path(config["ready"]).touch()
    _support.wait_for(Path(config["go"]).exists, timeout=60, what="the go file", interval=0.002)


def bulk(config: dict[str, Any]) -> dict[str, Any]:
    """``put_many`` rounds of deterministic records until killed (or MAX_SECONDS)."""
    vault = _vault(config)
    subjects = config["subjects"]
    for subject in range(subjects):
        vault.add_subject(f"s{subject}", "DE", actor="tester")
    started, i, rounds = time.monotonic(), 0, 0
    while time.monotonic() - started < MAX_SECONDS:
        vault.add_subject(f"round{rounds}", "DE", actor="tester")  # a kill may land between subject row and data key
        rows = [(f"s{n % subjects}", {"email": f"user{n}@example.org", "age": n, "name": f"name-{n}"})
                for n in range(i, i + config["per_round"])]
        vault.put_many("customers", rows, purpose="support", actor="tester")
        i += len(rows)
        rounds += 1
    return {"written": i}


def writer(config: dict[str, Any]) -> dict[str, Any]:
    vault = _vault(config)
    _wait_for_go(config)
    return concurrent_writer(vault, config["index"], config["shared"], config["subjects"])


def subject(config: dict[str, Any]) -> dict[str, Any]:
    vault = _vault(config)
    _wait_for_go(config)
    return {"key_id": vault.add_subject(config["subject_id"], "DE", actor="tester").key_id}


def auditor(config: dict[str, Any]) -> dict[str, Any]:
    """Append entries through this process's own sequencer (several in flight), with an inline
    append inside a vault-style transaction every tenth entry."""
    data = Database.from_url(config["data_url"], schema=config["data_schema"])
    log = AuditLog(data)
    _wait_for_go(config)
    me, indexes = config["index"], []
    futures = []
    for n in range(config["entries"]):
        entry = AuditEntry("test.append", f"worker-{me}", f"item:{n}")
        if n % 10 == 0:
            with data.write() as conn:
                indexes.append(log.append(entry, conn=conn))
        else:
            futures.append(log.submit(entry))
    indexes += [future.result(timeout=60) for future in futures]
    log.close()
    return {"indexes": indexes}


def spender(config: dict[str, Any]) -> dict[str, Any]:
    """Charge one pure release after another to a shared budget until it refuses."""
    from tests.conftest import fixture_policy
    from veil.dp import Ledger, PureDp, _accountant
    from veil.errors import BudgetExhausted

    data = Database.from_url(config["data_url"], schema=config["data_schema"])
    log = AuditLog(data)
    ledger = Ledger(data, log, fixture_policy())
    _accountant.rdp_of(PureDp(config["epsilon"]))  # dp-accounting loads in seconds here: before the start
    _wait_for_go(config)
    spent = []
    while True:
        try:
            charge = ledger.charge(config["dataset"], [PureDp(config["epsilon"])], actor="tester",
                                   purpose="training", kind="count")
        except BudgetExhausted:
            break
        spent.append(charge.release_id)
    log.close()
    return {"releases": spent}


TASKS = {"bulk": bulk, "writer": writer, "subject": subject, "auditor": auditor, "spender": spender}


def main() -> None:
    task, config = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(TASKS[task](config)), flush=True)


if __name__ == "__main__":
    main()
