"""Full verification: rebuild the tree from the stored entries and hold it against every signed head.

Each leaf is recomputed from its row's columns (the database concatenates them; Python hashes),
so an entry edited, deleted, inserted or moved in the table shows up at its position: its text no
longer matches its leaf hash, its index leaves a gap, or the root at a signed size changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.audit._checkpoint import Checkpoint, open_checkpoint
from veil.audit._entry import leaf_text_sql
from veil.audit._merkle import Frontier
from veil.audit._tree import TILE_HEIGHT, read_frontier
from veil.errors import IntegrityError
from veil.storage import Database
from veil.storage.tables import audit_entries, audit_heads, audit_nodes

_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome: ``ok``, or the first bad position (an entry index) and what is wrong there."""

    ok: bool
    size: int
    heads_checked: int
    first_bad: int | None = None
    problem: str | None = None


class _Failure(Exception):
    def __init__(self, position: int, problem: str) -> None:
        super().__init__(problem)
        self.position = position
        self.problem = problem


def verify_log(db: Database, vkey: str, origin: str, external: list[str]) -> Verification:
    with db.read() as conn:
        try:
            size, checked = _replay(conn, _heads(conn, vkey, origin, external))
        except _Failure as failure:
            return Verification(False, read_frontier(conn).size, 0, failure.position, failure.problem)
    return Verification(True, size, checked)


def _heads(conn: Connection, vkey: str, origin: str, external: list[str]) -> list[tuple[int, bytes, str]]:
    """(size, root, where) of every head to check, signatures verified first."""
    heads: list[tuple[int, bytes, str]] = []
    rows = conn.execute(sa.select(audit_heads.c.size, audit_heads.c.root, audit_heads.c.note)).all()
    for size, root, note in rows:
        checkpoint = _open(note, vkey, origin, f"stored head of size {size}", int(size))
        if checkpoint.size != size or checkpoint.root != bytes(root):
            raise _Failure(int(size), f"the stored head of size {size} differs from its signed note")
        heads.append((checkpoint.size, checkpoint.root, f"the signed head of size {size}"))
    for number, note in enumerate(external, start=1):
        checkpoint = _open(note, vkey, origin, f"external head {number}", 0)
        heads.append((checkpoint.size, checkpoint.root, f"external head {number} (size {checkpoint.size})"))
    return sorted(heads)


def _open(note: str, vkey: str, origin: str, where: str, position: int) -> Checkpoint:
    try:
        return open_checkpoint(note, vkey, origin=origin)
    except IntegrityError:
        raise _Failure(position, f"{where} has no valid signature of this log's key") from None


def _replay(conn: Connection, heads: list[tuple[int, bytes, str]]) -> tuple[int, int]:
    nodes = _stored_nodes(conn)
    frontier = Frontier.empty()
    pending = iter(heads)
    head = next(pending, None)
    checked = last_good = 0
    sha256 = hashlib.sha256
    query = sa.select(audit_entries.c.idx, leaf_text_sql(), audit_entries.c.leaf_hash).order_by(
        audit_entries.c.idx
    )
    while True:
        # a head at the current size is checked before the next leaf goes on
        while head is not None and head[0] == frontier.size:
            last_good = _check_head(frontier, head, last_good)
            checked += 1
            head = next(pending, None)
        rows = conn.execute(query.where(audit_entries.c.idx >= frontier.size).limit(_CHUNK)).all()
        if not rows:
            break
        for index, text, stored in rows:
            expected = frontier.size
            if index != expected:
                raise _Failure(expected, f"entry {expected} is missing (the next stored entry is {index})")
            leaf = sha256(b"\x00" + text.encode()).digest()
            if leaf != stored:
                raise _Failure(index, f"entry {index} does not match its leaf hash (edited or moved)")
            for level, node_index, digest in frontier.append(leaf):
                if level >= TILE_HEIGHT and nodes.get((level, node_index)) != digest:
                    first = node_index << level
                    raise _Failure(first, f"the stored tree node over entries {first}.. differs from them")
            while head is not None and head[0] == frontier.size:
                last_good = _check_head(frontier, head, last_good)
                checked += 1
                head = next(pending, None)
    if head is not None:
        raise _Failure(frontier.size, f"{head[2]} covers entries beyond the {frontier.size} stored")
    _check_state(conn, frontier)
    return frontier.size, checked


def _check_head(frontier: Frontier, head: tuple[int, bytes, str], last_good: int) -> int:
    """The size of the latest head that held (a rewrite with its hashes redone lies after it)."""
    if frontier.root() != head[1]:
        raise _Failure(
            last_good, f"entries {last_good} to {head[0] - 1} differ from what {head[2]} signed (rewritten)"
        )
    return head[0]


def _check_state(conn: Connection, frontier: Frontier) -> None:
    state = read_frontier(conn)
    if state.size < frontier.size:
        raise _Failure(
            state.size, f"entry {state.size} is not in the tree (the tree has {state.size} entries)"
        )
    if state.size > frontier.size:
        raise _Failure(frontier.size, f"entry {frontier.size} is missing (the tree has {state.size} entries)")
    if state.to_bytes() != frontier.to_bytes():
        raise _Failure(frontier.size, "the stored tree state differs from the entries")


def _stored_nodes(conn: Connection) -> dict[tuple[int, int], bytes]:
    rows = conn.execute(sa.select(audit_nodes.c.level, audit_nodes.c.idx, audit_nodes.c.hash))
    return {(int(level), int(index)): bytes(digest) for level, index, digest in rows}
