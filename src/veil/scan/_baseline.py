"""The baseline: accepted findings, stored by fingerprint (never by value), each with a reason.

``.veil-baseline.json`` is meant to be committed and reviewed; ``audit`` lists what it
accepts and what inline exceptions accept, and flags what needs a look: entries or
exceptions with no reason, entries whose finding is gone, exceptions that name no rule.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from veil.errors import InvalidInput
from veil.scan._allow import AllowComment
from veil.scan._finding import ScanFinding

BASELINE_NAME = ".veil-baseline.json"
FORMAT_VERSION = 1
_FIELDS = ("fingerprint", "rule", "path", "line", "reason", "added")


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    rule: str
    path: str
    line: int
    reason: str
    added: str


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[BaselineEntry, ...] = ()

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries if e.reason.strip())

    def apply(self, findings: Iterable[ScanFinding]) -> tuple[list[ScanFinding], int]:
        """Findings the baseline does not accept, and how many it accepted.

        An entry without a reason accepts nothing: the finding stays until someone says why.
        """
        accepted = self.fingerprints
        every = list(findings)
        kept = [f for f in every if f.fingerprint not in accepted]
        return kept, len(every) - len(kept)

    def updated(self, findings: Sequence[ScanFinding], reason: str, today: date) -> Baseline:
        """Every current finding accepted; known entries keep their reason and date."""
        known = {e.fingerprint: e for e in self.entries}
        entries: dict[str, BaselineEntry] = {}
        for finding in findings:
            old = known.get(finding.fingerprint)
            entries[finding.fingerprint] = BaselineEntry(
                finding.fingerprint, finding.rule, finding.path, finding.line,
                old.reason if old else reason, old.added if old else today.isoformat())
        return Baseline(tuple(sorted(entries.values(), key=lambda e: (e.path, e.line, e.rule))))


def load_baseline(path: Path) -> Baseline:
    """The baseline at ``path``; a missing file is an empty baseline."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return Baseline()
    except (OSError, UnicodeDecodeError, ValueError):
        raise InvalidInput(f"{path}: not a readable baseline (JSON); fix or delete it") from None
    if not isinstance(raw, dict) or raw.get("version") != FORMAT_VERSION:
        raise InvalidInput(f"{path}: not a version {FORMAT_VERSION} Veil baseline")
    entries = raw.get("entries")
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: 'entries' must be a list")
    return Baseline(tuple(_entry(item, path, index) for index, item in enumerate(entries)))


def _entry(item: object, path: Path, index: int) -> BaselineEntry:
    if not isinstance(item, dict):
        raise InvalidInput(f"{path}: entry {index} must be an object")
    fingerprint = item.get("fingerprint")
    if not isinstance(fingerprint, str) or len(fingerprint) != 32:
        raise InvalidInput(f"{path}: entry {index} needs a 32-character 'fingerprint'")
    line = item.get("line", 0)
    texts = {key: item.get(key, "") for key in ("rule", "path", "reason", "added")}
    if not isinstance(line, int) or not all(isinstance(v, str) for v in texts.values()):
        raise InvalidInput(f"{path}: entry {index} has a field of the wrong type")
    return BaselineEntry(fingerprint, str(texts["rule"]), str(texts["path"]), line,
                         str(texts["reason"]), str(texts["added"]))


def write_baseline(path: Path, baseline: Baseline) -> None:
    """Written whole to a temporary file, then renamed: a crash leaves the old file intact."""
    document = {"version": FORMAT_VERSION, "tool": "veil",
                "note": "Accepted findings by fingerprint; values are never stored. "
                        "Give each entry a reason; review with `veil scan --audit-baseline`.",
                "entries": [{key: asdict(e)[key] for key in _FIELDS} for e in baseline.entries]}
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    handle, temporary = tempfile.mkstemp(prefix=".veil-baseline.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class AuditItem:
    """One accepted thing and what a reviewer should know about it (``problem`` empty: fine)."""

    source: str  # "baseline" or "inline"
    path: str
    line: int
    rule: str
    reason: str
    problem: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def audit(baseline: Baseline, current: Iterable[ScanFinding], allows: Iterable[AllowComment],
          known_rules: Collection[str]) -> list[AuditItem]:
    """Review of the baseline and the inline exceptions against a scan that applied neither."""
    present = {f.fingerprint for f in current}
    items = [AuditItem("baseline", e.path, e.line, e.rule, e.reason, _entry_problem(e, present))
             for e in baseline.entries]
    known = {rule.lower() for rule in known_rules} | {"*"}
    items += [AuditItem("inline", a.path, a.line, a.rule, a.reason, _allow_problem(a, known))
              for a in allows]
    return sorted(items, key=lambda i: (i.path, i.line, i.source))


def _entry_problem(entry: BaselineEntry, present: set[str]) -> str:
    if not entry.reason.strip():
        return "no reason given: it accepts nothing until one is written"
    if entry.fingerprint not in present:
        return "stale: nothing in this scan matches it; remove the entry"
    return ""


def _allow_problem(allow: AllowComment, known: set[str]) -> str:
    if not allow.reason:
        return "no reason given: write `veil: allow <rule> <why>`"
    if allow.rule.lower() not in known:
        return "unknown rule: name a rule id or an entity type"
    if not allow.used:
        return "unused: no finding on this line or the next"
    return ""
