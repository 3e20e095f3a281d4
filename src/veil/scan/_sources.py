"""From a file's bytes to the texts a scan reads: archives opened, notebooks split, binaries skipped.

Archives are read in memory with bounds on every member and on their total, so a
zip bomb costs at most ``Limits.archive_bytes``; nesting stops at ``Limits.depth``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, chain
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Protocol

from veil.scan._dataset_readers import PARQUET_MAGIC, SQLITE_MAGIC

if TYPE_CHECKING:
    import tarfile

SNIFF = 8192
#: Files whose hashes look like secrets and hold none of their own: provider rules only.
LOCK_FILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
    "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "go.sum", "composer.lock", "Gemfile.lock",
    "packages.lock.json", "flake.lock", "gradle.lockfile", "mix.lock", "pubspec.lock", "Podfile.lock",
})
MINIFIED_SUFFIXES = (".min.js", ".min.css", ".min.mjs", "-min.js", ".bundle.js", ".js.map", ".css.map")
_SCRIPT_SUFFIXES = (".js", ".mjs", ".cjs", ".css")
_MINIFIED_LINE = 500  # average characters per line above which a script is taken as minified


@dataclass(frozen=True, slots=True)
class Limits:
    file_bytes: int = 64 << 20
    archive_bytes: int = 256 << 20
    depth: int = 3
    include_minified: bool = False


@dataclass(frozen=True, slots=True)
class Source:
    """A text to scan. Its lines are numbered from ``first_line`` unless ``line_map`` gives
    each line's number in the file (a notebook cell, an added block of a diff)."""

    display: str
    text: str
    first_line: int = 1
    line_map: tuple[int, ...] | None = None
    commit: str | None = None
    lockfile: bool = False

    def line_number(self, index: int) -> int:
        """The file's line number of the text's line ``index`` (0-based)."""
        if self.line_map is not None:
            return self.line_map[min(index, len(self.line_map) - 1)]
        return self.first_line + index


@dataclass(slots=True)
class Skipped:
    counts: Counter[str] = field(default_factory=Counter)


def sources(display: str, data: bytes, limits: Limits, skipped: Skipped, *,
            depth: int = 0, budget: list[int] | None = None) -> Iterator[Source]:
    """The texts inside ``data`` (a file's whole content) named ``display``."""
    budget = budget if budget is not None else [limits.archive_bytes]
    name = PurePosixPath(display.rsplit("!", 1)[-1]).name
    opener = _archive_opener(data)
    if opener is not None:
        if depth >= limits.depth:
            skipped.counts["archive_depth"] += 1
            return
        yield from opener(display, data, limits, skipped, depth + 1, budget)
        return
    if data.startswith((SQLITE_MAGIC, PARQUET_MAGIC)):
        return  # a dataset: profiled, not read as text
    text = decode(data[: limits.file_bytes])
    if text is None:
        skipped.counts["binary"] += 1
        return
    if not limits.include_minified and _minified(name, text):
        skipped.counts["minified"] += 1
        return
    if name.endswith(".ipynb"):
        cells = list(notebook_sources(display, text))
        if cells:
            yield from cells
            return
    yield Source(display, text, lockfile=name in LOCK_FILES)


def decode(data: bytes) -> str | None:
    """Text, or None for binary content (NUL bytes or mostly undecodable near the start)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    head = data[:SNIFF]
    if b"\x00" in head:
        return None
    text = data.decode("utf-8", errors="replace")
    sniffed = text[:SNIFF]
    if sniffed and sniffed.count("\ufffd") > len(sniffed) // 10:
        return None
    return text


def _minified(name: str, text: str) -> bool:
    lowered = name.lower()
    if lowered.endswith(MINIFIED_SUFFIXES):
        return True
    if not lowered.endswith(_SCRIPT_SUFFIXES):
        return False
    sample = text[:65536]
    return len(sample) > 4 * _MINIFIED_LINE and len(sample) / (sample.count("\n") + 1) > _MINIFIED_LINE


def notebook_sources(display: str, raw: str) -> Iterator[Source]:
    """Each cell's source and text outputs, with the raw file's line for each of their lines."""
    try:
        document = json.loads(raw)
    except ValueError:
        return
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return
    locator = _LineLocator(raw)
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        yield from _cell_texts(display, cell, locator)


def _cell_texts(display: str, cell: dict[str, object], locator: _LineLocator) -> Iterator[Source]:
    parts = [cell.get("source")]
    outputs = cell.get("outputs")
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict):
            data = output.get("data")
            parts.append(output.get("text"))
            parts.append(data.get("text/plain") if isinstance(data, dict) else None)
    for part in parts:
        pieces = [part] if isinstance(part, str) else part if isinstance(part, list) else []
        strings = [p for p in pieces if isinstance(p, str) and p]
        if strings:
            yield Source(display, "".join(strings), line_map=_cell_lines(strings, locator))


def _cell_lines(strings: list[str], locator: _LineLocator) -> tuple[int, ...]:
    """For each line of the joined strings, the raw line of the string it starts in."""
    raw_lines = [locator.find(piece) for piece in strings]
    ends = list(accumulate(len(piece) for piece in strings))
    text = "".join(strings)
    starts = [0, *(i + 1 for i, char in enumerate(text) if char == "\n")]
    return tuple(raw_lines[min(bisect_right(ends, start), len(raw_lines) - 1)] for start in starts)


class _LineLocator:
    """Finds, moving forward, the raw line where a JSON string of a notebook is written."""

    def __init__(self, raw: str) -> None:
        self._lines = raw.splitlines()
        self._cursor = 0

    def find(self, piece: str) -> int:
        needles = {json.dumps(piece)[1:-1][:60], json.dumps(piece, ensure_ascii=False)[1:-1][:60]}
        # Forward first; then from the top: Jupyter writes a cell's outputs before its source.
        for index in chain(range(self._cursor, len(self._lines)), range(self._cursor)):
            if any(needle in self._lines[index] for needle in needles):
                self._cursor = index
                return index + 1
        return self._cursor + 1


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


_Opener = Callable[[str, bytes, Limits, Skipped, int, list[int]], Iterator[Source]]


def _archive_opener(data: bytes) -> _Opener | None:
    if data.startswith(b"PK\x03\x04"):
        return _zip_members
    if data.startswith(b"\x1f\x8b") or data.startswith(b"BZh") or data.startswith(b"\xfd7zXZ"):
        return _compressed_members
    if data[257:262] == b"ustar":
        return _tar_members
    return None


def _zip_members(display: str, data: bytes, limits: Limits, skipped: Skipped, depth: int,
                 budget: list[int]) -> Iterator[Source]:
    import zipfile  # archives are rare: a pre-commit run should not pay for the module

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        skipped.counts["bad_archive"] += 1
        return
    for member in members:
        try:
            with archive.open(member) as handle:
                content = _bounded_read(handle, limits, budget, skipped)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
            skipped.counts["bad_archive"] += 1  # encrypted, corrupt or an unknown compression
            continue
        if content is not None:
            yield from sources(f"{display}!{member.filename}", content, limits, skipped,
                               depth=depth, budget=budget)


def _tar_members(display: str, data: bytes, limits: Limits, skipped: Skipped, depth: int,
                 budget: list[int]) -> Iterator[Source]:
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = [m for m in archive.getmembers() if m.isfile()]
            contents = [_tar_member(archive, m, limits, budget, skipped) for m in members]
    except (tarfile.TarError, OSError, ValueError):
        skipped.counts["bad_archive"] += 1
        return
    for member, content in zip(members, contents, strict=True):
        if content is not None:
            yield from sources(f"{display}!{member.name}", content, limits, skipped,
                               depth=depth, budget=budget)


def _tar_member(archive: tarfile.TarFile, member: tarfile.TarInfo, limits: Limits, budget: list[int],
                skipped: Skipped) -> bytes | None:
    handle = archive.extractfile(member)
    return None if handle is None else _bounded_read(handle, limits, budget, skipped)


def _compressed_members(display: str, data: bytes, limits: Limits, skipped: Skipped, depth: int,
                        budget: list[int]) -> Iterator[Source]:
    """A .gz/.bz2/.xz file: one member, which may itself be a tar archive."""
    try:
        with _decompressor(data) as handle:
            content = _bounded_read(handle, limits, budget, skipped)
    except (OSError, EOFError, lzma.LZMAError, ValueError):
        skipped.counts["bad_archive"] += 1
        return
    if content is None:
        return
    if content[257:262] == b"ustar":  # a .tar.gz: its members are named right after it
        yield from _tar_members(display, content, limits, skipped, depth, budget)
        return
    inner = PurePosixPath(display.rsplit("!", 1)[-1]).name
    name = inner[: inner.rfind(".")] if "." in inner else inner
    yield from sources(f"{display}!{name}", content, limits, skipped, depth=depth, budget=budget)


def _decompressor(data: bytes) -> gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile:
    if data.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=io.BytesIO(data))
    if data.startswith(b"BZh"):
        return bz2.BZ2File(io.BytesIO(data))
    return lzma.LZMAFile(io.BytesIO(data))


def _bounded_read(handle: _Readable, limits: Limits, budget: list[int], skipped: Skipped) -> bytes | None:
    """At most ``limits.file_bytes`` of one member, charged to the archive's shared budget."""
    allowed = min(limits.file_bytes, budget[0])
    content = handle.read(allowed + 1)
    if len(content) > allowed:
        skipped.counts["too_large" if allowed == limits.file_bytes else "archive_budget"] += 1
        budget[0] = 0 if allowed < limits.file_bytes else budget[0]
        return None
    budget[0] -= len(content)
    return content
