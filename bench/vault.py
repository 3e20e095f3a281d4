"""Vault benchmark: sealing, put/get against plain SQLAlchemy, key destruction, erasure, epochs, export.

    .venv/bin/python bench/vault.py                         # both backends, full sizes (~2-4 min)
    .venv/bin/python bench/vault.py --backends sqlite       # SQLite only
    .venv/bin/python bench/vault.py --quick --output /tmp/v.json   # smoke test sizes

Builds its own databases: SQLite files in a temporary folder, and on PostgreSQL
(127.0.0.1:5432, user postgres, db ``test``) two fresh schemas that are dropped at the end.
The process is pinned to one CPU (the PostgreSQL server runs in its own processes).
Writes bench/results/vault.json and the "## Vault" section at the end of docs/benchmarks.md
(full runs with the default output only; ``--docs`` names another file).
``--profile DIR`` adds one cProfile'd pass of each vault operation and writes DIR/*.pstats.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import math
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import sqlalchemy as sa  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from _provenance import source_state  # noqa: E402
from _provenance import versions as package_versions  # noqa: E402
from _timing import pin_one_cpu  # noqa: E402
from _vault_report import render_section, render_table, targets, write_docs  # noqa: E402
from veil.access import Policy  # noqa: E402
from veil.crypto import Aead, InMemoryKeyProvider, new_key, wrap_key  # noqa: E402
from veil.storage import Database, upgrade  # noqa: E402
from veil.storage.tables import data_keys, subjects  # noqa: E402
from veil.vault import (  # noqa: E402
    Category,
    CollectionSpec,
    FieldSpec,
    InMemoryDerivedStore,
    LegalBasis,
    ProfileSet,
    Purpose,
    SqlTableDerivedStore,
    Vault,
    VaultSchema,
)
from veil.vault._ids import new_key_id  # noqa: E402
from veil.vault._payload import associated_data  # noqa: E402
from veil.vault._vault import WRITE_BATCH  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_OUTPUT = BENCH / "results" / "vault.json"
DEFAULT_DOCS = ROOT / "docs" / "benchmarks.md"
COLLECTION = "customers"
PURPOSE = "support"
ACTOR = "bench"
# the benchmark acts as one principal allowed everything: decisions cost what they cost in production
POLICY = Policy.from_mapping({"access": {
    "principals": [{"id": ACTOR, "kind": "service", "roles": ["bench"]}],
    "grants": [{"name": "bench-everything", "roles": ["bench"], "actions": ["*"], "purposes": ["*"]}],
}}, source="bench/vault.py")
REGION = "DE"
LOCATION = "EU"
FIELD_BYTES = 200
GET_BATCH = 100
#: The five sealed string fields of a record (5 x 200 bytes: 1 KB of plaintext).
FIELDS = (("email", Category.CONTACT), ("name", Category.IDENTITY), ("address", Category.CONTACT),
          ("phone", Category.CONTACT), ("history", Category.BEHAVIOURAL))

FULL = {"aead_ops": 100_000, "aead_reps": 5, "records": 10_000, "subjects": 1_000, "reps": 5,
        "destroy": 500, "erase_records": 10_000, "erase_reps": 3, "epoch_keys": 100_000, "epoch_reps": 3,
        "export_records": 10_000}
QUICK = {"aead_ops": 5_000, "aead_reps": 2, "records": 500, "subjects": 50, "reps": 2,
         "destroy": 40, "erase_records": 500, "erase_reps": 2, "epoch_keys": 2_000, "epoch_reps": 2,
         "export_records": 500}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(values: list[float], digits: int = 1) -> dict[str, Any]:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": [round(v, digits) for v in values]}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p99 of 500 samples is the 495th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# -- machine -----------------------------------------------------------------------------


def _mount_of(path: Path) -> str:
    best, fstype = "", "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                best, fstype = parts[1], parts[2]
    except OSError:
        pass
    return f"{fstype} ({best or '?'})"


def machine(tmp: Path) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(terse=True),
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "temp_filesystem": _mount_of(tmp), "load_before": ", ".join(f"{x:.2f}" for x in load)}


def versions() -> dict[str, str]:
    return package_versions(("veil", "cryptography", "SQLAlchemy", "psycopg"))


# -- 1. AEAD -----------------------------------------------------------------------------


def _aead_loops(key: bytes, size: int, ops: int) -> dict[str, Callable[[], None]]:
    """Timed loops over one plaintext of ``size`` bytes (names bound once, outside the loops)."""
    aead, raw, urandom = Aead(key), AESGCM(key), os.urandom
    ad = associated_data(COLLECTION, secrets.token_hex(16), "email", secrets.token_hex(16))
    data = urandom(size)
    sealed = aead.seal(data, ad)
    nonce, body = sealed[:12], sealed[12:]
    seal, open_, enc, dec = aead.seal, aead.open, raw.encrypt, raw.decrypt

    def veil_seal() -> None:
        for _ in range(ops):
            seal(data, ad)

    def veil_open() -> None:
        for _ in range(ops):
            open_(sealed, ad)

    def raw_seal() -> None:  # what Aead.seal does, minus the method call and checks
        for _ in range(ops):
            n = urandom(12)
            n + enc(n, data, ad)

    def raw_encrypt() -> None:  # fixed nonce: the cost of AESGCM.encrypt alone (never do this)
        for _ in range(ops):
            enc(nonce, data, ad)

    def raw_decrypt() -> None:
        for _ in range(ops):
            dec(nonce, body, ad)

    return {"veil_seal": veil_seal, "veil_open": veil_open, "raw_seal": raw_seal,
            "raw_encrypt": raw_encrypt, "raw_decrypt": raw_decrypt}


def bench_aead(ops: int, reps: int) -> dict[str, Any]:
    key = new_key()
    out: dict[str, Any] = {"ops_per_rep": ops, "reps": reps}
    for size in (1024, FIELD_BYTES):
        loops = _aead_loops(key, size, ops)
        runs: dict[str, list[float]] = {}
        for _ in range(reps):  # interleaved, so drift hits every variant alike
            for name, loop in loops.items():
                start = time.perf_counter()
                loop()
                runs.setdefault(name, []).append(ops / (time.perf_counter() - start))
        out[f"{size}B"] = {name: summary(values, 0) for name, values in runs.items()}
    return out


# -- backends ----------------------------------------------------------------------------


def schema() -> VaultSchema:
    fields = {name: FieldSpec(name, category, frozenset({PURPOSE})) for name, category in FIELDS}
    return VaultSchema(purposes={PURPOSE: Purpose(PURPOSE, LegalBasis.CONTRACT)},
                       collections={COLLECTION: CollectionSpec(COLLECTION, fields, timedelta(days=365))})


@contextmanager
def databases(backend: str, tmp: Path) -> Iterator[tuple[Database, Database, dict[str, Any]]]:
    """Fresh, migrated data and key databases; PostgreSQL schemas are dropped afterwards."""
    info: dict[str, Any] = {}
    if backend == "sqlite":
        data = Database.from_url(f"sqlite:///{tmp}/veil.db")
        keys = Database.from_url(f"sqlite:///{tmp}/veil-keys.db", secure_delete=True)
        info.update(journal_mode="WAL", synchronous="FULL", keys_secure_delete=True)
        admin = None
    else:
        tag = secrets.token_hex(4)
        names = (f"bench_{tag}_data", f"bench_{tag}_keys")
        admin = sa.create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            for name in names:
                conn.exec_driver_sql(f"CREATE SCHEMA {name}")
            for setting in ("server_version", "fsync", "synchronous_commit", "shared_buffers", "wal_level"):
                info[setting] = conn.exec_driver_sql(f"SHOW {setting}").scalar()
        data = Database.from_url(POSTGRES_URL, schema=names[0])
        keys = Database.from_url(POSTGRES_URL, schema=names[1], secure_delete=True)
    try:
        upgrade(data, "data")
        upgrade(keys, "keys")
        yield data, keys, info
    finally:
        data.dispose()
        keys.dispose()
        if admin is not None:
            with admin.begin() as conn:
                for name in names:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            admin.dispose()


def plain_table(data: Database) -> sa.Table:
    """The unencrypted comparator: the same five text columns and ids, a primary key and a subject index."""
    meta = sa.MetaData()
    table = sa.Table("bench_plain", meta,
                     sa.Column("record_id", sa.String(128), primary_key=True),
                     sa.Column("subject_id", sa.String(128), nullable=False),
                     *(sa.Column(name, sa.Text, nullable=False) for name, _ in FIELDS),
                     sa.Index("ix_bench_plain_subject", "subject_id"))
    meta.create_all(data.engine)
    return table


class Rows:
    """Deterministic 1 KB records: five 200-character strings."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def record(self) -> dict[str, str]:
        return {name: self._rng.randbytes(FIELD_BYTES // 2).hex() for name, _ in FIELDS}

    def many(self, subject_ids: list[str], n: int) -> list[tuple[str, dict[str, str]]]:
        return [(subject_ids[i % len(subject_ids)], self.record()) for i in range(n)]


def register(vault: Vault, subject_ids: list[str]) -> None:
    """Subjects as ``add_subject`` stores them (without one transaction and audit entry each), keys made."""
    now = vault.clock.now()
    rows = [{"subject_id": s, "region": REGION, "key_id": new_key_id(), "state": "active", "created_at": now}
            for s in subject_ids]
    for start in range(0, len(rows), WRITE_BATCH):
        chunk = rows[start:start + WRITE_BATCH]
        with vault.data.write() as conn:
            conn.execute(sa.insert(subjects), chunk)
        vault.keys.data_keys([r["key_id"] for r in chunk], create=True)


class Profiler:
    def __init__(self, folder: Path | None, backend: str) -> None:
        self.folder, self.backend = folder, backend

    def run(self, name: str, call: Callable[[], Any]) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        profile = cProfile.Profile()
        profile.enable()
        call()
        profile.disable()
        profile.dump_stats(self.folder / f"{self.backend}_{name}.pstats")


def timed_cpu(call: Callable[[], Any]) -> tuple[Any, float, float]:
    """Result, wall seconds and this process's CPU seconds."""
    cpu, start = time.process_time(), time.perf_counter()
    result = call()
    return result, time.perf_counter() - start, time.process_time() - cpu


class CpuElsewhere:
    """Cores kept busy outside this process (the PostgreSQL server, other work on the machine)."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
            busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            busy = float("nan")
        return busy, time.process_time(), time.perf_counter()

    def cores(self) -> float:
        busy, own, wall = self._sample()
        return round(((busy - self.start[0]) - (own - self.start[1])) / (wall - self.start[2]), 2)


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def bench_backend(backend: str, sizes: dict[str, int], root: Path,
                  profile_dir: Path | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"{backend}-", dir=root))
    out: dict[str, Any] = {}
    prof = Profiler(profile_dir, backend)
    elsewhere = CpuElsewhere()
    with databases(backend, tmp) as (data, keys, info):
        out["database"] = info
        vault = Vault(data, keys, InMemoryKeyProvider(), schema(), profiles=ProfileSet.load(["gdpr"]),
                      location=LOCATION, policy=POLICY)
        plain = plain_table(data)
        gen = Rows(seed=7)
        people = [f"subj-{i:06d}" for i in range(sizes["subjects"])]
        register(vault, people)
        n, reps = sizes["records"], sizes["reps"]

        # 2. put: put_many vs executemany of the same rows in WRITE_BATCH transactions
        log(f"{backend}: put {n} records x {reps}")
        vault_rates, plain_rates, vault_cpu, plain_cpu, stored = [], [], [], [], []
        for _ in range(reps):  # alternated, so drift and other load hit both alike
            batch = gen.many(people, n)
            ids, seconds, cpu = timed_cpu(
                lambda b=batch: vault.put_many(COLLECTION, b, purpose=PURPOSE, actor=ACTOR)
            )
            vault_rates.append(n / seconds)
            vault_cpu.append(cpu / n * 1e6)
            stored += ids
            _, seconds, cpu = timed_cpu(lambda b=batch: plain_insert(data, plain, b))
            plain_rates.append(n / seconds)
            plain_cpu.append(cpu / n * 1e6)
        batch = gen.many(people, n)
        prof.run("put", lambda: vault.put_many(COLLECTION, batch, purpose=PURPOSE, actor=ACTOR))
        out["put"] = {"records": n, "subjects": len(people), "batch": WRITE_BATCH,
                      "vault_records_s": summary(vault_rates), "plain_records_s": summary(plain_rates),
                      "ratio": round(statistics.median(plain_rates) / statistics.median(vault_rates), 2),
                      "client_cpu_us_per_record": {"vault": summary(vault_cpu, 2),
                                                   "plain": summary(plain_cpu, 2)}}

        # 3. get: get_many in batches of 100 vs SELECT ... WHERE record_id IN (100 ids)
        log(f"{backend}: get {n} records x {reps}")
        with data.read() as conn:
            plain_ids = list(conn.execute(sa.select(plain.c.record_id)).scalars())
        order = random.Random(11)
        wanted_v = order.sample(stored, n)
        wanted_p = order.sample(plain_ids, n)
        vault_rates, plain_rates, vault_cpu, plain_cpu = [], [], [], []
        for _ in range(reps):
            got, seconds, cpu = timed_cpu(lambda: vault_get(vault, wanted_v))
            assert got == n, f"vault get returned {got} of {n} records"
            vault_rates.append(n / seconds)
            vault_cpu.append(cpu / n * 1e6)
            got, seconds, cpu = timed_cpu(lambda: plain_get(data, plain, wanted_p))
            assert got == n, f"plain get returned {got} of {n} rows"
            plain_rates.append(n / seconds)
            plain_cpu.append(cpu / n * 1e6)
        prof.run("get", lambda: vault_get(vault, wanted_v))
        out["get"] = {"records": n, "batch": GET_BATCH, "vault_records_s": summary(vault_rates),
                      "plain_records_s": summary(plain_rates),
                      "ratio": round(statistics.median(plain_rates) / statistics.median(vault_rates), 2),
                      "client_cpu_us_per_record": {"vault": summary(vault_cpu, 2),
                                                   "plain": summary(plain_cpu, 2)}}

        # 4. destroy one data key at a time
        count = sizes["destroy"]
        log(f"{backend}: destroy {count} data keys")
        doomed = [new_key_id() for _ in range(count)]
        vault.keys.data_keys(doomed, create=True)
        latencies = []
        for key_id in doomed:
            _, seconds = timed(lambda k=key_id: vault.keys.destroy(k))
            latencies.append(seconds * 1000)
        extra = [new_key_id() for _ in range(20)]
        vault.keys.data_keys(extra, create=True)
        prof.run("destroy", lambda: [vault.keys.destroy(k) for k in extra])
        out["destroy"] = {"keys": count, "p50_ms": round(percentile(latencies, 50), 2),
                          "p99_ms": round(percentile(latencies, 99), 2), "max_ms": round(max(latencies), 2),
                          "mean_ms": round(statistics.fmean(latencies), 2)}

        # 7. export and 5. erase of a subject with many records, derived stores registered
        out.update(bench_erase_export(vault, gen, sizes, tmp, prof, backend))

        # 6. a new key epoch over many data keys
        out["epoch"] = bench_epoch(vault, keys, sizes, prof, backend)
    out["cpu_busy_elsewhere_cores"] = elsewhere.cores()
    out["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return out


def plain_insert(data: Database, table: sa.Table, rows: list[tuple[str, dict[str, str]]]) -> None:
    for start in range(0, len(rows), WRITE_BATCH):
        batch = [{"record_id": secrets.token_hex(16), "subject_id": s, **values}
                 for s, values in rows[start:start + WRITE_BATCH]]
        with data.write() as conn:
            conn.execute(sa.insert(table), batch)


def vault_get(vault: Vault, ids: list[str]) -> int:
    got = 0
    for start in range(0, len(ids), GET_BATCH):
        got += len(vault.get_many(COLLECTION, ids[start:start + GET_BATCH], purpose=PURPOSE, actor=ACTOR))
    return got


def plain_get(data: Database, table: sa.Table, ids: list[str]) -> int:
    got = 0
    for start in range(0, len(ids), GET_BATCH):
        with data.read() as conn:
            got += len(conn.execute(sa.select(table).where(
                table.c.record_id.in_(ids[start:start + GET_BATCH]))).all())
    return got


def bench_erase_export(vault: Vault, gen: Rows, sizes: dict[str, int], tmp: Path, prof: Profiler,
                       backend: str) -> dict[str, Any]:
    n = sizes["erase_records"]
    cache = InMemoryDerivedStore("cache")
    engine = sa.create_engine(f"sqlite:///{tmp}/derived.db")
    meta = sa.MetaData()
    table = sa.Table("embeddings", meta, sa.Column("item_id", sa.Integer, primary_key=True),
                     sa.Column("subject_id", sa.String(128), nullable=False),
                     sa.Column("vector", sa.LargeBinary, nullable=False),
                     sa.Index("ix_embeddings_subject", "subject_id"))
    meta.create_all(engine)
    vault.register_derived_store(cache)
    vault.register_derived_store(SqlTableDerivedStore(engine, "embeddings"))
    neighbour = "subj-000000"  # derived items of another subject, left in place
    fill_derived(cache, engine, table, neighbour, n, "n")

    def big_subject(subject_id: str) -> None:
        register(vault, [subject_id])
        vault.put_many(COLLECTION, gen.many([subject_id], n), purpose=PURPOSE, actor=ACTOR)
        fill_derived(cache, engine, table, subject_id, n, subject_id)

    out: dict[str, Any] = {}
    runs = sizes["erase_reps"] + (prof.folder is not None)
    victims = [f"big-{i:03d}" for i in range(runs)]
    big_subject(victims[0])
    log(f"{backend}: export a {n}-record subject x {sizes['reps']}")
    export_s = []
    for _ in range(sizes["reps"]):
        result, seconds = timed(lambda: vault.subject_data(victims[0], actor=ACTOR))
        assert len(result.records[COLLECTION]) == n
        export_s.append(seconds)
    prof.run("export", lambda: vault.subject_data(victims[0], actor=ACTOR))
    out["export"] = {"records": n, "seconds": summary(export_s, 3),
                     "records_s": round(n / statistics.median(export_s), 1)}

    log(f"{backend}: erase a {n}-record subject x {sizes['erase_reps']}")
    phases = Phases(vault)
    totals, breakdown = [], []
    for i, victim in enumerate(victims):
        if i:
            big_subject(victim)
        if i == sizes["erase_reps"]:  # the extra, profiled erasure
            prof.run("erase", lambda v=victim: vault.erase_subject(v, actor=ACTOR))
            break
        phases.reset()
        erasure, seconds = timed(lambda v=victim: vault.erase_subject(v, actor=ACTOR))
        assert erasure.records == {COLLECTION: n}
        assert erasure.key_destroyed
        assert erasure.derived == {"cache": n, "embeddings": n}, erasure.derived
        totals.append(seconds * 1000)
        breakdown.append(phases.ms(seconds))
    phases.restore()
    assert cache.count_subject(neighbour) == n  # only the erased subjects' items went
    engine.dispose()
    out["erase"] = {"records": n, "derived_items": {"cache": n, "embeddings": n}, "ms": summary(totals),
                    "phases_ms": {k: round(statistics.median(b[k] for b in breakdown), 1)
                                  for k in breakdown[0]}}
    return out


def fill_derived(cache: InMemoryDerivedStore, engine: sa.Engine, table: sa.Table, subject_id: str, n: int,
                 tag: str) -> None:
    for i in range(n):
        cache.put(f"{tag}:{i}", subject_id, i)
    with engine.begin() as conn:
        conn.execute(sa.insert(table), [{"subject_id": subject_id, "vector": b"\x00" * 64} for _ in range(n)])


class Phases:
    """Wall time inside ``keys.destroy`` and each derived store during an erasure (instance wrappers)."""

    def __init__(self, vault: Vault) -> None:
        self.vault, self.spent, self._saved = vault, {}, []
        self._wrap(vault.keys, "destroy", "key_destroy")
        for name, store in vault.derived_stores.items():
            self._wrap(store, "erase_subject", f"derived_{name}")

    def _wrap(self, target: Any, attr: str, label: str) -> None:
        original = getattr(target, attr)

        def timed_call(*args: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kw)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - start

        self._saved.append((target, attr))
        setattr(target, attr, timed_call)

    def reset(self) -> None:
        self.spent = {}

    def ms(self, total: float) -> dict[str, float]:
        parts = {k: v * 1000 for k, v in self.spent.items()}
        parts["data_rows_and_rest"] = total * 1000 - sum(parts.values())
        return parts

    def restore(self) -> None:
        for target, attr in self._saved:
            delattr(target, attr)


def bench_epoch(vault: Vault, keys: Database, sizes: dict[str, int], prof: Profiler,
                backend: str) -> dict[str, Any]:
    """Top the key store up to ``epoch_keys`` live data keys (wrapped rows), then advance epochs."""
    target = sizes["epoch_keys"]
    with keys.read() as conn:
        present = conn.execute(sa.select(sa.func.count()).select_from(data_keys)).scalar_one()
    provider = vault.keys.provider
    version = provider.current_version()
    kek = provider.kek(version)
    now = vault.clock.now()
    log(f"{backend}: add {target - present} wrapped data keys")
    for start in range(present, target, 10_000):
        rows = []
        for _ in range(min(10_000, target - start)):
            key_id = new_key_id()
            rows.append({"key_id": key_id, "kek_version": version, "created_at": now,
                         "wrapped": wrap_key(kek, new_key(), key_id.encode())})
        with keys.write() as conn:
            conn.execute(sa.insert(data_keys), rows)
    log(f"{backend}: advance_epoch over {target} data keys x {sizes['epoch_reps']}")
    rewrap_s: list[float] = []
    original = vault.keys.rewrap

    def rewrap(version: int) -> Any:
        report, seconds = timed(lambda: original(version))
        rewrap_s.append(seconds)
        return report

    vault.keys.rewrap = rewrap  # type: ignore[method-assign]
    totals = []
    for _ in range(sizes["epoch_reps"]):
        report, seconds = timed(lambda: vault.advance_epoch(actor=ACTOR))
        assert report.rewrapped == target, (report.rewrapped, target)
        totals.append(seconds)
    del vault.keys.rewrap
    prof.run("epoch", lambda: vault.advance_epoch(actor=ACTOR))
    return {"data_keys": target, "seconds": summary(totals, 3),
            "rewrap_seconds": round(statistics.median(rewrap_s), 3),
            "keys_s": round(target / statistics.median(totals), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark Veil's vault on SQLite and PostgreSQL.")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test, not a measurement")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--docs", type=Path, default=None,
                        help="file whose '## Vault' section is (re)written; default docs/benchmarks.md on "
                             "full runs with the default --output, none otherwise")
    parser.add_argument("--profile", type=Path, default=None, help="folder for cProfile .pstats files")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: print and write the docs section from --output as it is")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(args.output.read_text(encoding="utf-8"))
        results["targets"] = targets(results)
        print(render_table(results))
        write_docs(args.docs or DEFAULT_DOCS, render_section(results))
        return 0
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - {"sqlite", "postgresql"})
    if unknown or not backends:
        parser.error(f"unknown backends {unknown}: use sqlite and/or postgresql")
    sizes = QUICK if args.quick else FULL
    docs = args.docs
    if docs is None and not args.quick and args.output == DEFAULT_OUTPUT:
        docs = DEFAULT_DOCS
    started = time.perf_counter()
    cpu = pin_one_cpu()
    with tempfile.TemporaryDirectory(prefix="veil-bench-vault-") as folder:
        root = Path(folder)
        results: dict[str, Any] = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": ".venv/bin/python bench/vault.py --backends " + ",".join(backends)
                       + (" --quick" if args.quick else ""),
            "quick": args.quick, "sizes": dict(sizes), "pinned_cpu": cpu,
            "machine": machine(root), "versions": versions(), "source": source_state(), "backends": {},
        }
        log(f"AEAD: {sizes['aead_ops']} ops x {sizes['aead_reps']}")
        results["aead"] = bench_aead(sizes["aead_ops"], sizes["aead_reps"])
        for backend in backends:
            results["backends"][backend] = bench_backend(backend, sizes, root, args.profile)
    results["machine"]["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = targets(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render_table(results))
    if docs is not None:
        write_docs(docs, render_section(results))
        log(f"wrote {args.output} and the Vault section of {docs}")
    else:
        log(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
