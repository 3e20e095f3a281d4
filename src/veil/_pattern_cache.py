"""Compiled detection patterns kept in a file between runs: compiling takes seconds, loading milliseconds.

Kept apart from ``veil._setup`` so that ``veil scan`` (a pre-commit hook) can use it without
importing the vault and its database layer.
"""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from veil.detect import compiled_patterns, load_compiled_patterns

#: Where a project keeps the compiled detection patterns between runs (next to its keyring).
PATTERN_CACHE = Path(".veil") / "patterns.bin"


def read_pattern_cache(cache: Path) -> bool:
    """Load compiled patterns from ``cache`` for the detectors built after this call (a detector
    compiles in its constructor); False when there was nothing usable."""
    try:
        return load_compiled_patterns(cache.read_bytes()) > 0
    except OSError:
        return False


def write_pattern_cache(cache: Path) -> None:
    """Keep this process's compiled patterns for the next start (0600, in the 0700 ``.veil`` folder)."""
    with suppress(OSError):  # a read-only project still works, only slower to start
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = cache.with_suffix(".tmp")
        partial.touch(mode=0o600)
        partial.write_bytes(compiled_patterns())
        os.replace(partial, cache)


def load_pattern_cache(cache: Path) -> bytes:
    """Like ``read_pattern_cache``; returns what was read, for ``refresh_pattern_cache``."""
    try:
        data = cache.read_bytes()
    except OSError:
        return b""
    load_compiled_patterns(data)
    return data


def refresh_pattern_cache(cache: Path, previous: bytes) -> None:
    """Rewrite ``cache`` when this process compiled patterns it did not hold (new or changed)."""
    if compiled_patterns() != previous:
        write_pattern_cache(cache)
