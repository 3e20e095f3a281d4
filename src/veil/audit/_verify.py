"""Full verification: rebuild the tree from the stored entries and hold it against every signed head.

Each leaf is recomputed from its row's columns (read straight from the driver, span by span),
so an entry edited, deleted, inserted or moved in the table shows up at its position: its text no
longer matches its leaf hash, its index leaves a gap, or the root at a signed size changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from veil.audit._checkpoint import Checkpoint, open_checkpoint
from veil.audit._entry import COLUMNS, leaf_texts
from veil.audit._merkle import EMPTY_ROOT, Frontier, _fold, range_nodes
from veil.audit._tree import TILE_HEIGHT, read_frontier
from veil.errors import IntegrityError
from veil.storage import Database
from veil.storage.tables import audit_entries, audit_heads, audit_nodes


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


#: The replay reads and hashes aligned spans of 2**SPAN_LEVEL leaves, level by level, not leaf by leaf.
SPAN_LEVEL = 16

Head = tuple[int, bytes, str]
_NODE_DIFFERS = "the stored tree node over entries {first}.. differs from them"


def _replay(conn: Connection, heads: list[Head]) -> tuple[int, int]:
    """Rebuild the tree span by span: each span's leaves are rehashed from their rows and compared
    with the stored hashes in one go, its levels are built pairwise (checking the stored nodes), and
    its root goes onto a frontier of spans. A failure names the earliest bad position, after the
    heads signed before it were checked, as a leaf-by-leaf replay would."""
    nodes, reader = _stored_nodes(conn), _Rows(conn)
    state = read_frontier(conn)
    end = max(state.size, reader.last_index() + 1)
    spans = Frontier.empty()  # its leaves are span roots: a level-k node of it is at level SPAN_LEVEL + k
    pending = sorted(heads)
    checked = last_good = 0
    size = 0
    for start in range(0, max(end, 1), 1 << SPAN_LEVEL):
        rows = reader.span(start, min(end, start + (1 << SPAN_LEVEL)))
        levels, failure = _span_levels(start, rows, nodes)
        size = start + len(levels[0])
        while pending and pending[0][0] <= size:
            head = pending.pop(0)
            if failure is not None and head[0] > failure[0]:  # signed after the failure showed
                pending.insert(0, head)
                break
            last_good = _check_head(_root_at(spans, start, levels, head[0]), head, last_good)
            checked += 1
        if failure is not None:
            raise _Failure(failure[1], failure[3])
        if len(levels[0]) < 1 << SPAN_LEVEL:
            break
        for level, index, digest in spans.append(levels[-1][0]):
            node = (level + SPAN_LEVEL, index)
            if node[0] >= TILE_HEIGHT and nodes.get(node) != digest:
                first = index << node[0]
                raise _Failure(first, _NODE_DIFFERS.format(first=first))
    if pending:
        raise _Failure(size, f"{pending[0][2]} covers entries beyond the {size} stored")
    _check_state(conn, _full_frontier(spans, size, levels))
    return size, checked


def _span_levels(
    start: int, rows: list[tuple[Any, ...]], nodes: dict[tuple[int, int], bytes]
) -> tuple[list[list[bytes]], tuple[int, int, str, str] | None]:
    """The span's leaf hashes and every level above them, over its good prefix, and the earliest
    failure in it as (trigger, position, kind, problem): the leaf at which a replay would notice it."""
    sha256 = hashlib.sha256
    failure: tuple[int, int, str, str] | None = None
    count = len(rows)
    if count and rows[-1][0] != start + count - 1:  # a gap (or a duplicate) somewhere: find it
        count = next(i for i, row in enumerate(rows) if row[0] != start + i)
        problem = f"entry {start + count} is missing (the next stored entry is {rows[count][0]})"
        failure = (start + count, start + count, "leaf", problem)
    texts = leaf_texts(rows[:count])
    leaves = [sha256(b"\x00" + text.encode()).digest() for text in texts]
    stored = [bytes(row[-1]) for row in rows[:count]]
    if leaves != stored:
        bad = next(i for i, (a, b) in enumerate(zip(leaves, stored, strict=True)) if a != b)
        failure = (start + bad, start + bad, "leaf", f"entry {start + bad} does not match its leaf hash "
                                                     "(edited or moved)")  # fmt: skip
        leaves = leaves[:bad]
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([sha256(b"\x01" + below[i - 1] + below[i]).digest() for i in range(1, len(below), 2)])
    for height in range(TILE_HEIGHT, len(levels)):
        base = start >> height
        for offset, digest in enumerate(levels[height]):
            if nodes.get((height, base + offset)) != digest:
                first = (base + offset) << height
                trigger = first + (1 << height) - 1  # a replay checks a node when its last leaf goes on
                if failure is None or trigger < failure[0]:
                    failure = (trigger, first, "node", _NODE_DIFFERS.format(first=first))
                break
    return levels, failure


def _root_at(spans: Frontier, start: int, levels: list[list[bytes]], size: int) -> bytes:
    """The root of the first ``size`` leaves: the spans before ``start`` and this span's prefix."""
    hashes = list(spans.hashes)
    if size > start:
        hashes += [levels[level][index - (start >> level)] for level, index in range_nodes(start, size)]
    return _fold(hashes) if hashes else EMPTY_ROOT


def _full_frontier(spans: Frontier, size: int, levels: list[list[bytes]]) -> Frontier:
    start = spans.size << SPAN_LEVEL
    nodes = range_nodes(start, size) if size > start else []
    tail = [levels[level][index - (start >> level)] for level, index in nodes]
    return Frontier(size, [*spans.hashes, *tail])


class _Rows:
    """Rows straight from the driver: SQLAlchemy's row objects would cost more than the hashing."""

    def __init__(self, conn: Connection) -> None:
        self._cursor: Any = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        columns = ", ".join(COLUMNS)
        self._query = (f"SELECT {columns} FROM {audit_entries.name} "  # noqa: S608 - constants
                       f"WHERE idx >= {mark} AND idx < {mark} ORDER BY idx")  # fmt: skip

    def last_index(self) -> int:
        self._cursor.execute(f"SELECT MAX(idx) FROM {audit_entries.name}")  # noqa: S608 - a constant
        (last,) = self._cursor.fetchone()
        return -1 if last is None else int(last)

    def span(self, start: int, end: int) -> list[tuple[Any, ...]]:
        self._cursor.execute(self._query, (start, end))
        return list(self._cursor.fetchall())


def _check_head(root: bytes, head: Head, last_good: int) -> int:
    """The size of the latest head that held (a rewrite with its hashes redone lies after it)."""
    if root != head[1]:
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
