"""What a scan reports: where a problem is and how to fix it, never the secret itself."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    SECRET = "secret"  # noqa: S105 - a kind of finding, not a password
    PII = "pii"
    DATASET = "dataset"
    FINGERPRINT = "fingerprint"
    LICENSE = "license"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


@dataclass(frozen=True, slots=True)
class ScanFinding:
    """One finding. ``path`` is relative and uses ``/``; an archive member is ``a.zip!inner/f``.

    ``line`` and ``column`` are 1-based (column in code points); ``line`` is 0 where a
    finding belongs to a whole file (a dataset verdict, a licence). ``preview`` shows at
    most the first and last characters of a value; ``fingerprint`` identifies the value
    without revealing it (the baseline stores only this).
    """

    rule: str
    kind: Kind
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    remediation: str
    fingerprint: str
    preview: str = ""
    entity: str = ""
    commit: str | None = None
    end_line: int = 0
    end_column: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "rule": self.rule, "kind": str(self.kind), "severity": str(self.severity),
            "entity": self.entity, "path": self.path, "line": self.line, "column": self.column,
            "end_line": self.end_line or self.line, "end_column": self.end_column or self.column,
            "message": self.message, "remediation": self.remediation,
            "fingerprint": self.fingerprint, "preview": self.preview,
        }
        if self.commit:
            data["commit"] = self.commit
        if self.extra:
            data["extra"] = self.extra
        return data


def value_fingerprint(rule: str, value: str) -> str:
    """A stable id of ``value`` under ``rule``: 128 bits of SHA-256, domain-separated.

    It does not depend on the file or line, so an accepted value stays accepted when
    code moves. A weak password can still be guessed from it offline: baselines are
    for accepted non-secrets (fixtures, examples), never for live credentials.
    """
    digest = hashlib.sha256(f"veil-scan-v1\0{rule}\0{value}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def file_fingerprint(rule: str, path: str, detail: str = "") -> str:
    """The id of a whole-file finding (a dataset verdict, a licence): rule, path and detail."""
    return hashlib.sha256(f"veil-scan-v1\0{rule}\0{path}\0{detail}".encode()).hexdigest()[:32]


def preview(value: str) -> str:
    """At most the first four and last two characters, with the length in between.

    Short values show less: a value under 12 characters shows only its first one.
    """
    size = len(value)
    if size < 12:
        return f"{value[:1]}…({size})"
    return f"{value[:4]}…{value[-2:]}({size})"
