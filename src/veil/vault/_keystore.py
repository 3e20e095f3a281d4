"""Per-subject data keys, wrapped by the provider's key-encryption key, in their own database.

Erasure destroys a subject's data key: every ciphertext sealed under it, in the data
database and in all of its backups, becomes unreadable. Key-store backups still hold
the wrapped key, so key epochs rewrap every live key under a new key-encryption key
and destroy the old one: a key-store backup older than one epoch opens nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock, SystemClock
from veil.crypto import Aead, KeyProvider, derive_key, new_key, unwrap_key, wrap_key
from veil.errors import IntegrityError, NotFound
from veil.storage import Database
from veil.storage.tables import data_keys, destroyed_keys, index_keys, key_epochs
from veil.vault._sql import insert_ignoring_conflicts

#: Keys rewrapped per transaction during rotation: bounded memory, resumable after a crash.
REWRAP_BATCH = 50_000
_INDEX_KEY = "blind-index"
_SECRET_KEY = "secret"  # noqa: S105 - a key name prefix, not a secret


@dataclass(frozen=True)
class RewrapReport:
    kek_version: int
    data_keys: int
    index_keys: int
    seconds: float


@dataclass(frozen=True)
class EpochReport:
    epoch: int
    kek_version: int
    rewrapped: int
    destroyed_versions: tuple[int, ...]
    seconds: float
    index_version: int = 0  # the blind-index key version the epoch started (set by the vault)
    reindexed: int = 0  # records whose blind-index digests it recomputed


class _KeyCache:
    """Unwrapped data keys for a short while (bounded), so hot subjects skip the key store.

    Its time is the process's monotonic clock, not the injected one: the TTL bounds how long
    another worker's erasure can go unseen here, a property of the process, not a business rule.
    Erasure in this process evicts at once; ``cache_ttl=timedelta(0)`` turns the cache off.
    """

    def __init__(self, ttl: timedelta, size: int) -> None:
        self._ttl = ttl.total_seconds()
        self._size = size
        self._keys: OrderedDict[str, tuple[Aead, float]] = OrderedDict()

    def get(self, key_id: str) -> Aead | None:
        hit = self._keys.get(key_id)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key_id: str, key: Aead) -> None:
        self._keys[key_id] = (key, time.monotonic() + self._ttl)
        self._keys.move_to_end(key_id)
        while len(self._keys) > self._size:
            self._keys.popitem(last=False)

    def evict(self, key_id: str) -> None:
        self._keys.pop(key_id, None)

    def clear(self) -> None:
        self._keys.clear()


class KeyStore:
    """The key database: wrapped data keys, index keys, epochs and destroyed key ids."""

    def __init__(
        self,
        db: Database,
        provider: KeyProvider,
        *,
        clock: Clock | None = None,
        cache_ttl: timedelta = timedelta(seconds=60),
        cache_size: int = 100_000,
    ) -> None:
        self.db = db
        self.provider = provider
        self.clock = clock or SystemClock()
        self._cache = _KeyCache(cache_ttl, cache_size)
        self._index_masters: dict[int, bytes] = {}
        self._secrets: dict[str, bytes] = {}
        self._index_keys: dict[tuple[int, str, str], bytes] = {}

    # -- data keys ---------------------------------------------------------------------

    def open_keys(self, key_ids: Iterable[str], *, create: bool = False) -> tuple[dict[str, Aead], int]:
        """The unwrapped keys that exist among ``key_ids`` (a destroyed key is simply absent), and how
        many had to be unwrapped from the key store (what the audit entry of the access counts).
        ``create`` makes the missing ones, never one an erasure destroyed."""
        wanted = set(key_ids)
        found = {k: key for k in wanted if (key := self._cache.get(k)) is not None}
        missing = wanted - set(found)
        unwrapped = 0
        if missing:
            loaded = self._load(missing)
            if create and len(loaded) < len(missing):
                self._create(missing - set(loaded))
                loaded.update(self._load(missing - set(loaded)))
            found.update(loaded)
            unwrapped = len(loaded)
        return found, unwrapped

    def available(self, key_ids: Iterable[str]) -> dict[str, Aead]:
        return self.open_keys(key_ids)[0]

    def data_keys(self, key_ids: Iterable[str], *, create: bool = False) -> dict[str, Aead]:
        """Unwrapped keys by id (``NotFound`` if one is missing); ``create`` makes the missing ones."""
        wanted = set(key_ids)
        found = self.open_keys(wanted, create=create)[0]
        if len(found) < len(wanted):
            raise NotFound(f"{len(wanted) - len(found)} data key(s) are not in the key store")
        return found

    def _load(self, key_ids: set[str]) -> dict[str, Aead]:
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(data_keys.c.key_id, data_keys.c.kek_version, data_keys.c.wrapped).where(
                    data_keys.c.key_id.in_(key_ids)
                )
            ).all()
        loaded: dict[str, Aead] = {}
        for key_id, version, wrapped in rows:
            key = Aead(unwrap_key(self.provider.kek(version), wrapped, key_id.encode()))
            self._cache.put(key_id, key)
            loaded[key_id] = key
        return loaded

    def _create(self, key_ids: set[str]) -> None:
        version = self.provider.current_version()
        kek = self.provider.kek(version)
        now = self.clock.now()
        with self.db.write() as conn:
            _lock_key_ids(self.db, conn, key_ids)
            destroyed = conn.execute(
                sa.select(destroyed_keys.c.key_id).where(destroyed_keys.c.key_id.in_(key_ids))
            ).first()
            if destroyed is not None:
                raise IntegrityError(
                    "a data key of this subject was destroyed by an erasure; "
                    "records restored from a backup stay unreadable"
                )
            rows = [
                {
                    "key_id": k,
                    "kek_version": version,
                    "created_at": now,
                    "wrapped": wrap_key(kek, new_key(), k.encode()),
                }
                for k in sorted(key_ids)
            ]
            conn.execute(insert_ignoring_conflicts(self.db, data_keys), rows)

    def destroy(self, key_id: str) -> int:
        """Crypto-shred one data key; returns the epoch it was destroyed in."""
        self._cache.evict(key_id)
        with self.db.write() as conn:
            _lock_key_ids(self.db, conn, {key_id})
            conn.execute(sa.delete(data_keys).where(data_keys.c.key_id == key_id))
            # recorded after the delete: an epoch begun earlier may hold a rewrapped copy, a later one cannot
            epoch = self._record_destroyed(conn, [key_id])
        self.db.checkpoint()  # the WAL must not keep a copy of the destroyed page
        self._cache.evict(key_id)  # a concurrent reader may have cached it meanwhile
        return epoch

    def _record_destroyed(self, conn: Connection, key_ids: list[str]) -> int:
        """Remember destroyed key ids (never to be created again) with the epoch they went in."""
        epoch = _epoch(conn)
        rows = [{"key_id": k, "destroyed_at": self.clock.now(), "epoch": epoch} for k in key_ids]
        conn.execute(insert_ignoring_conflicts(self.db, destroyed_keys), rows)
        return epoch

    def is_destroyed(self, key_id: str) -> bool:
        with self.db.read() as conn:
            return (
                conn.execute(
                    sa.select(destroyed_keys.c.key_id).where(destroyed_keys.c.key_id == key_id)
                ).first()
                is not None
            )

    def forget_cached(self) -> None:
        self._cache.clear()

    # -- blind-index keys --------------------------------------------------------------

    def index_key(self, collection: str, field: str, version: int) -> bytes:
        """The HMAC key of one field's blind index under index-key ``version`` (one wrapped master each)."""
        cached = self._index_keys.get((version, collection, field))
        if cached is not None:
            return cached
        self.ensure_index_master(version)
        master = self._index_masters[version]
        key = self._index_keys[(version, collection, field)] = derive_key(
            master, f"blind-index/{collection}/{field}"
        )
        return key

    def _index_master(self, version: int) -> bytes:
        return self._master(f"{_INDEX_KEY}/{version}")

    def secret(self, purpose: str) -> bytes:
        """A named 32-byte key kept wrapped beside the index keys (rotations rewrap it; epochs keep it),
        e.g. ``"tokens"`` for the keyed hashes of access tokens."""
        if purpose in self._secrets:
            return self._secrets[purpose]
        secret = self._secrets[purpose] = self._master(f"{_SECRET_KEY}/{purpose}")
        return secret

    def _master(self, name: str) -> bytes:
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(index_keys.c.kek_version, index_keys.c.wrapped).where(index_keys.c.name == name)
            ).first()
        if row is None:
            if self.is_destroyed(name):
                raise NotFound(
                    f"key {name} was destroyed by a key epoch (data restored from an older backup?): "
                    "run `veil keys epoch` to re-index"
                )
            kek_version = self.provider.current_version()
            wrapped = wrap_key(self.provider.kek(kek_version), new_key(), name.encode())
            with self.db.write() as conn:
                conn.execute(
                    insert_ignoring_conflicts(self.db, index_keys),
                    [{"name": name, "kek_version": kek_version, "wrapped": wrapped}],
                )
            return self._master(name)  # another worker may have won the insert
        return unwrap_key(self.provider.kek(row.kek_version), row.wrapped, name.encode())

    def ensure_index_master(self, version: int) -> None:
        """Create (or load) the blind-index master of ``version`` ahead of its first use."""
        if version not in self._index_masters:
            self._index_masters[version] = self._index_master(version)

    def destroy_index_keys(self, below: int) -> int:
        """Destroy every blind-index master older than version ``below``; returns how many went."""
        with self.db.write() as conn:
            names = [
                n
                for n in conn.execute(sa.select(index_keys.c.name)).scalars()
                if n.startswith(f"{_INDEX_KEY}/") and _index_version(n) < below
            ]
            if names:
                conn.execute(sa.delete(index_keys).where(index_keys.c.name.in_(names)))
                self._record_destroyed(conn, names)  # never re-created: old backups' digests stay dead
        for version in [v for v in self._index_masters if v < below]:
            del self._index_masters[version]
        self._index_keys = {k: v for k, v in self._index_keys.items() if k[0] >= below}
        self.db.checkpoint()
        return len(names)

    # -- rotation and epochs -----------------------------------------------------------

    def rotate(self) -> RewrapReport:
        """A new key-encryption key version; every wrapped key is rewrapped under it (data untouched)."""
        version = self.provider.create_version()
        return self.rewrap(version)

    def rewrap(self, version: int) -> RewrapReport:
        """Rewrap every key still under an older version (resumable: run again after a crash)."""
        started = time.perf_counter()
        kek = self.provider.kek(version)
        data_count = 0
        while True:
            with self.db.write() as conn:
                rows = conn.execute(
                    sa.select(data_keys.c.key_id, data_keys.c.kek_version, data_keys.c.wrapped)
                    .where(data_keys.c.kek_version != version)
                    .limit(REWRAP_BATCH)
                ).all()
                if not rows:
                    break
                keks = {old: self.provider.kek(old) for old in {row.kek_version for row in rows}}
                rewrapped = [
                    (key_id, wrap_key(kek, unwrap_key(keks[old], wrapped, key_id.encode()), key_id.encode()))
                    for key_id, old, wrapped in rows
                ]
                self._store_rewrapped(conn, version, rewrapped)
                data_count += len(rows)
        index_count = self._rewrap_index_keys(version, kek)
        return RewrapReport(version, data_count, index_count, time.perf_counter() - started)

    def _store_rewrapped(self, conn: Connection, version: int, rewrapped: list[tuple[str, bytes]]) -> None:
        """One round trip per batch: SQLAlchemy's per-row executemany is most of an epoch's time otherwise."""
        if self.db.is_sqlite:
            conn.exec_driver_sql(
                "UPDATE veil_data_keys SET kek_version = ?, wrapped = ? WHERE key_id = ?",
                [(version, wrapped, key_id) for key_id, wrapped in rewrapped],
            )
            return
        # PostgreSQL: COPY the batch into a temporary table, then one UPDATE joins it (parameter arrays of
        # 50,000 values cost more to adapt than the update itself)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS veil_rewrap (k text, w bytea) ON COMMIT DELETE ROWS"
            )
            with cursor.copy("COPY veil_rewrap (k, w) FROM STDIN") as copy:
                for row in rewrapped:
                    copy.write_row(row)
            cursor.execute(
                "UPDATE veil_data_keys AS d SET kek_version = %s, wrapped = u.w FROM veil_rewrap AS u "
                "WHERE d.key_id = u.k",
                (version,),
            )
        finally:
            cursor.close()

    def _rewrap_index_keys(self, version: int, kek: Aead) -> int:
        with self.db.write() as conn:
            rows = conn.execute(sa.select(index_keys).where(index_keys.c.kek_version != version)).all()
            for row in rows:
                context = row.name.encode()
                master = unwrap_key(self.provider.kek(row.kek_version), row.wrapped, context)
                conn.execute(
                    sa.update(index_keys)
                    .where(index_keys.c.name == row.name)
                    .values(kek_version=version, wrapped=wrap_key(kek, master, context))
                )
        return len(rows)

    def dependents(self, version: int) -> int:
        """How many wrapped keys still need key-encryption key ``version``."""
        with self.db.read() as conn:
            count = 0
            for table in (data_keys, index_keys):
                count += conn.execute(
                    sa.select(sa.func.count()).select_from(table).where(table.c.kek_version == version)
                ).scalar_one()
        return int(count)

    def retire(self, version: int) -> None:
        """Destroy a key-encryption key version, refused while any wrapped key depends on it."""
        remaining = self.dependents(version)
        if remaining:
            raise IntegrityError(
                f"key-encryption key version {version} still wraps {remaining} key(s): "
                "run `veil keys rotate` first"
            )
        self.provider.destroy_version(version)

    def current_epoch(self) -> int:
        with self.db.read() as conn:
            return _epoch(conn)

    def advance_epoch(self) -> EpochReport:
        """Rewrap every live key under a new key-encryption key and destroy all older versions."""
        started = time.perf_counter()
        epoch = self.current_epoch() + 1
        version = self.provider.create_version()
        with self.db.write() as conn:
            conn.execute(
                sa.insert(key_epochs).values(
                    epoch=epoch, kek_version=version, started_at=self.clock.now(), rewrapped=0
                )
            )
        report = self.rewrap(version)
        old = tuple(v for v in self.provider.versions() if v != version)
        for stale in old:
            self.retire(stale)
        with self.db.write() as conn:
            conn.execute(
                sa.update(key_epochs)
                .where(key_epochs.c.epoch == epoch)
                .values(completed_at=self.clock.now(), rewrapped=report.data_keys)
            )
        self.db.checkpoint()
        return EpochReport(epoch, version, report.data_keys, old, time.perf_counter() - started)


def _lock_key_ids(db: Database, conn: Connection, key_ids: set[str]) -> None:
    """PostgreSQL: creating and destroying one key id take turns (READ COMMITTED alone lets a destroy
    slip between a create's check and its insert). SQLite's write lock already serializes them."""
    if db.is_sqlite:
        return
    conn.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) "
            "FROM unnest(CAST(:ids AS text[])) AS k ORDER BY k"
        ),
        {"ids": sorted(key_ids)},
    )


def _index_version(name: str) -> int:
    return int(name.rsplit("/", 1)[1])


def _epoch(conn: Connection) -> int:
    """The latest key epoch (0 before the first)."""
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(key_epochs.c.epoch), 0))).scalar_one())
