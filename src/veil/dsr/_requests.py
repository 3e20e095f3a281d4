"""Data subject requests: each one's deadline from its regulation profile, its state, and its answer.

A request is opened, maybe extended once, and then answered (export, erase, rectify) or
rejected with a short reason code. Every answer is a signed ``Receipt`` stored in the
request row; every state change is an audit entry with ids only.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock
from veil.access import Token
from veil.audit import AuditEntry
from veil.dsr import _bundle
from veil.dsr._receipts import RECEIPT_FORMAT, Receipt, canonical, sign_receipt
from veil.errors import (
    ConfigError,
    IntegrityError,
    InvalidInput,
    NotFound,
)
from veil.storage.tables import requests
from veil.vault import Actor, Erasure, RegulationProfile, RequestKind, Vault

STATUSES = frozenset({"open", "extended", "completed", "rejected"})
LIVE = ("open", "extended")  # the statuses a request can still be acted on in
REJECTION_REASONS = frozenset({"identity_not_verified", "manifestly_unfounded", "excessive", "legal_hold"})
_REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAX_ACTOR = 128
_MAX_REGION = 16


@dataclass(frozen=True)
class DsrRequest:
    """One data subject request as stored; ``receipt`` is the signed answer once there is one."""

    request_id: str
    subject_id: str
    kind: RequestKind
    status: str  # "open" | "extended" | "completed" | "rejected"
    profile: str
    received_at: datetime
    deadline: datetime
    extended: bool
    completed_at: datetime | None
    receipt: dict[str, Any] | None = field(hash=False)  # a dict is not hashable

    def overdue(self, now: datetime) -> bool:
        """Still unanswered after its deadline."""
        return self.status in LIVE and now > self.deadline


class DataSubjectRequests:
    """Open, track and answer data subject requests against one vault."""

    def __init__(self, vault: Vault, *, clock: Clock | None = None) -> None:
        self.vault = vault
        self.clock = clock or vault.clock

    # -- tracking ----------------------------------------------------------------------

    def open(self, subject_id: str, kind: RequestKind | str, *, region: str | None = None,
             received_at: datetime | None = None, actor: Actor) -> DsrRequest:
        """Record a request; its deadline comes from the subject's regulation profile.

        ``region`` is needed (and used) only when the subject is not registered.
        """
        wanted, who = _kind(kind), self._caller(actor)
        with self.vault.guard.check(who, "dsr.open", "write", resource="requests"):
            return self._open(subject_id, wanted, region, received_at, who)

    def _open(self, subject_id: str, wanted: RequestKind, region: str | None, received_at: datetime | None,
              who: str) -> DsrRequest:
        profile = self.vault.profiles.for_region(self._region(subject_id, region, who))
        now = self.clock.now()
        received = received_at or now
        deadline = profile.request_deadline(received)  # refuses a naive datetime
        if received > now:
            raise InvalidInput("received_at must not lie in the future")
        request_id = str(uuid.uuid4())
        row: dict[str, Any] = {
            "request_id": request_id, "subject_id": subject_id, "kind": wanted.value, "status": "open",
            "profile": profile.id, "received_at": received.astimezone(UTC), "deadline": deadline,
            "extended": False, "completed_at": None, "receipt": None}
        with self.vault.data.write() as conn:
            conn.execute(sa.insert(requests).values(**row))
            self._audit(conn, "dsr.open", who, request_id)
        return _request(row)

    def get(self, request_id: str) -> DsrRequest:
        if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
            raise InvalidInput("request id must be a lower-case UUID")
        with self.vault.data.read() as conn:
            query = sa.select(requests).where(requests.c.request_id == request_id)
            row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFound(f"request {request_id} not found")
        return _request(row)

    def list(self, *, status: str | None = None, subject_id: str | None = None) -> builtins.list[DsrRequest]:
        """Requests oldest first, by status and/or subject."""
        query = sa.select(requests)
        if status is not None:
            if status not in STATUSES:
                raise InvalidInput(f"status must be one of {sorted(STATUSES)}")
            query = query.where(requests.c.status == status)
        if subject_id is not None:
            if not isinstance(subject_id, str):
                raise InvalidInput("subject id must be a string")
            query = query.where(requests.c.subject_id == subject_id)  # a bound parameter
        return self._select(query)

    def overdue(self, *, now: datetime | None = None) -> builtins.list[DsrRequest]:
        """Open or extended requests past their deadline, oldest first."""
        moment = now or self.clock.now()
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput("now must be a timezone-aware datetime")
        late = sa.select(requests).where(requests.c.status.in_(LIVE), requests.c.deadline < moment)
        return self._select(late)

    def extend(self, request_id: str, *, actor: Actor) -> DsrRequest:
        """Apply the profile's one extension (its ``extension_rule`` says when that is lawful)."""
        who = self._caller(actor)
        with self.vault.guard.check(who, "dsr.extend", "write", resource=f"request:{_id(request_id)}"):
            return self._extend(request_id, who)

    def _extend(self, request_id: str, who: str) -> DsrRequest:
        current = self._live(self.get(request_id))
        if current.extended:
            raise InvalidInput(f"request {request_id} was already extended")
        deadline = self._profile(current.profile).request_deadline(current.received_at, extended=True)
        with self.vault.data.write() as conn:
            changed = conn.execute(sa.update(requests).where(
                requests.c.request_id == request_id, requests.c.status == "open")
                .values(status="extended", extended=True, deadline=deadline)).rowcount
            if changed != 1:
                raise IntegrityError(f"request {request_id} changed while it was being extended")
            self._audit(conn, "dsr.extend", who, request_id)
        return self.get(request_id)

    # -- answers -----------------------------------------------------------------------

    def export(self, request_id: str, *, actor: Actor) -> dict[str, Any]:
        """The subject's export bundle (``EXPORT_SCHEMA``); completes the request."""
        who = self._caller(actor)
        request = self._actionable(request_id, {RequestKind.ACCESS, RequestKind.PORTABILITY})
        others = [{"request_id": r.request_id, "kind": r.kind.value, "status": r.status,
                   "received_at": r.received_at.isoformat()}
                  for r in self.list(subject_id=request.subject_id) if r.request_id != request_id]
        bundle = _bundle.build(self.vault, request_id=request_id, subject_id=request.subject_id,
                               profile=request.profile, previous=others, actor=who, now=self.clock.now())
        self._complete(request, "dsr.export", who, {
            "collections": _bundle.counts(bundle), "consent_events": len(bundle["consent"]),
            "bundle_sha256": hashlib.sha256(canonical(bundle)).hexdigest()})
        return bundle

    def erase(self, request_id: str, *, actor: Actor) -> Receipt:
        """Crypto-shred the subject everywhere the vault reaches; the receipt says what went."""
        who = self._caller(actor)
        request = self._actionable(request_id, {RequestKind.ERASURE})
        erasure = self.vault.erase_subject(request.subject_id, actor=who, request_id=request_id)
        return self._complete(request, "dsr.erase", who, _erased(erasure))

    def rectify(self, request_id: str, collection: str, record_id: str, values: Mapping[str, object], *,
                actor: Actor) -> Receipt:
        """Correct fields of one of the subject's own records (blind indexes follow)."""
        who = self._caller(actor)
        request = self._actionable(request_id, {RequestKind.RECTIFICATION})
        if not isinstance(values, Mapping) or not values:
            raise InvalidInput("values must be a non-empty mapping of field names to values")
        if self.vault.owner(collection, record_id, actor=who) != request.subject_id:
            # the same answer as a missing record: whose it is stays unsaid
            raise NotFound(f"record {record_id} not found in {collection!r}")
        self.vault.rewrite(collection, record_id, values, actor=who, request_id=request_id)
        return self._complete(request, "dsr.rectify", who, {
            "collection": collection, "record_id": record_id, "fields": sorted(values)})

    def reject(self, request_id: str, *, reason: str, actor: Actor) -> DsrRequest:
        """Close a request unanswered, for one of ``REJECTION_REASONS`` (a code, never free text)."""
        who = self._caller(actor)
        if not isinstance(reason, str) or reason not in REJECTION_REASONS:
            raise InvalidInput(f"reason must be one of {sorted(REJECTION_REASONS)}")
        with self.vault.guard.check(who, "dsr.reject", "write", resource=f"request:{_id(request_id)}"):
            request = self._live(self.get(request_id))
            self._complete(request, "dsr.reject", who, {"reason": reason}, status="rejected")
        return self.get(request_id)

    # -- helpers -----------------------------------------------------------------------

    def _caller(self, actor: object) -> str:
        """The principal acting: a token must be live and carry the ``dsr`` scope."""
        if isinstance(actor, Token):
            return self.vault.guard.token_principal(actor, "dsr", "dsr.token")
        return _actor(actor)

    def _region(self, subject_id: str, region: str | None, who: str) -> str:
        try:
            return self.vault.subject(subject_id, actor=who).region  # also refuses a malformed subject id
        except NotFound:
            pass
        if region is None:
            raise InvalidInput(f"subject {subject_id} is not registered: give the region of the request")
        if not isinstance(region, str) or not 1 <= len(region) <= _MAX_REGION:
            raise InvalidInput(f"region must be a region code of 1-{_MAX_REGION} characters")
        return region

    def _profile(self, profile_id: str) -> RegulationProfile:
        known = [*self.vault.profiles.profiles, self.vault.profiles.default]
        for profile in known:
            if profile is not None and profile.id == profile_id:
                return profile
        raise ConfigError(f"regulation profile '{profile_id}' of this request is no longer configured")

    def _actionable(self, request_id: str, kinds: Collection[RequestKind]) -> DsrRequest:
        request = self.get(request_id)
        if request.kind not in kinds:
            raise InvalidInput(f"request {request_id} is an {request.kind.value} request, not "
                               + " or ".join(sorted(k.value for k in kinds)))
        return self._live(request)

    @staticmethod
    def _live(request: DsrRequest) -> DsrRequest:
        if request.status not in LIVE:
            raise IntegrityError(f"request {request.request_id} is {request.status}: "
                                 "it takes no further action")
        return request

    def _complete(self, request: DsrRequest, action: str, actor: str, details: Mapping[str, Any], *,
                  status: str = "completed") -> Receipt:
        """Sign the answer and close the request, in one transaction with its audit entry."""
        now = self.clock.now()
        with self.vault.data.write() as conn:
            seq = self._audit(conn, action, actor, request.request_id)
            payload = {"format": RECEIPT_FORMAT, "kind": request.kind.value, "request_id": request.request_id,
                       "subject_id": request.subject_id, "profile": request.profile, "status": status,
                       "actor": actor, "completed_at": now.isoformat(), "audit_seq": seq, **details}
            receipt = sign_receipt(self.vault.keys.provider.signer(), payload)
            closed = conn.execute(sa.update(requests).where(
                requests.c.request_id == request.request_id, requests.c.status.in_(LIVE))
                .values(status=status, completed_at=now, receipt=receipt.to_json())).rowcount
            if closed != 1:  # another worker answered it first: roll back this entry
                raise IntegrityError(f"request {request.request_id} was closed by another worker")
        return receipt

    def _audit(self, conn: Connection, action: str, actor: str, request_id: str) -> int:
        entry = AuditEntry(action=action, actor=actor, resource=f"request:{request_id}",
                           request_id=request_id)
        return self.vault.audit.append(entry, conn=conn)

    def _select(self, query: sa.Select[Any]) -> builtins.list[DsrRequest]:
        ordered = query.order_by(requests.c.received_at, requests.c.request_id)
        with self.vault.data.read() as conn:
            return [_request(row) for row in conn.execute(ordered).mappings().all()]


def _kind(kind: object) -> RequestKind:
    try:
        return RequestKind(kind if isinstance(kind, str) else "")
    except ValueError:
        raise InvalidInput(f"kind must be one of {[k.value for k in RequestKind]}") from None


def _id(request_id: object) -> str:
    """A request id fit for an audit resource (anything else is named as malformed)."""
    return request_id if isinstance(request_id, str) and _REQUEST_ID.fullmatch(request_id) else "malformed"


def _actor(actor: object) -> str:
    if not isinstance(actor, str) or not 1 <= len(actor) <= _MAX_ACTOR:
        raise InvalidInput(f"actor must be a string of 1-{_MAX_ACTOR} characters")
    return actor


def _erased(erasure: Erasure) -> dict[str, Any]:
    """What an erasure removed, for its receipt (``audit_seq``: the vault's own erasure entry)."""
    return {"records": dict(erasure.records), "blind_index_entries": erasure.blind_index_entries,
            "consent_events": erasure.consent_events, "derived": dict(erasure.derived),
            "tainted_artifacts": list(erasure.tainted_artifacts), "key_destroyed": erasure.key_destroyed,
            "destroyed_in_epoch": erasure.destroyed_in_epoch,
            "backups_unreadable_after_epoch": erasure.backups_unreadable_after_epoch,
            "audit_seq": erasure.audit_seq}


def _request(row: Mapping[Any, Any]) -> DsrRequest:
    receipt = row["receipt"]
    return DsrRequest(row["request_id"], row["subject_id"], RequestKind(row["kind"]), row["status"],
                      row["profile"], row["received_at"], row["deadline"], bool(row["extended"]),
                      row["completed_at"], json.loads(receipt) if receipt is not None else None)
