"""Blind indexes: keyed digests of lookup fields, under an index key that each key epoch replaces.

A digest confirms a guess to whoever holds its key. Each epoch therefore starts a new
index-key version, recomputes the live records' digests under it and destroys the old
key: blind-index rows in data backups from before the epoch then match no guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.errors import NotFound
from veil.storage.tables import blind_index, index_versions, records
from veil.vault._records import blind_digest, open_fields
from veil.vault._schema import CollectionSpec, FieldSpec
from veil.vault._sql import insert_ignoring_conflicts, locked

if TYPE_CHECKING:
    from veil.vault._keystore import KeyStore
    from veil.vault._vault import Vault

#: Records re-indexed per transaction when an epoch replaces the index key.
REINDEX_BATCH = 2000


def current_version(vault: Vault, conn: Connection) -> int:
    """The version new digests use, read under a share lock so an epoch cannot retire it meanwhile."""
    query = sa.select(index_versions.c.version).where(index_versions.c.retired_at.is_(None))
    live = conn.execute(locked(vault.data, query.order_by(index_versions.c.version.desc()), shared=True))
    version = live.scalars().first()
    if version is None:  # the first write of a new vault
        conn.execute(
            insert_ignoring_conflicts(vault.data, index_versions),
            [{"version": 1, "created_at": vault.clock.now()}],
        )
        return 1
    return int(version)


def live_versions(conn: Connection) -> list[int]:
    query = sa.select(index_versions.c.version).where(index_versions.c.retired_at.is_(None))
    return [int(v) for v in conn.execute(query).scalars()] or [1]


def lookup_digests(
    keys: KeyStore, spec: CollectionSpec, field: FieldSpec, encoded: bytes, versions: list[int]
) -> list[tuple[int, bytes]]:
    """The digest of a looked-up value under each live index-key version whose key still exists."""
    found = []
    for version in versions:
        try:
            key = keys.index_key(spec.name, field.name, version)
        except NotFound:  # rows under a destroyed key (a restored old backup) match nothing
            continue
        found.append((version, blind_digest(key, field, encoded)))
    return found


def rows(
    vault: Vault,
    spec: CollectionSpec,
    record_id: str,
    subject_id: str,
    encoded: Mapping[str, bytes],
    version: int,
) -> list[dict[str, Any]]:
    """The blind-index rows of one record's lookup fields under index-key ``version``."""
    return [
        {
            "collection": spec.name,
            "field": name,
            "record_id": record_id,
            "subject_id": subject_id,
            "key_version": version,
            "digest": blind_digest(vault.keys.index_key(spec.name, name, version), spec.fields[name], data),
        }
        for name, data in encoded.items()
        if spec.fields[name].lookup
    ]


def rotate(vault: Vault) -> tuple[int, int]:
    """Start a new index-key version, re-index every record under it, retire and destroy the old ones.

    Returns (new version, records re-indexed). Resumable: a crash leaves old rows that the
    next rotation re-indexes, and lookups meanwhile try every live version.
    """
    with vault.data.write() as conn:
        newest = conn.execute(sa.select(sa.func.max(index_versions.c.version))).scalar()
        version = int(newest or 0) + 1
        conn.execute(sa.insert(index_versions).values(version=version, created_at=vault.clock.now()))
    vault.keys.ensure_index_master(version)  # made now, under the current key-encryption key
    done = 0
    while True:
        with vault.data.write() as conn:
            moved = _reindex_batch(vault, conn, version)
        done += moved
        if moved < REINDEX_BATCH:
            break
    with vault.data.write() as conn:  # retire under a lock: writers still on an old version finish first
        conn.execute(
            sa.update(index_versions)
            .where(index_versions.c.version < version, index_versions.c.retired_at.is_(None))
            .values(retired_at=vault.clock.now())
        )
        while _reindex_batch(vault, conn, version):  # what those writers added meanwhile
            pass
    vault.keys.destroy_index_keys(below=version)
    return version, done


def _reindex_batch(vault: Vault, conn: Connection, version: int) -> int:
    stale = conn.execute(
        sa.select(blind_index.c.collection, blind_index.c.record_id)
        .distinct()
        .where(blind_index.c.key_version < version)
        .limit(REINDEX_BATCH)
    ).all()
    for collection, record_id in stale:
        fresh = _record_rows(vault, conn, collection, record_id, version)
        conn.execute(
            sa.delete(blind_index).where(
                blind_index.c.collection == collection,
                blind_index.c.record_id == record_id,
                blind_index.c.key_version < version,
            )
        )
        if fresh:
            conn.execute(insert_ignoring_conflicts(vault.data, blind_index), fresh)
    return len(stale)


def _record_rows(
    vault: Vault, conn: Connection, collection: str, record_id: str, version: int
) -> list[dict[str, Any]]:
    spec = vault.schema.collections.get(collection)
    row = conn.execute(
        sa.select(records).where(records.c.collection == collection, records.c.record_id == record_id)
    ).first()
    if spec is None or row is None:
        return []
    key = vault.keys.available([row.key_id]).get(row.key_id)
    if key is None:  # an erased subject's leftovers: their digests go, nothing replaces them
        return []
    lookups = [f for f in spec.fields.values() if f.lookup]
    values = open_fields(key, spec, record_id, row.key_id, row.payload, lookups)
    encoded = {f.name: f.encode(spec.name, values[f.name]) for f in lookups if f.name in values}
    return rows(vault, spec, record_id, row.subject_id, encoded, version)
