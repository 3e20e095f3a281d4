"""Inline exceptions: ``# veil: allow <rule> <reason>`` on a finding's line or the line above.

Any comment syntax works (``#``, ``//``, ``--``, ``/* */``, ``<!-- -->``): the marker is
looked for in the line's text. An exception without a reason suppresses nothing and is
reported by ``veil scan --audit-baseline``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MARKER = "veil: allow"
_ALLOW = re.compile(
    r"veil:\s?allow[ \t]+(?P<rule>[A-Za-z0-9_.*-]{1,80})(?:[ \t]+(?P<reason>[^\r\n]*?))?"
    r"[ \t]*(?:\*/|-->|\"\"\"|''')?[ \t]*$",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True)
class AllowComment:
    """One inline exception: where it is, which rule (or entity) it names, and why."""

    path: str
    line: int
    rule: str
    reason: str
    used: bool = False  # it suppressed a finding of this scan

    def covers(self, rule: str, entity: str) -> bool:
        named = self.rule.lower()
        return bool(self.reason) and named in {rule.lower(), entity.lower(), "*"}

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "rule": self.rule, "reason": self.reason,
                "used": self.used}


def allow_comments(text: str) -> Iterator[tuple[int, str, str]]:
    """``(offset, rule, reason)`` of every exception in ``text``."""
    if MARKER not in text and "veil:allow" not in text:
        return
    for match in _ALLOW.finditer(text):
        yield match.start(), match.group("rule"), (match.group("reason") or "").strip()
