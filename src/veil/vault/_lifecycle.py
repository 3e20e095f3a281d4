"""The ends of a record's life: retention sweeps, erasure by crypto-shredding, and exports."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from veil.audit import AuditEntry
from veil.errors import NotFound
from veil.storage.tables import blind_index, consent_events, records, subjects
from veil.vault import _artifacts
from veil.vault._consent import ConsentEvent
from veil.vault._ids import check_id
from veil.vault._records import Record
from veil.vault._schema import CollectionSpec, Purpose
from veil.vault._sql import locked
from veil.vault._subjects import joined_records, subject_row

if TYPE_CHECKING:
    from veil.vault._guard import Allowed
    from veil.vault._vault import Vault

#: Expired records removed per transaction by a sweep.
SWEEP_BATCH = 5000


@dataclass(frozen=True)
class SweepReport:
    removed: dict[str, int]
    at: datetime

    @property
    def total(self) -> int:
        return sum(self.removed.values())


@dataclass(frozen=True)
class Erasure:
    """What one erasure removed; the receipt of a data subject request is built from it."""

    subject_id: str
    erased_at: datetime
    key_destroyed: bool
    destroyed_in_epoch: int
    records: dict[str, int]
    blind_index_entries: int
    consent_events: int
    derived: dict[str, int]
    tainted_artifacts: list[str]
    audit_seq: int

    @property
    def backups_unreadable_after_epoch(self) -> int:
        """Once this epoch completes, no key-store backup can open the subject's data."""
        return self.destroyed_in_epoch + 1


@dataclass(frozen=True)
class SubjectData:
    """Everything held about one subject (an access or portability request)."""

    subject_id: str
    region: str
    records: dict[str, list[Record]]
    consent: list[ConsentEvent]
    artifacts: list[_artifacts.Artifact]
    derived: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Dataset:
    artifact_id: str
    records: list[Record]
    content_hash: str


def sweep(vault: Vault, *, allowed: Allowed, now: datetime | None = None) -> SweepReport:
    """Delete every record past its retention deadline; one audit entry with the counts."""
    moment = now or vault.clock.now()
    removed: Counter[str] = Counter()
    while True:
        with vault.data.write() as conn:
            expired = conn.execute(
                locked(
                    vault.data,
                    sa.select(records.c.collection, records.c.record_id)
                    .where(records.c.expires_at <= moment)
                    .limit(SWEEP_BATCH),
                )
            ).all()
            if not expired:
                break
            for collection in {row.collection for row in expired}:
                ids = [row.record_id for row in expired if row.collection == collection]
                conn.execute(
                    sa.delete(records).where(records.c.collection == collection, records.c.record_id.in_(ids))
                )
                conn.execute(
                    sa.delete(blind_index).where(
                        blind_index.c.collection == collection, blind_index.c.record_id.in_(ids)
                    )
                )
                removed[collection] += len(ids)
    vault.audit.append(
        AuditEntry(
            "retention.sweep",
            allowed.actor,
            "vault",
            rule=allowed.rule,
            counts={
                "records": sum(removed.values()),
                **{f"records.{c}": n for c, n in sorted(removed.items())},
            },
        )
    )
    return SweepReport(dict(removed), moment)


def erase(vault: Vault, subject_id: str, *, allowed: Allowed, request_id: str | None) -> Erasure:
    """Crypto-shred the subject's key, then delete its rows, blind indexes, links and derived copies.

    Resumable: a crash after the key is gone leaves the subject marked ``erasing`` and
    unreadable, and running the erasure again completes it.
    """
    check_id("subject", subject_id)
    with vault.data.write() as conn:
        row = conn.execute(
            locked(vault.data, sa.select(subjects.c.key_id).where(subjects.c.subject_id == subject_id))
        ).first()
        if row is not None:
            conn.execute(
                sa.update(subjects).where(subjects.c.subject_id == subject_id).values(state="erasing")
            )
    epoch = vault.keys.current_epoch()
    destroyed = row is not None
    if row is not None:
        epoch = vault.keys.destroy(row.key_id)
    derived = {name: store.erase_subject(subject_id) for name, store in vault.derived_stores.items()}
    now = vault.clock.now()
    with vault.data.write() as conn:
        counts: dict[str, int] = dict(
            conn.execute(
                sa.select(records.c.collection, sa.func.count())
                .where(records.c.subject_id == subject_id)
                .group_by(records.c.collection)
            ).all()
        )
        conn.execute(sa.delete(records).where(records.c.subject_id == subject_id))
        indexed = conn.execute(sa.delete(blind_index).where(blind_index.c.subject_id == subject_id)).rowcount
        consents = conn.execute(
            sa.delete(consent_events).where(consent_events.c.subject_id == subject_id)
        ).rowcount
        tainted = _artifacts.taint(conn, subject_id, now)
        conn.execute(sa.delete(subjects).where(subjects.c.subject_id == subject_id))
        seq = vault.audit.append(
            AuditEntry(
                "subject.erase",
                allowed.actor,
                f"subject:{subject_id}",
                subject=subject_id,
                rule=allowed.rule,
                request_id=request_id,
                counts={
                    "records": sum(counts.values()),
                    "blind_index": indexed,
                    "consent_events": consents,
                    "tainted": len(tainted),
                    "derived": sum(derived.values()),
                    "keys_destroyed": int(destroyed),
                },
            ),
            conn=conn,
        )
    return Erasure(
        subject_id,
        now,
        destroyed,
        epoch,
        {str(c): int(n) for c, n in counts.items()},
        indexed,
        consents,
        derived,
        tainted,
        seq,
    )


def subject_data(
    vault: Vault, subject_id: str, *, allowed: Allowed, request_id: str | None
) -> SubjectData:
    """Every field of every record of one subject, its consent history and what was derived from it."""
    by_collection: dict[str, list[Record]] = {}
    with vault.data.read() as conn:
        subject = subject_row(conn, subject_id)
        rows = conn.execute(
            sa.select(records)
            .where(records.c.subject_id == subject_id)
            .order_by(records.c.collection, records.c.created_at, records.c.record_id)
        ).all()
        consent = vault.consent.history(subject_id, conn=conn)
        derived_from = _artifacts.of_subject(conn, subject_id)
    key = vault.keys.data_keys([subject.key_id])[subject.key_id]
    for row in rows:
        spec = vault.schema.collections.get(row.collection)
        if spec is None:  # a collection dropped from the configuration: its records are still the subject's
            raise NotFound(f"collection {row.collection!r} holds records of this subject but is not declared")
        by_collection.setdefault(spec.name, []).append(
            vault._record(spec, row, key, list(spec.fields.values()))
        )
    derived = {name: store.count_subject(subject_id) for name, store in vault.derived_stores.items()}
    vault.audit.append(
        AuditEntry(
            "subject.export",
            allowed.actor,
            f"subject:{subject_id}",
            subject=subject_id,
            rule=allowed.rule,
            request_id=request_id,
            counts={"records": len(rows), "consent_events": len(consent)},
        )
    )
    return SubjectData(subject_id, subject.region, by_collection, consent, derived_from, derived)


def export_dataset(
    vault: Vault, spec: CollectionSpec, purpose: Purpose, *, name: str, allowed: Allowed
) -> Dataset:
    """The records ``purpose`` may use now, registered as a dataset version so erasures can find it."""
    query = joined_records().where(records.c.collection == spec.name)
    found = vault._read(
        spec, purpose, query.order_by(records.c.created_at, records.c.record_id), allowed, "dataset.read"
    )
    digest = hashlib.sha256()
    for record in found:
        digest.update(record.record_id.encode() + b"\x00")
    content_hash = digest.hexdigest()
    with vault.data.write() as conn:
        artifact_id = _artifacts.register(
            conn,
            kind="dataset",
            name=name,
            subject_ids=[r.subject_id for r in found],
            created_at=vault.clock.now(),
            purpose=purpose.name,
            content_hash=content_hash,
        )
        vault.audit.append(
            AuditEntry(
                "dataset.export",
                allowed.actor,
                f"artifact:{artifact_id}",
                purpose=purpose.name,
                rule=allowed.rule,
                counts={"records": len(found)},
            ),
            conn=conn,
        )
    return Dataset(artifact_id, found, content_hash)


def register_artifact(
    vault: Vault, *, kind: str, name: str, subject_ids: list[str], allowed: Allowed, **details: Any
) -> str:
    with vault.data.write() as conn:
        artifact_id = _artifacts.register(
            conn,
            kind=kind,
            name=name,
            subject_ids=subject_ids,
            created_at=vault.clock.now(),
            **details,
        )
        vault.audit.append(
            AuditEntry(
                "artifact.register",
                allowed.actor,
                f"artifact:{artifact_id}",
                purpose=details.get("purpose"),
                rule=allowed.rule,
                counts={"subjects": len(set(subject_ids))},
            ),
            conn=conn,
        )
    return artifact_id
