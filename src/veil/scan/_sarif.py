"""Scan findings as a SARIF 2.1.0 log, the format code-scanning UIs (GitHub, Azure DevOps) read.

The log carries each finding's message, preview and fingerprint, never the value it found:
a SARIF file is uploaded to third-party services and kept there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from veil.scan._finding import Kind, ScanFinding, Severity

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "veilFingerprint/v1"

_LEVELS = {
    Severity.LOW: "note", Severity.MEDIUM: "warning", Severity.HIGH: "error", Severity.CRITICAL: "error",
}
# GitHub code scanning ranks security alerts by this CVSS-like score (a string in the rule's properties).
_SECURITY_SEVERITY = {
    Severity.LOW: "3.0", Severity.MEDIUM: "5.5", Severity.HIGH: "8.0", Severity.CRITICAL: "9.5",
}
_TAGS = {
    Kind.SECRET: ("security", "secret", "credential"),
    Kind.PII: ("security", "privacy", "pii"),
    Kind.DATASET: ("security", "privacy", "dataset"),
    Kind.FINGERPRINT: ("security", "privacy", "dataset-fingerprint"),
    Kind.LICENSE: ("license", "compliance", "dependency"),
}
_WORD = re.compile(r"[A-Za-z0-9]+")


def to_sarif(
    findings: Sequence[ScanFinding],
    *,
    tool_version: str,
    root: Path | None = None,
    rules: Mapping[str, tuple[str, str]] | None = None,
    information_uri: str | None = None,
    execution_successful: bool = True,
) -> dict[str, Any]:
    """One SARIF 2.1.0 log with one run of ``veil`` holding ``findings`` in order.

    ``rules`` maps a rule id to ``(short description, help text)``; a rule not in it is
    described by its id and helped by the remediation of its first finding. ``root``,
    when given, becomes the absolute base of ``%SRCROOT%`` that every location is relative to.
    """
    descriptors, index = _rules(findings, rules or {})
    driver: dict[str, Any] = {"name": "veil", "version": tool_version, "semanticVersion": tool_version}
    if information_uri:
        driver["informationUri"] = information_uri
    driver["rules"] = descriptors
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": execution_successful}],
        "originalUriBaseIds": {SRCROOT: _base_location(root)},
        "columnKind": "unicodeCodePoints",
        "results": [_result(finding, index[finding.rule], root) for finding in findings],
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def sarif_level(severity: Severity) -> str:
    """The SARIF ``level`` of a severity: low is a note, medium a warning, high and critical errors."""
    return _LEVELS[severity]


def _rules(
    findings: Sequence[ScanFinding], texts: Mapping[str, tuple[str, str]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Rule descriptors sorted by id (deduplicated) and the index of each id among them."""
    firsts: dict[str, ScanFinding] = {}
    worst: dict[str, Severity] = {}
    for finding in findings:
        firsts.setdefault(finding.rule, finding)
        if finding.rule not in worst or finding.severity.rank > worst[finding.rule].rank:
            worst[finding.rule] = finding.severity
    ids = sorted(firsts)
    descriptors = [_descriptor(firsts[rule], worst[rule], texts.get(rule)) for rule in ids]
    return descriptors, {rule: position for position, rule in enumerate(ids)}


def _descriptor(first: ScanFinding, severity: Severity, text: tuple[str, str] | None) -> dict[str, Any]:
    short, help_text = text if text else (_title(first.rule), first.remediation)
    return {
        "id": first.rule,
        "name": _pascal(first.rule),
        "shortDescription": {"text": short or _title(first.rule)},
        "help": {"text": help_text or "See the finding's message."},
        "defaultConfiguration": {"level": _LEVELS[severity]},
        "properties": {
            "tags": list(_TAGS[first.kind]),
            "security-severity": _SECURITY_SEVERITY[severity],
            "kind": str(first.kind),
        },
    }


def _result(finding: ScanFinding, rule_index: int, root: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message or _title(finding.rule)},
        "locations": [_location(finding, root)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    properties: dict[str, Any] = {"kind": str(finding.kind), "severity": str(finding.severity)}
    for key, value in (("entity", finding.entity), ("preview", finding.preview), ("commit", finding.commit)):
        if value:
            properties[key] = value
    if finding.remediation:
        properties["remediation"] = finding.remediation
    result["properties"] = properties
    return result


def _location(finding: ScanFinding, root: Path | None) -> dict[str, Any]:
    """A physical location in the file; an archive member points at the archive and names the member."""
    outer, _, member = finding.path.partition("!")
    physical: dict[str, Any] = {"artifactLocation": _artifact(outer or ".", root)}
    location: dict[str, Any] = {"physicalLocation": physical}
    region = _region(finding)
    if member:
        # Lines count inside the member, not the archive: they travel as properties.
        logical = {"name": member, "fullyQualifiedName": finding.path, "kind": "member"}
        location["logicalLocations"] = [logical]
        location["properties"] = {"archiveMember": member, **({"memberRegion": region} if region else {})}
    elif region:
        physical["region"] = region
    return location


def _region(finding: ScanFinding) -> dict[str, int] | None:
    if finding.line <= 0:
        return None
    region = {"startLine": finding.line}
    if finding.column > 0:
        region["startColumn"] = finding.column
    end_line = max(finding.end_line, finding.line)
    region["endLine"] = end_line
    if finding.end_column > 0 and (end_line > finding.line or finding.end_column >= finding.column):
        region["endColumn"] = finding.end_column
    return region


def _artifact(path: str, root: Path | None) -> dict[str, Any]:
    """A relative path becomes a ``%SRCROOT%``-relative URI; an absolute one outside root, a file URI."""
    candidate = Path(path)
    if candidate.is_absolute():
        if root is None or not candidate.is_relative_to(root):
            return {"uri": candidate.as_uri()}
        path = candidate.relative_to(root).as_posix()
    posix = PurePosixPath(path.replace("\\", "/")).as_posix()
    return {"uri": quote(posix, safe="/"), "uriBaseId": SRCROOT}


def _base_location(root: Path | None) -> dict[str, Any]:
    if root is None:
        return {"description": {"text": "The root of the scanned tree."}}
    uri = root.resolve().as_uri()
    return {"uri": uri if uri.endswith("/") else uri + "/"}


def _title(rule: str) -> str:
    words = _WORD.findall(rule)
    return " ".join(words).capitalize() if words else rule


def _pascal(rule: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in _WORD.findall(rule)) or rule
