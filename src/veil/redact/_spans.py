"""Span bookkeeping: what was replaced where, Veil's own tokens, offsets mapped back."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace

from veil.detect import EntityName, Finding
from veil.redact._pseudonym import parse_tag

#: Tokens Veil writes: ``<ENTITY_N>`` tags and ``<ENTITY:hex>`` hashes. Findings inside
#: them are ignored, which makes redacting redacted text a no-op.
_TOKEN = re.compile(r"<([A-Za-z][A-Za-z0-9_]*)(:[0-9a-f]{16})?>")


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced span: ``text[start:end]`` became ``new_text[new_start:new_end]``.

    Offsets only, never values, so replacements can be logged and used to map spans.
    """

    entity: EntityName
    start: int
    end: int
    new_start: int
    new_end: int
    operator: str


@dataclass(frozen=True, slots=True)
class Redacted:
    """The redacted text and, left to right, what was replaced where."""

    text: str
    replacements: list[Replacement]


def tokens(text: str) -> tuple[list[tuple[int, int]], list[tuple[str, int]]]:
    """Spans of Veil tokens in ``text``, and the (entity, number) of its tags."""
    spans: list[tuple[int, int]] = []
    tags: list[tuple[str, int]] = []
    for match in _TOKEN.finditer(text):
        parsed = None if match.group(2) else parse_tag(match.group(1))
        if match.group(2) is None and parsed is None:
            continue
        spans.append(match.span())
        if parsed is not None:
            tags.append(parsed)
    return spans, tags


def outside(findings: list[Finding], spans: list[tuple[int, int]]) -> list[Finding]:
    """Findings touching none of the sorted, disjoint ``spans``."""
    if not spans:
        return findings
    starts = [start for start, _ in spans]
    kept = []
    for finding in findings:
        index = bisect_right(starts, finding.end - 1) - 1
        if index < 0 or spans[index][1] <= finding.start:
            kept.append(finding)
    return kept


def map_back(result: Redacted, findings: list[Finding]) -> list[Finding]:
    """Findings in ``result.text`` moved to the original's offsets.

    Only findings wholly in text the redaction left unchanged can be moved; those
    touching a replacement (or joining text around a dropped value) are left out.
    """
    replaced = result.replacements
    starts = [r.new_start for r in replaced]
    moved = []
    for finding in findings:
        index = bisect_right(starts, finding.start) - 1
        before = replaced[index] if index >= 0 else None
        after = replaced[index + 1] if index + 1 < len(replaced) else None
        if before is not None and finding.start < before.new_end:
            continue
        if after is not None and after.new_start < finding.end:
            continue
        shift = 0 if before is None else before.end - before.new_end
        moved.append(replace(finding, start=finding.start + shift, end=finding.end + shift))
    return moved
