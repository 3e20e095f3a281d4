"""Changing stored records: resealing fields in place (rectification, updates) and deleting them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa

from veil.audit import AuditEntry
from veil.errors import NotFound
from veil.storage.tables import blind_index, records
from veil.vault import _blind
from veil.vault._ids import check_id
from veil.vault._payload import unpack
from veil.vault._records import encode_fields, repack
from veil.vault._sql import locked
from veil.vault._subjects import joined_records

if TYPE_CHECKING:
    from veil.vault._guard import Allowed
    from veil.vault._vault import Vault


def rewrite(
    vault: Vault,
    collection: str,
    record_id: str,
    values: Mapping[str, object],
    *,
    allowed: Allowed,
    request_id: str | None,
    purpose: str | None = None,
    encoded: dict[str, bytes] | None = None,
) -> None:
    """Reseal changed fields under a row lock (no lost updates) and refresh their blind indexes.
    ``encoded``: ``values`` already checked and encoded (free text redacted once, not twice)."""
    spec = vault.schema.collection(collection)
    check_id("record", record_id)
    if encoded is None:
        encoded = encode_fields(spec, values, partial=True)
    changes: dict[str, bytes | None] = {name: encoded.get(name) for name in values}
    with vault.data.write() as conn:
        row = conn.execute(
            locked(
                vault.data,
                joined_records().where(records.c.collection == spec.name, records.c.record_id == record_id),
            )
        ).first()
        if row is None:
            raise NotFound(f"record {record_id} not found in {collection!r}")
        key = vault.keys.data_keys([row.key_id])[row.key_id]
        payload = repack(key, spec, record_id, row.key_id, row.payload, changes)
        profile = vault.profiles.for_region(row.region)
        deadline = vault._deadline(spec, profile, unpack(payload), row.created_at, row.expires_at)
        conn.execute(
            sa.update(records)
            .where(records.c.collection == spec.name, records.c.record_id == record_id)
            .values(
                payload=payload, version=row.version + 1, updated_at=vault.clock.now(), expires_at=deadline
            )
        )
        looked_up = [name for name in changes if spec.fields[name].lookup]
        if looked_up:
            conn.execute(
                sa.delete(blind_index).where(
                    blind_index.c.collection == spec.name,
                    blind_index.c.record_id == record_id,
                    blind_index.c.field.in_(looked_up),
                )
            )
            version = _blind.current_version(vault, conn)
            kept = {n: encoded[n] for n in looked_up if n in encoded}
            fresh = _blind.rows(vault, spec, record_id, row.subject_id, kept, version)
            if fresh:
                conn.execute(sa.insert(blind_index), fresh)
        vault.audit.append(
            AuditEntry(
                "vault.update",
                allowed.actor,
                f"collection:{spec.name}",
                purpose=purpose,
                subject=row.subject_id,
                rule=allowed.rule,
                request_id=request_id,
                counts={"fields": len(changes)},
            ),
            conn=conn,
        )


def delete(vault: Vault, collection: str, record_id: str, *, allowed: Allowed) -> None:
    spec = vault.schema.collection(collection)
    check_id("record", record_id)
    with vault.data.write() as conn:
        gone = conn.execute(
            sa.delete(records).where(records.c.collection == spec.name, records.c.record_id == record_id)
        ).rowcount
        if not gone:
            raise NotFound(f"record {record_id} not found in {collection!r}")
        conn.execute(
            sa.delete(blind_index).where(
                blind_index.c.collection == spec.name, blind_index.c.record_id == record_id
            )
        )
        vault.audit.append(
            AuditEntry(
                "vault.delete",
                allowed.actor,
                f"collection:{spec.name}",
                rule=allowed.rule,
                counts={"records": 1},
            ),
            conn=conn,
        )
