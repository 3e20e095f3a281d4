"""Audit log benchmark: group-commit appends, durable append latency, full verification, proofs.

    .venv/bin/python bench/audit.py                        # both backends, full sizes (~5 min)
    .venv/bin/python bench/audit.py --backends sqlite      # SQLite only
    .venv/bin/python bench/audit.py --quick --output /tmp/a.json   # smoke-test sizes

Appends: WRITERS processes, each with its own AuditLog (its own sequencer), each keeping WINDOW
appends in flight (what a worker serving that many concurrent requests does), released together.
Verification and proofs run on a log of VERIFY_SIZE entries built with inline batched appends.
SQLite files live in a temporary folder; on PostgreSQL (127.0.0.1:5432, user postgres, db test) a
fresh schema is made and dropped. Writes bench/results/audit.json; bench/access.py and
bench/tokens.py results, when present in bench/results/, join the docs section "## Audit log and
access control" of docs/benchmarks.md (full runs with the default output only).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import sqlalchemy as sa  # noqa: E402

from _audit_report import render_section  # noqa: E402
from _docs import replace_section  # noqa: E402
from veil.audit import AuditEntry, AuditLog, verify_consistency, verify_inclusion  # noqa: E402
from veil.audit._entry import COLUMNS, to_micros  # noqa: E402
from veil.audit._merkle import Frontier, leaf_hash  # noqa: E402
from veil.crypto import Ed25519Signer  # noqa: E402
from veil.storage import Database, upgrade  # noqa: E402
from veil.storage.tables import audit_entries  # noqa: E402

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WRITERS = 4
WINDOW = 256
FULL = {
    "append_entries": 30_000,
    "floor_entries": 100_000,
    "latency_appends": 1_000,
    "verify_size": 1_000_000,
    "proofs": 1_000,
}
QUICK = {
    "append_entries": 1_500,
    "floor_entries": 2_000,
    "latency_appends": 100,
    "verify_size": 20_000,
    "proofs": 100,
}


def _entry(worker: int, n: int) -> AuditEntry:
    return AuditEntry(
        "vault.get",
        f"svc-{worker}",
        f"collection:c{n % 7}",
        purpose="support",
        subject=f"s-{n % 1000}",
        rule="support-reads",
        counts={"records": 1, "keys_unwrapped": 1},
    )


@contextmanager
def database(backend: str, folder: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) of a fresh, migrated data database; dropped afterwards on PostgreSQL."""
    if backend == "sqlite":
        url = f"sqlite:///{folder}/audit-{secrets.token_hex(3)}.db"
        db = Database.from_url(url)
        upgrade(db, "data")
        db.dispose()
        yield url, None
        return
    schema = f"bench_audit_{secrets.token_hex(3)}"
    admin = sa.create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        db = Database.from_url(POSTGRES, schema=schema)
        upgrade(db, "data")
        db.dispose()
        yield POSTGRES, schema
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def _writer(url: str, schema: str | None, worker: int, count: int, go: Any, done: Any) -> None:
    db = Database.from_url(url, schema=schema)
    log = AuditLog(db, max_batch=int(os.environ.get("BATCH", "1000")))
    log.append(_entry(worker, -1))  # connect and warm up before the clock starts
    go.wait()
    started = time.perf_counter()
    in_flight = []
    for n in range(count):
        in_flight.append(log.submit(_entry(worker, n)))
        if len(in_flight) >= WINDOW:
            in_flight.pop(0).result()
    for future in in_flight:
        future.result()
    done.put((worker, started, time.perf_counter()))
    log.close()
    db.dispose()


def append_throughput(url: str, schema: str | None, per_writer: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    go, done = context.Barrier(WRITERS + 1), context.Queue()
    workers = [
        context.Process(target=_writer, args=(url, schema, w, per_writer, go, done)) for w in range(WRITERS)
    ]
    for worker in workers:
        worker.start()
    go.wait()
    spans = [done.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    seconds = max(end for _, _, end in spans) - min(start for _, start, _ in spans)
    total = WRITERS * per_writer
    db = Database.from_url(url, schema=schema)
    try:
        log = AuditLog(db, signer=Ed25519Signer.generate())
        log.sign_head()
        verified = log.verify()
    finally:
        db.dispose()
    return {
        "writers": WRITERS,
        "window": WINDOW,
        "entries": total,
        "seconds": seconds,
        "per_second": total / seconds,
        "verified": verified.ok,
        "tree_size": verified.size,
    }


def append_latency(url: str, schema: str | None, count: int) -> dict[str, Any]:
    db = Database.from_url(url, schema=schema)
    log = AuditLog(db)
    try:
        log.append(_entry(0, -1))
        samples = []
        for n in range(count):
            start = time.perf_counter_ns()
            log.append(_entry(0, n))
            samples.append((time.perf_counter_ns() - start) / 1e6)
    finally:
        log.close()
        db.dispose()
    return _percentiles(samples, "ms")


def storage_floor(url: str, schema: str | None, count: int) -> dict[str, Any]:
    """The database alone: the rows an append writes (entries only), inserted by the driver's own
    executemany in committed batches of 1,000, with no Veil code around it: the ceiling appends live under."""
    now_us = to_micros(datetime.now(UTC))
    rows = []
    for n in range(count):
        prepared = _entry(n % WRITERS, n).prepare(now_us)
        rows.append(prepared.values(n, leaf_hash(prepared.leaf_data(n))))
    db = Database.from_url(url, schema=schema)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        mark = "?" if db.is_sqlite else "%s"
        marks = ", ".join([mark] * len(COLUMNS))
        statement = f"INSERT INTO veil_audit_entries ({', '.join(COLUMNS)}) VALUES ({marks})"  # noqa: S608
        started = time.perf_counter()
        for first in range(0, count, 1_000):
            if db.is_sqlite:
                cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(statement, rows[first : first + 1_000])
            if db.is_sqlite:
                cursor.execute("COMMIT")
            else:
                raw.commit()
        seconds = time.perf_counter() - started
    finally:
        raw.close()
        db.dispose()
    return {"entries": count, "seconds": seconds, "per_second": count / seconds}


def build_log(url: str, schema: str | None, size: int) -> dict[str, Any]:
    db = Database.from_url(url, schema=schema)
    log = AuditLog(db)
    started = time.perf_counter()
    try:
        batch = 10_000
        for first in range(0, size, batch):
            with db.write() as conn:
                log.append_many([_entry(0, n) for n in range(first, min(size, first + batch))], conn=conn)
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    return {"entries": size, "seconds": seconds, "per_second": size / seconds}


def verification(url: str, schema: str | None) -> dict[str, Any]:
    db = Database.from_url(url, schema=schema)
    log = AuditLog(db, signer=Ed25519Signer(bytes(32)))
    try:
        log.sign_head()
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            result = log.verify()
            runs.append(time.perf_counter() - started)
            assert result.ok, result.problem
    finally:
        db.dispose()
    return {"entries": result.size, "seconds": statistics.median(runs), "runs": runs}


def proofs(url: str, schema: str | None, count: int) -> dict[str, Any]:
    db = Database.from_url(url, schema=schema)
    log = AuditLog(db)
    rng = random.Random(7)
    try:
        size, root = log.size(), log.root()
        picks = [rng.randrange(size) for _ in range(count)]
        query = sa.select(audit_entries.c.idx, audit_entries.c.leaf_hash).where(
            audit_entries.c.idx.in_(picks)
        )
        with db.read() as conn:
            leaves = {int(i): bytes(h) for i, h in conn.execute(query)}
        inclusion_gen, inclusion_check, inclusion_bytes = [], [], []
        for index in picks:
            start = time.perf_counter_ns()
            path = log.inclusion_proof(index, size=size)  # against a signed head's size, as bundles are
            inclusion_gen.append((time.perf_counter_ns() - start) / 1e6)
            start = time.perf_counter_ns()
            verify_inclusion(leaves[index], index, size, path, root)
            inclusion_check.append((time.perf_counter_ns() - start) / 1e6)
            inclusion_bytes.append(32 * len(path))
        old_sizes = [rng.randrange(1, size) for _ in range(count)]
        with db.read() as conn:
            old_roots = _roots_at(conn, set(old_sizes[:20]))
        consistency_gen, consistency_check, consistency_bytes = [], [], []
        for old in old_sizes:
            start = time.perf_counter_ns()
            proof = log.consistency_proof(old, size)
            consistency_gen.append((time.perf_counter_ns() - start) / 1e6)
            consistency_bytes.append(32 * len(proof))
            if old in old_roots:
                start = time.perf_counter_ns()
                verify_consistency(old, size, proof, old_roots[old], root)
                consistency_check.append((time.perf_counter_ns() - start) / 1e6)
    finally:
        db.dispose()
    return {
        "tree_size": size,
        "inclusion": {
            "generate": _percentiles(inclusion_gen, "ms"),
            "verify": _percentiles(inclusion_check, "ms"),
            "max_bytes": max(inclusion_bytes),
        },
        "consistency": {
            "generate": _percentiles(consistency_gen, "ms"),
            "verify": _percentiles(consistency_check, "ms"),
            "max_bytes": max(consistency_bytes),
        },
    }


def _roots_at(conn: Any, sizes: set[int]) -> dict[int, bytes]:
    """The roots of the trees of ``sizes`` entries, from the stored leaves in one pass."""
    frontier, roots = Frontier.empty(), {}
    rows = conn.execute(
        sa.select(audit_entries.c.leaf_hash)
        .where(audit_entries.c.idx < max(sizes))
        .order_by(audit_entries.c.idx)
    )
    for (digest,) in rows:
        frontier.append(bytes(digest))
        if frontier.size in sizes:
            roots[frontier.size] = frontier.root()
    return roots


def _percentiles(samples: list[float], unit: str) -> dict[str, Any]:
    ordered = sorted(samples)
    return {
        "p50": ordered[len(ordered) // 2],
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "n": len(ordered),
        "unit": unit,
    }


def run(backends: list[str], sizes: dict[str, int]) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "sizes": sizes,
        "backends": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            out: dict[str, Any] = {}
            with database(backend, Path(tmp)) as (url, schema):
                print(f"{backend}: {WRITERS} writers x {sizes['append_entries']} appends", flush=True)
                out["append"] = append_throughput(url, schema, sizes["append_entries"])
            with database(backend, Path(tmp)) as (url, schema):
                print(f"{backend}: the database alone, {sizes['floor_entries']} rows", flush=True)
                out["floor"] = storage_floor(url, schema, sizes["floor_entries"])
            with database(backend, Path(tmp)) as (url, schema):
                print(f"{backend}: single durable appends", flush=True)
                out["latency"] = append_latency(url, schema, sizes["latency_appends"])
            with database(backend, Path(tmp)) as (url, schema):
                print(f"{backend}: building a log of {sizes['verify_size']} entries", flush=True)
                out["build"] = build_log(url, schema, sizes["verify_size"])
                print(f"{backend}: verify and proofs", flush=True)
                out["verify"] = verification(url, schema)
                out["proofs"] = proofs(url, schema, sizes["proofs"])
            results["backends"][backend] = out
    results["leaf_hash_check"] = leaf_hash(b"").hex()  # the RFC 6962 empty-leaf hash, for the record
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path, default=BENCH / "results" / "audit.json")
    parser.add_argument("--docs", type=Path, default=None)
    args = parser.parse_args()
    results = run(args.backends.split(","), QUICK if args.quick else FULL)
    results["quick"] = args.quick
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    docs = args.docs or (ROOT / "docs" / "benchmarks.md" if not args.quick else None)
    if docs is not None:
        replace_section(docs, "## Audit log and access control", render_section(results, BENCH / "results"))
    print(
        json.dumps(
            {
                b: {
                    "append/s": round(r["append"]["per_second"]),
                    "p50 ms": round(r["latency"]["p50"], 3),
                    "verify s": round(r["verify"]["seconds"], 2),
                }
                for b, r in results["backends"].items()
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
