"""Derived datasets and models: which subjects they were made from, and which erasures taint them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.errors import InvalidInput, NotFound
from veil.storage.tables import artifact_subjects, artifacts
from veil.vault._ids import check_id

KINDS = frozenset({"dataset", "model"})
_LINK_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Artifact:
    artifact_id: str
    kind: str
    name: str
    purpose: str | None
    content_hash: str | None
    parent_id: str | None
    created_at: datetime
    tainted_at: datetime | None
    erased_subjects: int

    @property
    def tainted(self) -> bool:
        return self.tainted_at is not None


def register(
    conn: Connection,
    *,
    kind: str,
    name: str,
    subject_ids: Iterable[str],
    created_at: datetime,
    purpose: str | None = None,
    content_hash: str | None = None,
    parent_id: str | None = None,
) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"artifact kind must be one of {sorted(KINDS)}")
    if not isinstance(name, str) or not 1 <= len(name) <= 128:
        raise InvalidInput("artifact name must be 1-128 characters")
    artifact_id = uuid.uuid4().hex
    conn.execute(
        sa.insert(artifacts).values(
            artifact_id=artifact_id,
            kind=kind,
            name=name,
            purpose=purpose,
            content_hash=content_hash,
            parent_id=parent_id,
            created_at=created_at,
            tainted_at=None,
            erased_subjects=0,
        )
    )
    links = [
        {"artifact_id": artifact_id, "subject_id": check_id("subject", s)} for s in sorted(set(subject_ids))
    ]
    for start in range(0, len(links), _LINK_BATCH):
        conn.execute(sa.insert(artifact_subjects), links[start : start + _LINK_BATCH])
    return artifact_id


def of_subject(conn: Connection, subject_id: str) -> list[Artifact]:
    query = sa.select(artifacts).join(
        artifact_subjects, artifact_subjects.c.artifact_id == artifacts.c.artifact_id
    )
    rows = conn.execute(
        query.where(artifact_subjects.c.subject_id == subject_id).order_by(artifacts.c.created_at)
    ).all()
    return [_artifact(r) for r in rows]


def taint(conn: Connection, subject_id: str, at: datetime) -> list[str]:
    """Mark every artifact made from ``subject_id`` as tainted; the link itself is erased too."""
    ids = [a.artifact_id for a in of_subject(conn, subject_id)]
    if ids:
        conn.execute(
            sa.update(artifacts)
            .where(artifacts.c.artifact_id.in_(ids))
            .values(
                tainted_at=sa.func.coalesce(artifacts.c.tainted_at, at),
                erased_subjects=artifacts.c.erased_subjects + 1,
            )
        )
        conn.execute(sa.delete(artifact_subjects).where(artifact_subjects.c.subject_id == subject_id))
    return ids


def listing(conn: Connection, *, tainted: bool | None = None) -> list[Artifact]:
    query = sa.select(artifacts).order_by(artifacts.c.created_at)
    if tainted is not None:
        query = query.where(
            artifacts.c.tainted_at.is_not(None) if tainted else artifacts.c.tainted_at.is_(None)
        )
    return [_artifact(r) for r in conn.execute(query).all()]


def one(conn: Connection, artifact_id: str) -> Artifact:
    row = conn.execute(sa.select(artifacts).where(artifacts.c.artifact_id == artifact_id)).first()
    if row is None:
        raise NotFound(f"artifact {artifact_id} not found")
    return _artifact(row)


def _artifact(row: sa.Row[tuple[object, ...]]) -> Artifact:
    m = row._mapping
    return Artifact(
        m["artifact_id"],
        m["kind"],
        m["name"],
        m["purpose"],
        m["content_hash"],
        m["parent_id"],
        m["created_at"],
        m["tainted_at"],
        m["erased_subjects"],
    )
