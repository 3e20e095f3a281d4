"""The consent ledger: grants and revocations per subject and purpose, history kept.

The latest event at a moment decides; nothing is ever overwritten, so the ledger
answers both "may we, now?" and "what did the subject say, and when?".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock, SystemClock
from veil.audit import AuditEntry, AuditLog
from veil.errors import InvalidInput
from veil.storage import Database
from veil.storage.tables import consent_events
from veil.vault._guard import Actor, Allowed, Guard
from veil.vault._ids import check_id
from veil.vault._schema import VaultSchema
from veil.vault._taxonomy import ConsentModel

MAX_SOURCE = 128


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    subject_id: str
    purpose: str
    granted: bool
    at: datetime
    source: str
    policy_version: str


def permits(model: ConsentModel, standing: bool | None) -> bool:
    """Whether a subject whose latest word is ``standing`` (None: never asked) may be used."""
    if model is ConsentModel.OPT_IN:
        return standing is True
    if model is ConsentModel.OPT_OUT:
        return standing is not False
    return True


class ConsentLedger:
    def __init__(
        self, db: Database, schema: VaultSchema, audit: AuditLog, guard: Guard, *, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.schema = schema
        self.audit = audit
        self.guard = guard
        self.clock = clock or SystemClock()

    def grant(
        self,
        subject_id: str,
        purpose: str,
        *,
        source: str,
        policy_version: str,
        at: datetime | None = None,
        actor: Actor,
    ) -> ConsentEvent:
        return self._record(subject_id, purpose, True, source, policy_version, at, actor)

    def revoke(
        self,
        subject_id: str,
        purpose: str,
        *,
        source: str,
        policy_version: str,
        at: datetime | None = None,
        actor: Actor,
    ) -> ConsentEvent:
        return self._record(subject_id, purpose, False, source, policy_version, at, actor)

    def _record(
        self,
        subject_id: str,
        purpose: str,
        granted: bool,
        source: str,
        policy_version: str,
        at: datetime | None,
        actor: Actor,
    ) -> ConsentEvent:
        """Recording consent is a ``write`` for that purpose (no collection)."""
        check_id("subject", subject_id)
        self.schema.purpose(purpose)
        operation = "consent.grant" if granted else "consent.revoke"
        with self.guard.check(actor, operation, "write", resource=f"subject:{subject_id}", purpose=purpose,
                              subject=subject_id) as allowed:
            return self._store(subject_id, purpose, granted, source, policy_version, at, allowed)

    def _store(
        self,
        subject_id: str,
        purpose: str,
        granted: bool,
        source: str,
        policy_version: str,
        at: datetime | None,
        allowed: Allowed,
    ) -> ConsentEvent:
        for name, value in (("source", source), ("policy_version", policy_version)):
            if not isinstance(value, str) or not value or len(value) > MAX_SOURCE:
                raise InvalidInput(
                    f"consent {name} must be a non-empty string of at most {MAX_SOURCE} characters"
                )
        event = ConsentEvent(subject_id, purpose, granted, at or self.clock.now(), source, policy_version)
        with self.db.write() as conn:
            conn.execute(
                sa.insert(consent_events).values(
                    subject_id=subject_id,
                    purpose=purpose,
                    granted=granted,
                    at=event.at,
                    source=source,
                    policy_version=policy_version,
                )
            )
            self.audit.append(
                AuditEntry(
                    action="consent.grant" if granted else "consent.revoke",
                    actor=allowed.actor,
                    resource=f"subject:{subject_id}",
                    purpose=purpose,
                    subject=subject_id,
                    rule=allowed.rule,
                ),
                conn=conn,
            )
        return event

    def history(self, subject_id: str, *, conn: Connection | None = None) -> list[ConsentEvent]:
        check_id("subject", subject_id)
        query = (
            sa.select(consent_events)
            .where(consent_events.c.subject_id == subject_id)
            .order_by(consent_events.c.at, consent_events.c.event_id)
        )
        if conn is None:
            with self.db.read() as own:
                rows = own.execute(query).mappings().all()
        else:
            rows = conn.execute(query).mappings().all()
        return [
            ConsentEvent(
                r["subject_id"], r["purpose"], r["granted"], r["at"], r["source"], r["policy_version"]
            )
            for r in rows
        ]

    def standing(
        self,
        purpose: str,
        subject_ids: Iterable[str],
        *,
        at: datetime | None = None,
        conn: Connection | None = None,
    ) -> dict[str, bool]:
        """The latest word of each subject on ``purpose`` at ``at`` (subjects never asked are absent)."""
        wanted = list(set(subject_ids))
        moment = at or self.clock.now()
        found: dict[str, bool] = {}
        for start in range(0, len(wanted), 900):  # SQLite caps bound parameters per statement
            query = (
                sa.select(consent_events.c.subject_id, consent_events.c.granted)
                .where(
                    consent_events.c.purpose == purpose,
                    consent_events.c.at <= moment,
                    consent_events.c.subject_id.in_(wanted[start : start + 900]),
                )
                .order_by(consent_events.c.at, consent_events.c.event_id)
            )
            if conn is None:
                with self.db.read() as own:
                    rows = own.execute(query).all()
            else:
                rows = conn.execute(query).all()
            found.update({subject: granted for subject, granted in rows})  # later events overwrite
        return found
