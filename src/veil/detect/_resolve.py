"""Overlap resolution: one finding per stretch of text, the most specific wins."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable

from veil.detect._entities import SECRET_ENTITIES, Entity
from veil.detect._finding import Finding

#: Entities whose span is a whole that may contain others (a URL with an e-mail
#: in its query, an address with a city): when they contain a finding they replace it.
CONTAINERS: frozenset[object] = frozenset(
    {Entity.URL, Entity.STREET_ADDRESS, Entity.CONNECTION_STRING, Entity.PRIVATE_KEY,
     Entity.JWT, Entity.DATE_TIME, Entity.DATE_OF_BIRTH}
)


def resolve_overlaps(findings: Iterable[Finding], priority: Callable[[Finding], int],
                     min_container_priority: int = 0) -> list[Finding]:
    """Keep non-overlapping findings, preferring priority, then length, then score.

    Only findings at ``min_container_priority`` or above may replace the findings
    they contain (a statistical model's long span never swallows validated ones).
    """
    ranked = sorted(findings, key=lambda f: (-priority(f), -len(f), -f.score, f.start))
    starts: list[int] = []
    kept: dict[int, Finding] = {}
    for finding in ranked:
        clashes = _overlapping(finding, starts, kept)
        if not clashes:
            insort(starts, finding.start)
            kept[finding.start] = finding
        elif finding.entity in CONTAINERS and priority(finding) >= min_container_priority and all(
            finding.start <= c.start and c.end <= finding.end and len(c) < len(finding)
            and c.entity not in SECRET_ENTITIES  # a key in a URL's query stays a key
            for c in clashes
        ):
            for clash in clashes:
                starts.remove(clash.start)
                del kept[clash.start]
            insort(starts, finding.start)
            kept[finding.start] = finding
    return [kept[s] for s in starts]


def _overlapping(finding: Finding, starts: list[int], kept: dict[int, Finding]) -> list[Finding]:
    """Kept findings are disjoint and sorted, so the clashes are one contiguous run."""
    index = bisect_left(starts, finding.end)
    clashes: list[Finding] = []
    while index > 0:
        index -= 1
        other = kept[starts[index]]
        if other.end <= finding.start:
            break
        clashes.append(other)
    return clashes
