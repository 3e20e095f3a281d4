"""One audit entry and its canonical bytes, the data of its Merkle leaf.

An entry holds metadata only (ids, names, a decision, counts), never a value. Its leaf data is
``veil-audit/1`` and the stored columns joined by the unit separator (0x1F), exactly as stored,
so that verification can rebuild every leaf from the table alone (``leaf_texts``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from veil.errors import InvalidInput

DECISIONS = frozenset({"allow", "deny", "error"})
LEAF_PREFIX = "veil-audit/1"
SEPARATOR = "\x1f"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# column -> its longest value; the text columns of the leaf, in leaf order after idx and at_us
_TEXT_COLUMNS = {
    "actor": 128,
    "action": 64,
    "resource": 256,
    "subject": 128,
    "purpose": 64,
    "decision": 16,
    "rule": 128,
    "request_id": 64,
}
_OPTIONAL = frozenset({"subject", "purpose", "rule", "request_id"})
# (column, full-match of 1 to its limit printable characters, optional): one C call per column
_TEXT_RULES = tuple(
    (name, re.compile(rf"[^\x00-\x1f\x7f]{{1,{limit}}}").fullmatch, name in _OPTIONAL)
    for name, limit in _TEXT_COLUMNS.items()
)
_COUNT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?")  # "records.customers"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened, never to what values: ids, names, a decision, the rule that decided and counts."""

    action: str
    actor: str
    resource: str
    decision: str = "allow"
    purpose: str | None = None
    subject: str | None = None
    rule: str | None = None
    request_id: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    at: datetime | None = None
    index: int | None = None  # the leaf's position in the tree, once appended

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise InvalidInput(f"audit decision must be one of {sorted(DECISIONS)}")
        for name, valid, optional in _TEXT_RULES:
            value = getattr(self, name)
            if optional and (value is None or value == ""):
                if value == "":
                    object.__setattr__(self, name, None)  # "" and None would be one leaf text
                continue
            if type(value) is not str or valid(value) is None:
                raise InvalidInput(f"audit {name} must be 1 to {_TEXT_COLUMNS[name]} printable characters")
        for name, count in self.counts.items():
            if type(name) is not str or not _COUNT_NAME.fullmatch(name):
                raise InvalidInput("audit count names are lower-case identifiers")
            if type(count) is not int:
                raise InvalidInput("audit counts must be integers")

    def prepare(self, now_us: int) -> Prepared:
        """Everything of the row and leaf text but the index, computed before the append lock is taken.

        ``now_us`` (``to_micros(now)``, once per batch) is the time of an entry without its own.
        """
        at_us = now_us if self.at is None else to_micros(self.at)
        texts = (
            self.actor, self.action, self.resource, self.subject,
            self.purpose, self.decision, self.rule, self.request_id,
        )  # fmt: skip
        counts = _counts_text(self.counts)
        return Prepared(at_us, texts, counts, _tail(at_us, texts, counts))


def _counts_text(counts: Mapping[str, int]) -> str:
    """``json.dumps(counts, sort_keys=True)``, written out: names are identifiers and values ints,
    so nothing needs escaping, and the encoder's set-up would cost more than the entry."""
    if not counts:
        return "{}"
    return "{" + ", ".join(f'"{name}": {counts[name]}' for name in sorted(counts)) + "}"


@dataclass(frozen=True, slots=True)
class Prepared:
    """An entry's stored values and the part of its leaf text after the index."""

    at_us: int
    texts: tuple[str | None, ...]  # in COLUMNS order after idx and at_us
    counts: str
    tail: str

    def leaf_data(self, index: int) -> bytes:
        return f"{LEAF_PREFIX}{SEPARATOR}{index}{SEPARATOR}{self.tail}".encode()

    def values(self, index: int, leaf: bytes) -> tuple[Any, ...]:
        return (index, self.at_us, *self.texts, self.counts, leaf)


#: The stored columns in the order of ``Prepared.values``.
COLUMNS = ("idx", "at_us", *_TEXT_COLUMNS, "counts", "leaf_hash")


def leaf_text(row: Mapping[str, Any]) -> str:
    """The canonical leaf data of a stored row (the same text ``leaf_texts`` builds)."""
    texts = tuple(row[name] for name in _TEXT_COLUMNS)
    return SEPARATOR.join([LEAF_PREFIX, str(row["idx"]), _tail(row["at_us"], texts, row["counts"])])


def _tail(at_us: int, texts: tuple[str | None, ...], counts: str) -> str:
    """The leaf text after the index: the one place its layout is written in Python."""
    return SEPARATOR.join([str(at_us), *("" if t is None else t for t in texts), counts])


def leaf_texts(rows: Iterable[Sequence[Any]]) -> list[str]:
    """``leaf_text`` of many raw rows (columns in ``COLUMNS`` order), for verification: one f-string
    per row, as ``_tail`` lays it out, is a third of the cost of building it in pieces."""
    p, s = LEAF_PREFIX, SEPARATOR
    return [
        f"{p}{s}{i}{s}{at}{s}{actor}{s}{action}{s}{resource}{s}{subject or ''}{s}{purpose or ''}{s}"
        f"{decision}{s}{rule or ''}{s}{request or ''}{s}{counts}"
        for i, at, actor, action, resource, subject, purpose, decision, rule, request, counts, _ in rows
    ]


def entry_of(row: Mapping[Any, Any]) -> AuditEntry:
    return AuditEntry(
        action=row["action"],
        actor=row["actor"],
        resource=row["resource"],
        decision=row["decision"],
        purpose=row["purpose"],
        subject=row["subject"],
        rule=row["rule"],
        request_id=row["request_id"],
        counts=json.loads(row["counts"]),
        at=from_micros(int(row["at_us"])),
        index=int(row["idx"]),
    )


def to_micros(at: datetime) -> int:
    if at.tzinfo is None:
        raise InvalidInput("audit times must be timezone-aware")
    return (at - EPOCH) // timedelta(microseconds=1)


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
