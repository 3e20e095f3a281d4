"""What a benchmark result was measured on: package versions and the source state (stdlib only)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def versions(names: Iterable[str]) -> dict[str, str]:
    """The installed version of each distribution in ``names`` that is installed."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found[name] = version(name)
    return found


def source_state() -> dict[str, Any]:
    """The commit measured and the files under src/ that differ from it (git calls that write nothing)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True,
                                  text=True, timeout=10).stdout.rstrip("\n")  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines() if line]
    return {"commit": git("rev-parse", "--short", "HEAD"), "src_changed": changed}
