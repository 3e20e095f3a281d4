"""The audit tree in the database: appends under one lock, O(log n) each, and the nodes proofs need.

Each append reads the tree's size and right frontier (one row), hashes the new leaves onto it and
writes the entries, the perfect subtrees they complete from ``TILE_HEIGHT`` up, and the new
frontier, in the caller's transaction. PostgreSQL appends serialize on a transaction-level advisory
lock; SQLite's writers already hold its write lock (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.audit._entry import COLUMNS, AuditEntry, Prepared, to_micros
from veil.audit._merkle import Frontier, leaf_hash, naive_root
from veil.errors import IntegrityError, InvalidInput
from veil.storage import Database
from veil.storage.tables import audit_entries, audit_nodes, audit_state

#: Subtrees below this height are not stored: rebuilt from at most 2**TILE_HEIGHT leaf hashes.
TILE_HEIGHT = 4
#: pg_advisory_xact_lock key of audit appends ("veilaudt" as a signed 64-bit integer).
APPEND_LOCK = int.from_bytes(b"veilaudt", "big", signed=True)
_STATE_ID = 1

Node = tuple[int, int]


def lock_appends(db: Database, conn: Connection) -> None:
    """Serialize appends until this transaction ends (SQLite: the write lock is already held)."""
    if not db.is_sqlite:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})


def read_frontier(conn: Connection) -> Frontier:
    row = conn.execute(
        sa.select(audit_state.c.size, audit_state.c.frontier).where(audit_state.c.id == _STATE_ID)
    ).first()
    if row is None:
        return Frontier.empty()
    return Frontier.from_bytes(int(row.size), bytes(row.frontier))


def append_entries(
    db: Database, conn: Connection, entries: Sequence[AuditEntry | Prepared], now: datetime
) -> list[int]:
    """Append ``entries`` in order inside ``conn``'s transaction; returns their leaf indexes."""
    now_us = to_micros(now)
    prepared = [e.prepare(now_us) if isinstance(e, AuditEntry) else e for e in entries]
    lock_appends(db, conn)
    frontier = read_frontier(conn)
    first = frontier.size
    rows, nodes = [], []
    for entry in prepared:
        index = frontier.size
        leaf = leaf_hash(entry.leaf_data(index))
        rows.append(entry.values(index, leaf))
        nodes += [(level, at, digest) for level, at, digest in frontier.append(leaf) if level >= TILE_HEIGHT]
    _insert(db, conn, audit_entries, COLUMNS, rows)
    if nodes:
        _insert(db, conn, audit_nodes, ("level", "idx", "hash"), nodes)
    state = {"size": frontier.size, "frontier": frontier.to_bytes()}
    if first == 0:
        conn.execute(sa.insert(audit_state).values(id=_STATE_ID, **state))
    else:
        conn.execute(sa.update(audit_state).where(audit_state.c.id == _STATE_ID).values(**state))
    return list(range(first, frontier.size))


def _insert(db: Database, conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[Any]) -> None:
    """Many rows at once; on SQLite through the driver's executemany (a third of SQLAlchemy's cost)."""
    if db.is_sqlite:
        marks = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - constants
        conn.exec_driver_sql(statement, rows)
    else:
        conn.execute(sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def fetch_nodes(conn: Connection, needed: Iterable[Node], size: int) -> dict[Node, bytes]:
    """The hashes of perfect subtrees ``(level, index)`` of the tree's first ``size`` leaves, in one
    statement (written as text: building an expression tree would cost more than the query)."""
    wanted = set(needed)
    for level, index in wanted:
        if level < 0 or index < 0 or (index + 1) << level > size:
            raise InvalidInput(f"node ({level}, {index}) is not in a tree of {size} entries")
    stored = sorted(node for node in wanted if node[0] >= TILE_HEIGHT)
    small = sorted(node for node in wanted if node[0] < TILE_HEIGHT)
    spans = sorted({(i << level, ((i + 1) << level) - 1) for level, i in small})
    parts, binds = [], {}
    if stored:
        # OR of equalities, not a row-value IN: SQLite looks each one up in the primary key
        pairs = " OR ".join(f"(level = :l{n} AND idx = :i{n})" for n in range(len(stored)))
        parts.append(f"SELECT level, idx, hash FROM veil_audit_nodes WHERE {pairs}")  # noqa: S608 - placeholders
        binds.update({f"l{n}": level for n, (level, _) in enumerate(stored)})
        binds.update({f"i{n}": index for n, (_, index) in enumerate(stored)})
    if spans:
        where = " OR ".join(f"idx BETWEEN :a{n} AND :b{n}" for n in range(len(spans)))
        parts.append(f"SELECT -1, idx, leaf_hash FROM veil_audit_entries WHERE {where}")  # noqa: S608
        binds.update({f"a{n}": start for n, (start, _) in enumerate(spans)})
        binds.update({f"b{n}": end for n, (_, end) in enumerate(spans)})
    found: dict[Node, bytes] = {}
    leaves: dict[int, bytes] = {}
    if parts:
        for level, index, digest in conn.execute(sa.text(" UNION ALL ".join(parts)), binds):
            if level == -1:
                leaves[int(index)] = bytes(digest)
            else:
                found[(int(level), int(index))] = bytes(digest)
    if len(found) != len(stored) or len(leaves) != len({i for a, b in spans for i in range(a, b + 1)}):
        raise IntegrityError("the audit tree is missing nodes: run `veil audit verify`")
    for level, index in small:
        found[(level, index)] = naive_root([leaves[i] for i in range(index << level, (index + 1) << level)])
    return found
