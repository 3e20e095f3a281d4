"""Append and query metadata-only audit entries (time, actor, action, resource, purpose, counts)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock, SystemClock
from veil.errors import InvalidInput
from veil.storage import Database
from veil.storage.tables import audit_entries

DECISIONS = frozenset({"allow", "deny", "error"})
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened, never to what values: ids, names and counts only."""

    action: str
    actor: str
    resource: str
    decision: str = "allow"
    purpose: str | None = None
    request_id: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    at: datetime | None = None
    seq: int | None = None

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise InvalidInput(f"audit decision must be one of {sorted(DECISIONS)}")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in self.counts.values()):
            raise InvalidInput("audit counts must be integers")


class AuditLog:
    """The append-only audit table of one data database."""

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    def append(self, entry: AuditEntry, *, conn: Connection | None = None) -> int:
        """Store ``entry`` (inside ``conn``'s transaction when given) and return its sequence number."""
        row = {
            "at": entry.at or self.clock.now(),
            "actor": entry.actor,
            "action": entry.action,
            "resource": entry.resource,
            "purpose": entry.purpose,
            "decision": entry.decision,
            "request_id": entry.request_id,
            "counts": json.dumps(dict(entry.counts), sort_keys=True),
        }
        if conn is not None:
            return _insert(conn, row)
        with self.db.write() as own:
            return _insert(own, row)

    def entries(
        self,
        *,
        action: str | None = None,
        actor: str | None = None,
        resource: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries in order, filtered, one page at a time (``after``: the last ``seq`` seen)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
        query = sa.select(audit_entries).where(audit_entries.c.seq > after)
        for column, wanted in (("action", action), ("actor", actor), ("resource", resource)):
            if wanted is not None:
                query = query.where(audit_entries.c[column] == wanted)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(audit_entries.c.seq).limit(limit)).mappings().all()
        return [_entry(row) for row in rows]


def _insert(conn: Connection, row: dict[str, object]) -> int:
    result = conn.execute(sa.insert(audit_entries).values(**row).returning(audit_entries.c.seq))
    return int(result.scalar_one())


def _entry(row: sa.RowMapping) -> AuditEntry:
    return AuditEntry(
        action=str(row["action"]),
        actor=str(row["actor"]),
        resource=str(row["resource"]),
        decision=str(row["decision"]),
        purpose=row["purpose"],
        request_id=row["request_id"],
        counts=json.loads(str(row["counts"])),
        at=row["at"],
        seq=int(row["seq"]),
    )
