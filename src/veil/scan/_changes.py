"""Scans of what git changes: a range, the index (pre-commit) or a branch's whole history."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path, PurePosixPath

from veil.scan._dataset_readers import is_dataset_name
from veil.scan._git import added_files, diff_sources, history_sources, show
from veil.scan._scanner import Scanner, ScanReport


def scan_diff(scanner: Scanner, repo: Path, *, revisions: str | None = None,
              staged: bool = False) -> ScanReport:
    """Added lines of ``revisions`` (``BASE..HEAD``) or of the index; added datasets read whole."""
    started = time.perf_counter()
    sources = diff_sources(repo, revisions=revisions, staged=staged)
    report = scanner.scan_sources(sources)
    report.files = len({s.display for s in sources})
    report.bytes = sum(len(s.text.encode("utf-8", "replace")) for s in sources)
    if scanner.options.datasets:
        for added in added_files(repo, revisions=revisions, staged=staged):
            if is_dataset_name(added.path):
                report.merge(_dataset_at(scanner, repo, added.path, added.revision))
    report.sort()
    report.seconds = time.perf_counter() - started
    return report


def scan_history(scanner: Scanner, repo: Path, ref: str = "HEAD") -> ScanReport:
    """Every commit's added lines; a value found in several commits is reported once, at the first."""
    started = time.perf_counter()
    report = ScanReport()
    seen: set[tuple[str, str]] = set()
    for source in history_sources(repo, ref):
        found = scanner.scan_sources([source])
        report.bytes += len(source.text.encode("utf-8", "replace"))
        for finding in found.findings:
            key = (finding.fingerprint, finding.path)
            if key not in seen:
                seen.add(key)
                report.findings.append(finding)
        report.allows.extend(found.allows)
        report.suppressed.update(found.suppressed)
    report.files = len({f.path for f in report.findings})
    report.sort()
    report.seconds = time.perf_counter() - started
    return report


def _dataset_at(scanner: Scanner, repo: Path, path: str, revision: str) -> ScanReport:
    if not revision:  # the work tree's own file
        return scanner.scan_dataset(repo / path, path)
    content = show(repo, revision)
    suffix = "".join(PurePosixPath(path).suffixes[-2:])
    with tempfile.TemporaryDirectory(prefix="veil-scan-") as folder:
        copy = Path(folder) / f"dataset{suffix}"
        copy.write_bytes(content)
        return scanner.scan_dataset(copy, path)
