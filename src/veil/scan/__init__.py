"""Scanning repositories, diffs and datasets for secrets, personal data and licences.

``scan_path(".")`` scans a tree; ``Scanner`` is the configured form, with ``scan_diff``
and ``scan_history`` for git. Findings carry a fingerprint and a preview, never a value.
Needs no database and no web framework.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veil.scan._allow import AllowComment
from veil.scan._baseline import (
    BASELINE_NAME,
    AuditItem,
    Baseline,
    BaselineEntry,
    audit,
    load_baseline,
    write_baseline,
)
from veil.scan._changes import scan_diff, scan_history
from veil.scan._datasets import (
    ColumnProfile,
    DatasetPolicy,
    DatasetProfile,
    dataset_findings,
    profile_dataset,
)
from veil.scan._finding import Kind, ScanFinding, Severity, preview, value_fingerprint
from veil.scan._fingerprints import FingerprintMatch, FingerprintStore, fingerprint_findings
from veil.scan._git import GitProblem
from veil.scan._remediation import remediation_for, severity_for
from veil.scan._sarif import to_sarif
from veil.scan._scanner import Scanner, ScanOptions, ScanReport, default_scan_detector
from veil.scan._sources import Limits

if TYPE_CHECKING:
    from veil.scan._licenses import DependencyLicense, LicenseReport, check_licenses
    from veil.scan._spdx import LicensePolicy, PolicyExceptions, default_policy

#: Licence checking reads package metadata with ``packaging``: loaded on first use, not by a hook.
_LICENSE_NAMES = {
    "DependencyLicense": "_licenses", "LicenseReport": "_licenses", "check_licenses": "_licenses",
    "LicensePolicy": "_spdx", "PolicyExceptions": "_spdx", "default_policy": "_spdx",
}


def __getattr__(name: str) -> Any:
    module = _LICENSE_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'veil.scan' has no attribute {name!r}")
    return getattr(importlib.import_module(f"veil.scan.{module}"), name)


def scan_path(*paths: str | Path, root: str | Path | None = None,
              options: ScanOptions | None = None) -> ScanReport:
    """Scan files and folders (``.gitignore`` and ``.veilignore`` honoured) for secrets."""
    chosen = [Path(p) for p in paths] or [Path()]
    base = Path(root) if root is not None else (chosen[0] if len(chosen) == 1 and chosen[0].is_dir()
                                                else Path.cwd())
    return Scanner(options).scan_paths(chosen, base)


__all__ = [
    "BASELINE_NAME",
    "AllowComment",
    "AuditItem",
    "Baseline",
    "BaselineEntry",
    "ColumnProfile",
    "DatasetPolicy",
    "DatasetProfile",
    "DependencyLicense",
    "FingerprintMatch",
    "FingerprintStore",
    "GitProblem",
    "Kind",
    "LicensePolicy",
    "LicenseReport",
    "Limits",
    "PolicyExceptions",
    "ScanFinding",
    "ScanOptions",
    "ScanReport",
    "Scanner",
    "Severity",
    "audit",
    "check_licenses",
    "dataset_findings",
    "default_policy",
    "default_scan_detector",
    "fingerprint_findings",
    "load_baseline",
    "preview",
    "profile_dataset",
    "remediation_for",
    "scan_diff",
    "scan_history",
    "scan_path",
    "severity_for",
    "to_sarif",
    "value_fingerprint",
    "write_baseline",
]
