"""The vault's reads: records by id, by collection and by blind-index lookup, decrypted for a
purpose, with consent applied and one audit entry per call; and the purpose checks writes share."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.audit import AuditEntry, AuditLog
from veil.crypto import Aead
from veil.errors import ConsentMissing, DecryptionFailed, NotFound, PurposeNotAllowed
from veil.storage import Database
from veil.storage.tables import blind_index, records
from veil.vault import _blind
from veil.vault._consent import ConsentLedger, permits
from veil.vault._guard import Actor, Allowed, Guard
from veil.vault._ids import check_id
from veil.vault._keystore import KeyStore
from veil.vault._profiles import ProfileSet
from veil.vault._records import Record, lookup_field, open_fields
from veil.vault._schema import CollectionSpec, FieldSpec, Purpose, VaultSchema
from veil.vault._subjects import joined_records
from veil.vault._taxonomy import ConsentModel


class VaultReads:
    """Read operations of ``Vault`` (kept apart so that each module stays readable)."""

    data: Database
    schema: VaultSchema
    profiles: ProfileSet
    audit: AuditLog
    guard: Guard
    keys: KeyStore
    consent: ConsentLedger

    def get(self, collection: str, record_id: str, *, purpose: str, actor: Actor) -> Record:
        """One record, with only the fields ``purpose`` may see."""
        found = self.get_many(collection, [record_id], purpose=purpose, actor=actor, strict=True)
        if not found:
            raise NotFound(f"record {record_id} not found in {collection!r}")
        return found[0]

    def get_many(
        self,
        collection: str,
        record_ids: Sequence[str],
        *,
        purpose: str,
        actor: Actor,
        strict: bool = False,
    ) -> list[Record]:
        """Records by id; those whose subject's consent does not cover ``purpose`` are left out
        (``strict``: refused with ``ConsentMissing``)."""
        spec = self.schema.collection(collection)
        wanted = self._serves(spec, purpose)
        ids = [check_id("record", r) for r in record_ids]
        query = joined_records().where(records.c.collection == spec.name, records.c.record_id.in_(ids))
        with self._deciding(actor, "vault.get", "decrypt", spec, wanted) as allowed:
            return self._read(spec, wanted, query, allowed, "vault.get", strict=strict)

    def records(
        self, collection: str, *, purpose: str, actor: Actor, subject_id: str | None = None
    ) -> list[Record]:
        """Every record of a collection (or of one subject) that ``purpose`` may see."""
        spec = self.schema.collection(collection)
        wanted = self._serves(spec, purpose)
        query = joined_records().where(records.c.collection == spec.name)
        if subject_id is not None:
            query = query.where(records.c.subject_id == check_id("subject", subject_id))
        with self._deciding(actor, "vault.list", "decrypt", spec, wanted) as allowed:
            return self._read(
                spec, wanted, query.order_by(records.c.created_at, records.c.record_id), allowed, "vault.list"
            )

    def find(
        self, collection: str, field: str, value: object, *, purpose: str, actor: Actor
    ) -> list[Record]:
        """Records whose ``field`` equals ``value`` exactly, through its blind index (nothing is decrypted
        to search)."""
        spec = self.schema.collection(collection)
        wanted = self._serves(spec, purpose)
        target = lookup_field(spec, field)
        if purpose not in target.purposes:
            raise PurposeNotAllowed(f"purpose {purpose!r} may not look up {collection}.{target.name}")
        encoded = target.encode(spec.name, value)
        with self._deciding(actor, "vault.find", "decrypt", spec, wanted) as allowed:
            return self._find(spec, wanted, target, encoded, allowed)

    def _find(
        self, spec: CollectionSpec, wanted: Purpose, target: FieldSpec, encoded: bytes, allowed: Allowed
    ) -> list[Record]:
        with self.data.read() as conn:
            versions = _blind.live_versions(conn)  # during an epoch's re-index, old and new both hold rows
        digests = _blind.lookup_digests(self.keys, spec, target, encoded, versions)
        matches = sa.select(blind_index.c.record_id).where(
            blind_index.c.collection == spec.name,
            blind_index.c.field == target.name,
            sa.or_(
                sa.false(),
                *(sa.and_(blind_index.c.key_version == v, blind_index.c.digest == d) for v, d in digests),
            ),
        )
        query = joined_records().where(records.c.collection == spec.name, records.c.record_id.in_(matches))
        return self._read(spec, wanted, query, allowed, "vault.find")

    def _read(
        self,
        spec: CollectionSpec,
        purpose: Purpose,
        query: sa.Select[Any],
        allowed: Allowed,
        action: str,
        *,
        strict: bool = False,
    ) -> list[Record]:
        fields = spec.fields_for(purpose.name)
        with self.data.read() as conn:
            rows = conn.execute(query).all()
            consenting = self._consenting(conn, purpose, {(r.subject_id, r.region) for r in rows})
        refused = [r for r in rows if r.subject_id not in consenting]
        if strict and refused:
            raise ConsentMissing(
                f"the subject of record {refused[0].record_id} has no current consent for "
                f"purpose {purpose.name!r}"
            )
        visible = [r for r in rows if r.subject_id in consenting]
        keys, unwrapped = self.keys.open_keys({r.key_id for r in visible})
        if strict and any(r.key_id not in keys for r in visible):
            raise DecryptionFailed()
        result = [self._record(spec, row, keys[row.key_id], fields) for row in visible if row.key_id in keys]
        self.audit.append(
            AuditEntry(
                action,
                allowed.actor,
                f"collection:{spec.name}",
                purpose=purpose.name,
                subject=visible[0].subject_id if len({r.subject_id for r in visible}) == 1 else None,
                rule=allowed.rule,
                counts={
                    "records": len(result),
                    "withheld": len(refused),
                    "unreadable": len(visible) - len(result),
                    "keys_unwrapped": unwrapped,
                },
            )
        )
        return result

    def _consenting(self, conn: Connection, purpose: Purpose, people: set[tuple[str, str]]) -> set[str]:
        models = {
            s: self.profiles.for_region(region).consent_model(purpose.kind, purpose.legal_basis)
            for s, region in people
        }
        standing = self.consent.standing(
            purpose.name, [s for s, m in models.items() if m is not ConsentModel.NONE], conn=conn
        )
        return {s for s, model in models.items() if permits(model, standing.get(s))}

    @staticmethod
    def _record(spec: CollectionSpec, row: Any, key: Aead, fields: Sequence[FieldSpec]) -> Record:
        values = open_fields(key, spec, row.record_id, row.key_id, row.payload, fields)
        return Record(
            spec.name, row.record_id, row.subject_id, values, row.created_at, row.updated_at, row.expires_at
        )

    def _serves(self, spec: CollectionSpec, purpose: str) -> Purpose:
        declared = self.schema.purpose(purpose)
        if purpose not in spec.purposes:
            raise PurposeNotAllowed(f"collection {spec.name!r} does not serve purpose {purpose!r}")
        return declared


    def _deciding(
        self, actor: Actor, operation: str, action: str, spec: CollectionSpec, purpose: Purpose
    ) -> AbstractContextManager[Allowed]:
        """The guard for an operation on the fields ``purpose`` reaches in ``spec`` (their categories)."""
        return self.guard.check(
            actor,
            operation,
            action,
            resource=f"collection:{spec.name}",
            collection=spec.name,
            categories={field.category.value for field in spec.fields_for(purpose.name)},
            purpose=purpose.name,
        )

