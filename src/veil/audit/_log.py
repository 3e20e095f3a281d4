"""The audit log: an append-only Merkle tree of metadata-only entries with signed heads and proofs."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil._clock import Clock, SystemClock
from veil.audit import _tree
from veil.audit._checkpoint import Checkpoint, open_checkpoint, sign_note, verifier_key
from veil.audit._entry import AuditEntry, entry_of, to_micros
from veil.audit._merkle import assemble, consistency_plan, inclusion_plan, needed_nodes
from veil.audit._sequencer import Sequencer
from veil.audit._verify import Verification, verify_log
from veil.audit._witness import Witness
from veil.crypto import Ed25519Signer
from veil.errors import ConfigError, IntegrityError, InvalidInput, NotFound
from veil.storage import Database
from veil.storage.tables import audit_entries, audit_heads

MAX_PAGE = 1000
DEFAULT_ORIGIN = "veil.local/audit"


@dataclass(frozen=True, slots=True)
class SignedHead:
    """A signed tree head: the C2SP checkpoint ``note`` is what witnesses and verifiers are given."""

    size: int
    root: bytes
    signed_at: datetime
    note: str


class AuditLog:
    """The audit tree of one data database.

    ``append(entry, conn=...)`` writes inside the caller's transaction (the operation and its entry
    commit or fail together); ``append(entry)`` and ``submit(entry)`` go through the group-commit
    sequencer. ``signer`` signs tree heads; without one, heads can be verified but not made.
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock | None = None,
        signer: Ed25519Signer | None = None,
        origin: str = DEFAULT_ORIGIN,
        max_batch: int = 1000,
        max_wait: float = 0.0,
        head_every: timedelta | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.signer = signer
        self.origin = origin
        self.head_every = head_every
        self._batching = (max_batch, max_wait)
        self._sequencer: Sequencer | None = None
        self._start = threading.Lock()
        self._last_head: datetime | None = None

    # -- appends -----------------------------------------------------------------------

    def append(self, entry: AuditEntry, *, conn: Connection | None = None) -> int:
        """Store ``entry`` and return its index once it is durable (with ``conn``: once that commits)."""
        if conn is not None:
            return _tree.append_entries(self.db, conn, [entry], self.clock.now())[0]
        return self.submit(entry).result()

    def append_many(self, entries: Sequence[AuditEntry], *, conn: Connection | None = None) -> list[int]:
        if conn is not None:
            return _tree.append_entries(self.db, conn, entries, self.clock.now())
        futures = [self.submit(entry) for entry in entries]
        return [future.result() for future in futures]

    def submit(self, entry: AuditEntry) -> Future[int]:
        """Queue ``entry`` for the next group commit; the future resolves to its index."""
        if not isinstance(entry, AuditEntry):
            raise InvalidInput("submit takes an AuditEntry")
        if self._sequencer is None:
            with self._start:
                if self._sequencer is None:
                    max_batch, max_wait = self._batching
                    self._sequencer = Sequencer(self._write_batch, max_batch=max_batch, max_wait=max_wait)
        return self._sequencer.submit(entry)

    def _write_batch(self, entries: Sequence[AuditEntry]) -> list[int]:
        now = self.clock.now()
        now_us = to_micros(now)
        prepared = [entry.prepare(now_us) for entry in entries]  # before the write lock is taken
        with self.db.write() as conn:
            indexes = _tree.append_entries(self.db, conn, prepared, now)
        if self.head_every is not None and self.signer is not None:
            now = self.clock.now()
            if self._last_head is None or now - self._last_head >= self.head_every:
                self.sign_head()
        return indexes

    def close(self) -> None:
        """Write what is queued and stop the sequencer (a later append starts a new one)."""
        with self._start:
            sequencer, self._sequencer = self._sequencer, None
        if sequencer is not None:
            sequencer.close()

    # -- the tree ----------------------------------------------------------------------

    def size(self) -> int:
        with self.db.read() as conn:
            return _tree.read_frontier(conn).size

    def root(self) -> bytes:
        with self.db.read() as conn:
            return _tree.read_frontier(conn).root()

    def inclusion_proof(self, index: int, *, size: int | None = None) -> list[bytes]:
        """The audit path from entry ``index`` to the root of the tree of ``size`` (default: now)."""
        with self.db.read() as conn:
            size = self._size_at(conn, size)
            if not 0 <= index < size:
                raise NotFound(f"entry {index} is not in the tree of {size} entries")
            plan = inclusion_plan(index, size)
            return assemble(plan, self._nodes(conn, needed_nodes(plan), size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree of ``old_size`` entries is a prefix of the tree of ``new_size``."""
        with self.db.read() as conn:
            new_size = self._size_at(conn, new_size)
            if not 0 <= old_size <= new_size:
                raise InvalidInput(f"old size {old_size} must be between 0 and {new_size}")
            plan = consistency_plan(old_size, new_size)
            return assemble(plan, self._nodes(conn, needed_nodes(plan), new_size))

    @staticmethod
    def _nodes(conn: Connection, needed: set[tuple[int, int]], size: int) -> dict[tuple[int, int], bytes]:
        try:
            return _tree.fetch_nodes(conn, needed, size)
        except IntegrityError:
            current = _tree.read_frontier(conn).size
            if size > current:
                raise NotFound(f"the tree has {current} entries, not {size}") from None
            raise

    @staticmethod
    def _size_at(conn: Connection, size: int | None) -> int:
        if size is not None and size >= 0:
            return size  # a size the tree does not reach has no nodes: fetch_nodes says so
        current = _tree.read_frontier(conn).size
        if size is None:
            return current
        raise NotFound(f"the tree has {current} entries, not {size}")

    # -- signed heads ------------------------------------------------------------------

    def verifier_key(self) -> str:
        """The C2SP verifier key (name+id+key) that opens this log's checkpoints."""
        return verifier_key(self.origin, self._signing().public_key())

    def sign_head(self) -> SignedHead:
        """Sign the current tree head (idempotent per size) and store it."""
        signer = self._signing()
        now = self.clock.now()
        with self.db.write() as conn:
            _tree.lock_appends(self.db, conn)
            frontier = _tree.read_frontier(conn)
            existing = _head(conn, frontier.size)
            if existing is None:
                text = Checkpoint(self.origin, frontier.size, frontier.root()).text()
                existing = SignedHead(
                    frontier.size, frontier.root(), now, sign_note(text, self.origin, signer)
                )
                conn.execute(
                    sa.insert(audit_heads).values(
                        size=existing.size, root=existing.root, signed_at=now, note=existing.note
                    )
                )
        self._last_head = now
        return existing

    def latest_head(self) -> SignedHead | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(audit_heads).order_by(audit_heads.c.size.desc()).limit(1)).first()
        return _signed(row) if row is not None else None

    def heads(self) -> list[SignedHead]:
        with self.db.read() as conn:
            return [_signed(r) for r in conn.execute(sa.select(audit_heads).order_by(audit_heads.c.size))]

    def _signing(self) -> Ed25519Signer:
        if self.signer is None:
            raise ConfigError("this audit log has no signing key (the key provider gives one)")
        return self.signer

    # -- proofs for outside verifiers ------------------------------------------------

    def inclusion_bundle(self, index: int) -> dict[str, Any]:
        """Everything a verifier needs, with the public key, to check that entry ``index`` is logged."""
        head = self.latest_head()
        if head is None or head.size <= index:
            head = self.sign_head()
        with self.db.read() as conn:
            leaf = conn.execute(
                sa.select(audit_entries.c.leaf_hash).where(audit_entries.c.idx == index)
            ).scalar()
        if leaf is None:
            raise NotFound(f"entry {index} is not in the audit log")
        return {
            "leaf_index": index,
            "leaf_hash": _b64(bytes(leaf)),
            "proof": [_b64(h) for h in self.inclusion_proof(index, size=head.size)],
            "checkpoint": head.note,
        }

    def consistency_bundle(self, old: SignedHead, new: SignedHead | None = None) -> dict[str, Any]:
        """Proof that signed head ``old`` is a prefix of ``new`` (default: a fresh head)."""
        new = new or self.sign_head()
        return {
            "old": old.note,
            "new": new.note,
            "proof": [_b64(h) for h in self.consistency_proof(old.size, new.size)],
        }

    def export_head(self, witness: Witness) -> SignedHead:
        """Sign the current head and hand it to ``witness`` with a consistency proof from the last head
        it holds: a witness that refuses it holds proof that the log was rewritten."""
        head = self.sign_head()
        held = witness.latest()
        proof = self.consistency_proof(held.size, head.size) if held and 0 < held.size <= head.size else []
        witness.add(head.note, proof)
        return head

    def open_head(self, note: str) -> Checkpoint:
        """Check a checkpoint's signature against this log's key and origin."""
        return open_checkpoint(note, self.verifier_key(), origin=self.origin)

    # -- verification and queries ----------------------------------------------------

    def verify(self, *, external: Iterable[str] = ()) -> Verification:
        """Recompute the tree from the stored entries; check every stored and ``external`` signed head."""
        return verify_log(self.db, self.verifier_key(), self.origin, list(external))

    def entries(
        self,
        *,
        actor: str | None = None,
        subject: str | None = None,
        action: str | None = None,
        purpose: str | None = None,
        decision: str | None = None,
        resource: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after: int = -1,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries in order, filtered, one page at a time (``after``: the last index seen)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
        query = sa.select(audit_entries).where(audit_entries.c.idx > after)
        wanted = {
            "actor": actor, "subject": subject, "action": action,
            "purpose": purpose, "decision": decision, "resource": resource,
        }  # fmt: skip
        for column, value in wanted.items():
            if value is not None:
                query = query.where(audit_entries.c[column] == value)
        if since is not None:
            query = query.where(audit_entries.c.at_us >= to_micros(since))
        if until is not None:
            query = query.where(audit_entries.c.at_us < to_micros(until))
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(audit_entries.c.idx).limit(limit)).mappings().all()
        return [entry_of(row) for row in rows]

    def entry(self, index: int) -> AuditEntry:
        with self.db.read() as conn:
            row = (
                conn.execute(sa.select(audit_entries).where(audit_entries.c.idx == index)).mappings().first()
            )
        if row is None:
            raise NotFound(f"entry {index} is not in the audit log")
        return entry_of(row)


def _head(conn: Connection, size: int) -> SignedHead | None:
    row = conn.execute(sa.select(audit_heads).where(audit_heads.c.size == size)).first()
    return _signed(row) if row is not None else None


def _signed(row: Any) -> SignedHead:
    return SignedHead(int(row.size), bytes(row.root), row.signed_at, str(row.note))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
