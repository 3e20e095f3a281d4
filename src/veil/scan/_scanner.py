"""The scan of files and folders: walked, read, detected, in parallel over all cores.

Workers are forked processes that inherit the compiled detector, so no core pays
for compiling the patterns again; each takes a batch of files at a time.
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from veil.detect import Detector, secret_recognizers
from veil.errors import VeilError
from veil.scan._allow import AllowComment
from veil.scan._dataset_readers import PARQUET, SQLITE, dataset_kind, is_dataset_name
from veil.scan._datasets import DatasetPolicy, dataset_findings, profile_dataset
from veil.scan._finding import ScanFinding
from veil.scan._fingerprints import FingerprintStore, fingerprint_findings
from veil.scan._sources import SNIFF, Limits, Skipped, Source, sources
from veil.scan._text import TextResult, scan_text
from veil.scan._walk import FileEntry, WalkStats, walk

if TYPE_CHECKING:
    from concurrent.futures import Executor

#: A batch handed to one worker: enough to outweigh the hand-over, small enough to balance.
BATCH_BYTES = 1 << 20
BATCH_FILES = 64
#: Below this much input one process is faster than starting workers.
PARALLEL_BYTES = 2 << 20
BINARY_DATASETS = frozenset({PARQUET, SQLITE})

Progress = Callable[[int, int], None]  # (files done, bytes done) since the last call


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """What a scan reads and reports. ``jobs`` 0 means every core."""

    pii: bool = False
    datasets: bool = True
    include_vendored: bool = False
    include_ignored: bool = False
    limits: Limits = field(default_factory=Limits)
    dataset_policy: DatasetPolicy = field(default_factory=DatasetPolicy)
    dataset_rows: int = 2000
    jobs: int = 0


@dataclass(slots=True)
class ScanReport:
    findings: list[ScanFinding] = field(default_factory=list)
    allows: list[AllowComment] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)
    datasets: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: ScanReport) -> None:
        self.findings.extend(other.findings)
        self.allows.extend(other.allows)
        self.files += other.files
        self.bytes += other.bytes
        self.skipped.update(other.skipped)
        self.suppressed.update(other.suppressed)
        self.datasets.extend(other.datasets)

    def sort(self) -> None:
        self.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
        self.allows.sort(key=lambda a: (a.path, a.line))

    def summary(self) -> dict[str, object]:
        return {
            "files": self.files, "bytes": self.bytes, "findings": len(self.findings),
            "skipped": dict(sorted(self.skipped.items())),
            "suppressed": dict(sorted(self.suppressed.items())),
            "seconds": round(self.seconds, 3),
        }

    def to_dict(self) -> dict[str, object]:
        return {"version": 1, "findings": [f.to_dict() for f in self.findings],
                "datasets": self.datasets, "summary": self.summary()}


class Scanner:
    """Scans files, folders and texts with one detector (secrets, and personal data if asked)."""

    def __init__(self, options: ScanOptions | None = None, *, detector: Detector | None = None,
                 fingerprints: FingerprintStore | None = None) -> None:
        self.options = options or ScanOptions()
        self.detector = detector or default_scan_detector(pii=self.options.pii)
        self._profiler: Detector | None = None  # the full detector for datasets, made when needed
        self.fingerprints = fingerprints

    def scan_paths(self, paths: Sequence[Path], root: Path, *,
                   progress: Progress | None = None) -> ScanReport:
        started = time.perf_counter()
        stats = WalkStats()
        entries = list(walk(paths, root, include_vendored=self.options.include_vendored,
                            include_ignored=self.options.include_ignored, stats=stats))
        report = self._scan_entries(entries, progress)
        report.skipped.update({"ignored": stats.ignored, "vendored": stats.vendored,
                               "unreadable": stats.unreadable})
        report.skipped = +report.skipped  # drop zero counts
        report.sort()
        report.seconds = time.perf_counter() - started
        return report

    def scan_sources(self, texts: Iterable[Source]) -> ScanReport:
        """Texts from elsewhere (a git diff, a commit): detection and exceptions only."""
        report = ScanReport()
        for source in texts:
            self._add_text(report, source)
        report.sort()
        return report

    def scan_file(self, entry: FileEntry) -> ScanReport:
        report = ScanReport(files=1, bytes=entry.size)
        try:
            head = _head(entry.path)
            kind = dataset_kind(entry.path, head) if self.options.datasets else None
            if kind is not None:
                self._add_dataset(report, entry)
                if kind in BINARY_DATASETS or entry.size > self.options.limits.file_bytes:
                    return report  # profiled; a big CSV is not read whole as text too
            elif entry.size > self.options.limits.file_bytes:
                report.skipped["too_large"] += 1
                return report
            data = entry.path.read_bytes()
        except OSError:
            report.skipped["unreadable"] += 1
            return report
        skipped = Skipped()
        for source in sources(entry.display, data, self.options.limits, skipped):
            self._add_text(report, source)
        report.skipped.update(skipped.counts)
        return report

    def scan_dataset(self, path: Path, display: str) -> ScanReport:
        """A dataset file's profile and verdict (and fingerprint matches), without its text."""
        report = ScanReport(files=1, bytes=path.stat().st_size)
        self._add_dataset(report, FileEntry(path, display, report.bytes))
        return report

    def _add_text(self, report: ScanReport, source: Source) -> None:
        result: TextResult = scan_text(self.detector, source, pii=self.options.pii)
        report.findings.extend(result.findings)
        report.allows.extend(result.allows)
        if result.suppressed:
            report.suppressed["inline"] += result.suppressed

    def _add_dataset(self, report: ScanReport, entry: FileEntry) -> None:
        try:
            profiles = profile_dataset(entry.path, self._dataset_detector(),
                                       max_rows=self.options.dataset_rows)
            matches = self.fingerprints.match(entry.path) if self.fingerprints is not None else []
        except VeilError:  # unreadable as a dataset; its text (when it is text) is still scanned
            report.skipped["unreadable_dataset"] += 1
            return
        for profile in profiles:
            report.findings.extend(dataset_findings(profile, self.options.dataset_policy, entry.display))
            report.datasets.append({"path": entry.display, **profile.to_dict()})
        report.findings.extend(fingerprint_findings(matches, entry.display))

    def _dataset_detector(self) -> Detector:
        if self._profiler is None:
            self._profiler = _full_detector()
        return self._profiler

    def _scan_entries(self, entries: list[FileEntry], progress: Progress | None) -> ScanReport:
        report = ScanReport()
        jobs = self.options.jobs or os.cpu_count() or 1
        total = sum(e.size for e in entries)
        if jobs == 1 or total < PARALLEL_BYTES or len(entries) < 2:
            for entry in entries:
                report.merge(self.scan_file(entry))
                if progress is not None:
                    progress(1, entry.size)
            return report
        if self.options.datasets and any(is_dataset_name(e.path.name) for e in entries):
            self._dataset_detector()  # compiled once here, not once per worker
        from concurrent.futures import as_completed

        with _pool(self, jobs) as pool:
            futures = {pool.submit(_scan_batch, batch): batch for batch in _batches(entries)}
            for future in as_completed(futures):
                report.merge(future.result())
                if progress is not None:
                    batch = futures[future]
                    progress(len(batch), sum(e.size for e in batch))
        return report


def default_scan_detector(*, pii: bool = False) -> Detector:
    """Secrets only by default: source code is full of dates and names that are not personal data."""
    return _full_detector() if pii else Detector(secret_recognizers())


def _full_detector() -> Detector:
    from veil.detect import default_detector

    return default_detector()


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SNIFF)


def _batches(entries: list[FileEntry]) -> Iterable[list[FileEntry]]:
    batch: list[FileEntry] = []
    size = 0
    # Largest first, so one big file does not finish last on its own.
    for entry in sorted(entries, key=lambda e: -e.size):
        batch.append(entry)
        size += entry.size
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


_WORKER: Scanner | None = None


def _install(scanner: Scanner) -> None:
    global _WORKER
    _WORKER = scanner


def _build(options: ScanOptions, fingerprints: FingerprintStore | None) -> None:
    _install(Scanner(options, fingerprints=fingerprints))


def _scan_batch(batch: list[FileEntry]) -> ScanReport:
    assert _WORKER is not None
    report = ScanReport()
    for entry in batch:
        report.merge(_WORKER.scan_file(entry))
    return report


def _pool(scanner: Scanner, jobs: int) -> Executor:
    # Imported here: a pre-commit run over a few staged lines never starts a pool.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if sys.platform == "linux":  # forked workers share the compiled detector
        _install(scanner)
        return ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    return ProcessPoolExecutor(jobs, initializer=_build, initargs=(scanner.options, scanner.fingerprints))
