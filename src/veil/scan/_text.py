"""Findings in one text: detection, positions in lines, inline exceptions, previews."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace

from veil.detect import SECRET_ENTITIES, Detector, Finding
from veil.scan._allow import AllowComment, allow_comments
from veil.scan._finding import Kind, ScanFinding, Severity, preview, value_fingerprint
from veil.scan._remediation import remediation_for, severity_for
from veil.scan._sources import Source

#: Rules whose look-alikes fill lock files (integrity hashes): not run there.
GENERIC_RULES = frozenset({"generic_secret", "aws_secret_key", "twilio_auth_token"})
_SECRET_NAMES = frozenset(str(e) for e in SECRET_ENTITIES)
_PII_REMEDIATION = ("Personal data in source: remove it, replace it with generated fake data, "
                    "or keep it in the Veil vault and reference it by id.")
_NEWLINE = re.compile("\n")


@dataclass(slots=True)
class TextResult:
    findings: list[ScanFinding] = field(default_factory=list)
    allows: list[AllowComment] = field(default_factory=list)
    suppressed: int = 0


class _Lines:
    def __init__(self, text: str) -> None:
        self._starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]

    def position(self, offset: int) -> tuple[int, int]:
        """0-based line index and 1-based column of ``offset``."""
        index = bisect_right(self._starts, offset) - 1
        return index, offset - self._starts[index] + 1


def scan_text(detector: Detector, source: Source, *, pii: bool) -> TextResult:
    """What ``detector`` finds in ``source``, as scan findings; exceptions applied."""
    result = TextResult()
    text = source.text
    found = [f for f in detector.detect(text) if _wanted(f, source, pii)]
    marks = list(allow_comments(text))
    if not found and not marks:
        return result
    lines = _Lines(text)
    result.allows = [AllowComment(source.display, source.line_number(lines.position(offset)[0]), rule, why)
                     for offset, rule, why in marks]
    by_line = {allow.line: allow for allow in result.allows}
    used: set[int] = set()
    for finding in found:
        scanned = _finding(finding, source, lines)
        allow = _exception(scanned, by_line)
        if allow is None:
            result.findings.append(scanned)
        else:
            used.add(allow.line)
            result.suppressed += 1
    result.allows = [replace(a, used=True) if a.line in used else a for a in result.allows]
    return result


def _wanted(finding: Finding, source: Source, pii: bool) -> bool:
    if str(finding.entity) not in _SECRET_NAMES:
        return pii
    return not (source.lockfile and finding.recognizer in GENERIC_RULES)


def _finding(finding: Finding, source: Source, lines: _Lines) -> ScanFinding:
    value = source.text[finding.start:finding.end]
    line, column = lines.position(finding.start)
    end_line, end_column = lines.position(finding.end)
    entity = str(finding.entity)
    rule = finding.recognizer
    secret = entity in _SECRET_NAMES
    return ScanFinding(
        rule=rule,
        kind=Kind.SECRET if secret else Kind.PII,
        severity=severity_for(rule) if secret else Severity.MEDIUM,
        path=source.display,
        line=source.line_number(line),
        column=column,
        end_line=source.line_number(end_line),
        end_column=end_column,
        message=f"{entity} (rule {rule}, confidence {finding.score:.2f})",
        remediation=remediation_for(rule) if secret else _PII_REMEDIATION,
        fingerprint=value_fingerprint(rule, value),
        preview=preview(value),
        entity=entity,
        commit=source.commit,
    )


def _exception(finding: ScanFinding, by_line: dict[int, AllowComment]) -> AllowComment | None:
    for line in (finding.line, finding.line - 1):
        allow = by_line.get(line)
        if allow is not None and allow.covers(finding.rule, finding.entity):
            return allow
    return None
