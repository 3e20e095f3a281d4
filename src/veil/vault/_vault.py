"""The vault: personal data stored sealed, per subject, for declared purposes only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock, SystemClock
from veil.access import Policy, TokenStore
from veil.audit import AuditEntry, AuditLog
from veil.audit._log import DEFAULT_ORIGIN
from veil.crypto import KeyProvider
from veil.errors import (
    ConsentMissing,
    IntegrityError,
    InvalidInput,
    NotFound,
    ResidencyViolation,
)
from veil.storage import Database
from veil.storage.tables import blind_index, records, subjects
from veil.vault import _artifacts, _blind, _changes, _lifecycle
from veil.vault._admin import VaultAdmin
from veil.vault._artifacts import Artifact
from veil.vault._consent import ConsentLedger, permits
from veil.vault._derived import DerivedStore
from veil.vault._guard import Actor, Allowed, Guard
from veil.vault._ids import check_id, new_key_id, new_record_id
from veil.vault._keystore import KeyStore
from veil.vault._lifecycle import Dataset, Erasure, SubjectData, SweepReport
from veil.vault._payload import pack
from veil.vault._profiles import ProfileSet, RegulationProfile, region_code
from veil.vault._reads import VaultReads
from veil.vault._records import (
    encode_fields,
    seal_fields,
)
from veil.vault._schema import CollectionSpec, Purpose, VaultSchema
from veil.vault._sql import insert_ignoring_conflicts
from veil.vault._subjects import Subject, subject_row, subject_rows
from veil.vault._taxonomy import ConsentModel

#: Records written per transaction by ``put_many``.
WRITE_BATCH = 1000


class Vault(VaultReads, VaultAdmin):
    """Sealed records per subject: access, minimization, consent, residency and retention on every call.

    ``data`` and ``keys`` are two databases: backups of the data never hold the keys. Every call
    names its ``actor`` (a principal of ``policy``, or a token of one) and is decided by ``policy``
    first: without a policy, everything is denied.
    """

    def __init__(
        self,
        data: Database,
        keys: Database,
        provider: KeyProvider,
        schema: VaultSchema,
        *,
        profiles: ProfileSet,
        location: str,
        regions: Iterable[str] | None = None,
        clock: Clock | None = None,
        derived: Iterable[DerivedStore] = (),
        key_cache_ttl: timedelta = timedelta(seconds=60),
        policy: Policy | None = None,
        audit_origin: str = DEFAULT_ORIGIN,
        head_every: timedelta | None = None,
    ) -> None:
        self.data = data
        self.schema = schema
        self.profiles = profiles
        self.location = location
        self.regions = frozenset(region_code(r) for r in regions) if regions is not None else None
        self.clock = clock or SystemClock()
        self.audit = AuditLog(
            data, clock=self.clock, signer=provider.signer(), origin=audit_origin, head_every=head_every
        )
        self.policy = policy or Policy.deny_all()
        self.guard = Guard(self.policy, self.audit, self.clock, region=location)
        self.keys = KeyStore(keys, provider, clock=self.clock, cache_ttl=key_cache_ttl)
        self.consent = ConsentLedger(data, schema, self.audit, self.guard, clock=self.clock)
        self.derived_stores: dict[str, DerivedStore] = {}
        self._tokens: TokenStore | None = None
        for store in derived:
            self.register_derived_store(store)

    def close(self) -> None:
        """Flush the audit log's queue and release both databases."""
        self.audit.close()
        self.data.dispose()
        self.keys.db.dispose()

    def register_derived_store(self, store: DerivedStore) -> None:
        """An embedding index, cache or feature store that erasure must reach."""
        if store.name in self.derived_stores:
            raise InvalidInput(f"a derived store named {store.name!r} is already registered")
        self.derived_stores[store.name] = store

    # -- subjects ----------------------------------------------------------------------

    def add_subject(
        self,
        subject_id: str,
        region: str,
        *,
        actor: Actor,
        purpose: str | None = None,
        collection: str | None = None,
    ) -> Subject:
        """Register a subject (idempotent) unless this store may not hold its region's data: a ``write``
        for ``purpose`` in ``collection`` (``put(region=...)`` passes its own)."""
        check_id("subject", subject_id)
        with self.guard.check(
            actor, "subject.add", "write", resource=f"subject:{subject_id}", collection=collection,
            purpose=purpose, subject=subject_id,
        ) as allowed:  # fmt: skip
            return self._add_subject(subject_id, region, allowed)

    def _add_subject(self, subject_id: str, region: str, allowed: Allowed) -> Subject:
        region = region_code(region)
        self.profile_for(region)
        with self.data.write() as conn:
            conn.execute(
                insert_ignoring_conflicts(self.data, subjects),
                [
                    {
                        "subject_id": subject_id,
                        "region": region,
                        "key_id": new_key_id(),
                        "state": "active",
                        "created_at": self.clock.now(),
                    }
                ],
            )
            subject = subject_row(conn, subject_id)
            if subject.region != region:
                raise InvalidInput(f"subject {subject_id} is registered in another region")
            self.audit.append(
                AuditEntry(
                    "subject.add",
                    allowed.actor,
                    f"subject:{subject_id}",
                    subject=subject_id,
                    rule=allowed.rule,
                ),
                conn=conn,
            )
        self.keys.data_keys([subject.key_id], create=True)
        return subject

    def subject(self, subject_id: str, *, actor: Actor) -> Subject:
        """A subject's registration (region, state): a ``read``, no field is opened."""
        check_id("subject", subject_id)
        with self.guard.check(actor, "subject.get", "read", resource=f"subject:{subject_id}",
                              subject=subject_id), self.data.read() as conn:
            return subject_row(conn, subject_id)

    def owner(self, collection: str, record_id: str, *, actor: Actor) -> str:
        """The subject a record belongs to (NotFound if there is no such record): a ``read``."""
        spec = self.schema.collection(collection)
        check_id("record", record_id)
        with self.guard.check(actor, "record.owner", "read", resource=f"record:{record_id}",
                              collection=spec.name):
            return self._owner(spec, record_id)

    def _owner(self, spec: CollectionSpec, record_id: str) -> str:
        with self.data.read() as conn:
            owner = conn.execute(
                sa.select(records.c.subject_id).where(
                    records.c.collection == spec.name, records.c.record_id == record_id
                )
            ).scalar()
        if owner is None:
            raise NotFound(f"record {record_id} not found in {spec.name!r}")
        return str(owner)

    def profile_for(self, region: object) -> RegulationProfile:
        """The regulation profile of a subject region, after the residency checks of this store."""
        region = region_code(region)
        profile = self.profiles.for_region(region)
        if self.regions is not None and region not in self.regions:
            raise ResidencyViolation(f"this store ({self.location}) does not hold data of region {region}")
        if not profile.allows_store_location(self.location):
            raise ResidencyViolation(
                f"{profile.name} does not allow data of region {region} in a store located in {self.location}"
            )
        return profile

    # -- writes ------------------------------------------------------------------------

    def put(
        self,
        collection: str,
        subject_id: str,
        values: Mapping[str, object],
        *,
        purpose: str,
        actor: Actor,
        region: str | None = None,
    ) -> str:
        """Store one record and return its id; ``region`` registers a new subject on the way."""
        if region is not None:
            self.add_subject(subject_id, region, actor=actor, purpose=purpose, collection=collection)
        return self.put_many(collection, [(subject_id, values)], purpose=purpose, actor=actor)[0]

    def put_many(
        self,
        collection: str,
        rows: Iterable[tuple[str, Mapping[str, object]]],
        *,
        purpose: str,
        actor: Actor,
    ) -> list[str]:
        """Store records in transactions of ``WRITE_BATCH``: each batch is stored whole or not at all."""
        spec = self.schema.collection(collection)
        wanted = self._serves(spec, purpose)
        with self._deciding(actor, "vault.put", "write", spec, wanted) as allowed:
            ids: list[str] = []
            batch: list[tuple[str, dict[str, bytes]]] = []
            for subject_id, values in rows:
                batch.append((check_id("subject", subject_id), encode_fields(spec, values, purpose=purpose)))
                if len(batch) == WRITE_BATCH:
                    ids += self._write(spec, wanted, batch, allowed)
                    batch = []
            if batch:
                ids += self._write(spec, wanted, batch, allowed)
            return ids

    def _write(
        self,
        spec: CollectionSpec,
        purpose: Purpose,
        batch: list[tuple[str, dict[str, bytes]]],
        allowed: Allowed,
    ) -> list[str]:
        now = self.clock.now()
        rows: list[dict[str, Any]] = []
        digests: list[dict[str, Any]] = []
        deadlines: dict[tuple[str, tuple[str, ...]], datetime | None] = {}
        with self.data.write() as conn:  # subjects share-locked from check to insert: no erasure slips in
            people = self._writable_subjects(conn, {s for s, _ in batch}, purpose, lock=True)
            keys, unwrapped = self.keys.open_keys({p.key_id for p, _ in people.values()}, create=True)
            if len(keys) < len(people):
                raise IntegrityError("a subject's data key is missing: the subject was erased meanwhile")
            version = _blind.current_version(self, conn)
            for subject_id, encoded in batch:
                subject, profile = people[subject_id]
                record_id = new_record_id()
                sealed = seal_fields(keys[subject.key_id], spec.name, record_id, subject.key_id, encoded)
                shape = (profile.id, tuple(encoded))
                if shape not in deadlines:
                    deadlines[shape] = self._deadline(spec, profile, encoded, now, None)
                rows.append(
                    {
                        "collection": spec.name,
                        "record_id": record_id,
                        "subject_id": subject_id,
                        "key_id": subject.key_id,
                        "payload": pack(sealed),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "expires_at": deadlines[shape],
                    }
                )
                digests += _blind.rows(self, spec, record_id, subject_id, encoded, version)
            conn.execute(sa.insert(records), rows)
            if digests:
                conn.execute(sa.insert(blind_index), digests)
            self.audit.append(
                AuditEntry(
                    "vault.put",
                    allowed.actor,
                    f"collection:{spec.name}",
                    purpose=purpose.name,
                    subject=batch[0][0] if len(people) == 1 else None,
                    rule=allowed.rule,
                    counts={"records": len(rows), "subjects": len(people), "keys_unwrapped": unwrapped},
                ),
                conn=conn,
            )
        return [row["record_id"] for row in rows]

    def _writable_subjects(
        self, conn: Connection, subject_ids: set[str], purpose: Purpose, *, lock: bool = False
    ) -> dict[str, tuple[Subject, RegulationProfile]]:
        """Registered, active subjects this store may hold, whose consent covers ``purpose``."""
        found = subject_rows(conn, subject_ids, lock=self.data if lock else None)
        if len(found) != len(subject_ids):
            raise NotFound(
                f"{len(subject_ids) - len(found)} subject(s) are not registered: add_subject first"
            )
        if any(subject.state != "active" for subject in found.values()):
            raise IntegrityError("a subject is being erased; nothing was stored")
        profiles = {s.subject_id: self.profile_for(s.region) for s in found.values()}
        models = {s: p.consent_model(purpose.kind, purpose.legal_basis) for s, p in profiles.items()}
        asked = [s for s, model in models.items() if model is not ConsentModel.NONE]
        standing = self.consent.standing(purpose.name, asked, conn=conn) if asked else {}
        for subject_id, model in models.items():
            if not permits(model, standing.get(subject_id)):
                raise ConsentMissing(
                    f"subject {subject_id} has no current consent for purpose "
                    f"{purpose.name!r} under {profiles[subject_id].name}"
                )
        return {s: (found[s], profiles[s]) for s in found}

    def _deadline(
        self,
        spec: CollectionSpec,
        profile: RegulationProfile,
        fields: Iterable[str],
        created: datetime,
        current: datetime | None,
    ) -> datetime | None:
        """The tightest of the collection's retention and the profile's caps for the fields present;
        a change never extends the deadline a record already has."""
        limits = [spec.retention, *(profile.retention_cap(spec.fields[name].category) for name in fields)]
        known = [created + limit for limit in limits if limit is not None]
        if current is not None:
            known.append(current)
        return min(known) if known else None

    # -- changes -----------------------------------------------------------------------

    def update(
        self,
        collection: str,
        record_id: str,
        values: Mapping[str, object],
        *,
        purpose: str,
        actor: Actor,
        request_id: str | None = None,
    ) -> None:
        """Change some fields of a record (``None`` removes one); only fields ``purpose`` may see."""
        spec = self.schema.collection(collection)
        wanted = self._serves(spec, purpose)
        if not isinstance(values, Mapping):
            raise InvalidInput("values must be a mapping of field names to values")
        encoded = encode_fields(spec, values, partial=True, purpose=purpose)
        check_id("record", record_id)
        with self._deciding(actor, "vault.update", "write", spec, wanted) as allowed:
            # the same residency and consent checks as a new write, for the record's subject
            with self.data.read() as conn:
                self._writable_subjects(conn, {self._owner(spec, record_id)}, wanted)
            _changes.rewrite(
                self, collection, record_id, values, allowed=allowed, request_id=request_id,
                purpose=purpose, encoded=encoded,
            )  # fmt: skip

    def rewrite(
        self,
        collection: str,
        record_id: str,
        values: Mapping[str, object],
        *,
        actor: Actor,
        request_id: str | None,
    ) -> None:
        """Reseal fields under a row lock and refresh their blind indexes, for rectification: a ``write``
        with no purpose (any field may need correcting), which only grants for every purpose allow."""
        spec = self.schema.collection(collection)
        check_id("record", record_id)  # before it names the audit entry's resource
        with self.guard.check(
            actor, "vault.rectify", "write", resource=f"record:{record_id}", collection=spec.name,
            categories={f.category.value for f in spec.fields.values()}, request_id=request_id,
        ) as allowed:  # fmt: skip
            _changes.rewrite(self, collection, record_id, values, allowed=allowed, request_id=request_id)

    def delete(self, collection: str, record_id: str, *, actor: Actor) -> None:
        """Remove one record and its blind-index rows: an ``erase`` in its collection."""
        spec = self.schema.collection(collection)
        check_id("record", record_id)
        with self.guard.check(
            actor, "vault.delete", "erase", resource=f"record:{record_id}", collection=spec.name,
            categories={f.category.value for f in spec.fields.values()},
        ) as allowed:  # fmt: skip
            _changes.delete(self, collection, record_id, allowed=allowed)

    # -- lifecycle (see _lifecycle) --------------------------------------------------

    def sweep_expired(self, *, actor: Actor, now: datetime | None = None) -> SweepReport:
        """Remove every record past its retention deadline (one audit entry with the counts): an
        ``erase`` over every collection."""
        with self.guard.check(actor, "retention.sweep", "erase", resource="vault") as allowed:
            return _lifecycle.sweep(self, allowed=allowed, now=now)

    def erase_subject(self, subject_id: str, *, actor: Actor, request_id: str | None = None) -> Erasure:
        """Crypto-shred a subject and remove it from every table and registered derived store."""
        check_id("subject", subject_id)
        with self.guard.check(
            actor, "subject.erase", "erase", resource=f"subject:{subject_id}", subject=subject_id,
            request_id=request_id,
        ) as allowed:  # fmt: skip
            return _lifecycle.erase(self, subject_id, allowed=allowed, request_id=request_id)

    def subject_data(self, subject_id: str, *, actor: Actor, request_id: str | None = None) -> SubjectData:
        """Everything held about one subject, every field decrypted (access and portability requests):
        an ``export`` with no purpose."""
        check_id("subject", subject_id)
        with self.guard.check(
            actor, "subject.export", "export", resource=f"subject:{subject_id}", subject=subject_id,
            request_id=request_id,
        ) as allowed:  # fmt: skip
            return _lifecycle.subject_data(self, subject_id, allowed=allowed, request_id=request_id)

    def export_dataset(self, collection: str, *, purpose: str, name: str, actor: Actor) -> Dataset:
        """The records ``purpose`` may use now (consent applied), registered as a dataset version."""
        spec = self.schema.collection(collection)
        wanted = self._serves(spec, purpose)
        with self._deciding(actor, "dataset.export", "export", spec, wanted) as allowed:
            return _lifecycle.export_dataset(self, spec, wanted, name=name, allowed=allowed)

    def register_artifact(
        self,
        *,
        kind: str,
        name: str,
        subject_ids: list[str],
        actor: Actor,
        purpose: str | None = None,
        content_hash: str | None = None,
        parent_id: str | None = None,
    ) -> str:
        """A dataset or model made from these subjects' data: erasing one of them taints it."""
        with self.guard.check(actor, "artifact.register", "write", resource="artifacts",
                              purpose=purpose) as allowed:
            return _lifecycle.register_artifact(
                self, kind=kind, name=name, subject_ids=subject_ids, allowed=allowed, purpose=purpose,
                content_hash=content_hash, parent_id=parent_id,
            )  # fmt: skip

    def artifacts(self, *, actor: Actor, tainted: bool | None = None) -> list[Artifact]:
        with self.guard.check(actor, "artifact.list", "read", resource="artifacts") as allowed:
            with self.data.read() as conn:
                found = _artifacts.listing(conn, tainted=tainted)
            self.audit.append(AuditEntry("artifact.list", allowed.actor, "artifacts", rule=allowed.rule,
                                         counts={"artifacts": len(found)}))
            return found
