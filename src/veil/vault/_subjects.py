"""Subjects as the vault stores them: an opaque id, a region, a key reference and a state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.errors import NotFound
from veil.storage import Database
from veil.storage.tables import records, subjects
from veil.vault._sql import locked

#: Subject ids per ``IN (...)`` list (SQLite caps bound parameters at 32,766).
ID_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Subject:
    subject_id: str
    region: str
    state: str
    key_id: str
    created_at: datetime


def joined_records() -> sa.Select[Any]:
    return sa.select(records, subjects.c.region).join(subjects, subjects.c.subject_id == records.c.subject_id)


def subject_row(conn: Connection, subject_id: str) -> Subject:
    row = conn.execute(sa.select(subjects).where(subjects.c.subject_id == subject_id)).first()
    if row is None:
        raise NotFound(f"subject {subject_id} not found")
    return Subject(row.subject_id, row.region, row.state, row.key_id, row.created_at)


def subject_rows(
    conn: Connection, subject_ids: set[str], *, lock: Database | None = None
) -> dict[str, Subject]:
    """Subjects by id; ``lock``: share-locked on that (PostgreSQL) database until the transaction ends."""
    ordered = sorted(subject_ids)
    found: dict[str, Subject] = {}
    for start in range(0, len(ordered), ID_CHUNK):
        query = sa.select(subjects).where(subjects.c.subject_id.in_(ordered[start : start + ID_CHUNK]))
        rows = conn.execute(locked(lock, query, shared=True) if lock is not None else query)
        found.update(
            {r.subject_id: Subject(r.subject_id, r.region, r.state, r.key_id, r.created_at) for r in rows}
        )
    return found
