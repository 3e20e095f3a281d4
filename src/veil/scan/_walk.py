"""Which files a scan reads: ``.gitignore`` and ``.veilignore`` honoured, vendored trees skipped.

Paths named on the command line are always read (pre-commit passes file names);
folders are walked top-down, each ignore file applying to its own folder and below.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from veil.errors import InvalidInput

if TYPE_CHECKING:
    import pathspec

IGNORE_FILES = (".gitignore", ".veilignore")
#: Folders of other people's code or of tools' caches: scanned only when asked.
VENDORED = frozenset({
    "node_modules", "bower_components", "jspm_packages", "vendor", "third_party", "third-party",
    "site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", "__pycache__", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", ".hypothesis", ".gradle", ".terraform", "Pods", "Carthage",
})
NEVER = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A file to read: its absolute path, the path shown in reports, its size in bytes."""

    path: Path
    display: str
    size: int


@dataclass(slots=True)
class WalkStats:
    ignored: int = 0
    vendored: int = 0
    unreadable: int = 0


@dataclass(frozen=True, slots=True)
class _Rules:
    """One folder's ignore rules. ``base``: that folder relative to the walk's top ("" for
    the top and above); ``prefix``: the top relative to the rules' folder, for rules above it."""

    base: str
    prefix: str
    spec: pathspec.GitIgnoreSpec

    def decides(self, path: str, is_dir: bool) -> bool | None:
        local = path[len(self.base) + 1:] if self.base else path
        if self.prefix:
            local = f"{self.prefix}/{local}"
        return self.spec.check_file(local + "/" if is_dir else local).include


def walk(paths: Sequence[Path], root: Path, *, include_vendored: bool = False,
         include_ignored: bool = False, stats: WalkStats | None = None) -> Iterator[FileEntry]:
    """Files under ``paths`` in a stable order, shown relative to ``root`` when inside it."""
    stats = stats if stats is not None else WalkStats()
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise InvalidInput(f"{path}: no such file or folder")
        if path.is_dir():
            yield from _walk_folder(path, root, include_vendored, include_ignored, stats)
        elif path.is_file():
            yield FileEntry(path, display_path(path, root), _size(path))


def display_path(path: Path, root: Path) -> str:
    absolute = path.absolute()
    try:
        return absolute.relative_to(root.absolute()).as_posix()
    except ValueError:
        return path.as_posix()


def _walk_folder(top: Path, root: Path, include_vendored: bool, include_ignored: bool,
                 stats: WalkStats) -> Iterator[FileEntry]:
    rules: list[_Rules] = [] if include_ignored else _outer_rules(top)
    top_shown = display_path(top, root)
    for folder, dirs, files in _sorted_walk(top, stats):
        relative = "" if folder == top else folder.relative_to(top).as_posix()
        shown = "".join(f"{part}/" for part in (top_shown, relative) if part not in ("", "."))
        del rules[_still_applying(rules, relative):]
        if not include_ignored:
            rules.extend(_read_rules(folder, relative, [entry.name for entry in files]))
        kept_dirs = []
        for name in dirs:
            child = f"{relative}/{name}" if relative else name
            if name in NEVER:
                continue
            if not include_vendored and name in VENDORED:
                stats.vendored += 1
                continue
            if rules and _ignored(rules, child, is_dir=True):
                stats.ignored += 1
                continue
            kept_dirs.append(name)
        dirs[:] = kept_dirs
        for entry in files:
            name = entry.name
            child = f"{relative}/{name}" if relative else name
            if rules and _ignored(rules, child, is_dir=False):
                stats.ignored += 1
                continue
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                continue  # a link may point outside the tree or loop: never followed
            yield FileEntry(folder / name, shown + name, _size(entry))


def _sorted_walk(top: Path, stats: WalkStats) -> Iterator[tuple[Path, list[str], list[os.DirEntry[str]]]]:
    """``os.walk``'s top-down order (its ``dirs`` may be pruned), with each file's directory entry:
    its type comes from the listing and its size from one ``lstat``, where pathlib took three calls."""
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            stats.unreadable += 1
            continue
        dirs: list[str] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                dirs.append(entry.name)
            else:
                files.append(entry)
        yield folder, dirs, files
        pending.extend(folder / name for name in reversed(dirs))


def _still_applying(rules: list[_Rules], relative: str) -> int:
    """How many of the stacked rule sets apply in ``relative``: those of its ancestors."""
    keep = 0
    for index, rule in enumerate(rules):
        if rule.base and relative != rule.base and not relative.startswith(rule.base + "/"):
            break
        keep = index + 1
    return keep


def _outer_rules(top: Path) -> list[_Rules]:
    """Ignore files above ``top`` up to the repository root, so ``veil scan src`` obeys them."""
    found: list[_Rules] = []
    folder = top.absolute()
    if (folder / ".git").exists():
        return found
    for parent in folder.parents:
        lines = [line for name in IGNORE_FILES for line in _lines(parent / name)]
        lines += _lines(parent / ".git" / "info" / "exclude")
        if lines:
            found.insert(0, _Rules("", folder.relative_to(parent).as_posix(), _spec(lines)))
        if (parent / ".git").exists():
            break
    return found


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    import pathspec  # here: a pre-commit run over staged lines walks no folder

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _read_rules(folder: Path, relative: str, files: list[str]) -> list[_Rules]:
    lines = [line for name in IGNORE_FILES if name in files for line in _lines(folder / name)]
    if relative == "":
        lines += _lines(folder / ".git" / "info" / "exclude")
    if not lines:
        return []
    return [_Rules(relative, "", _spec(lines))]


def _ignored(rules: list[_Rules], path: str, *, is_dir: bool) -> bool:
    for rule in reversed(rules):  # the nearest ignore file that has a say decides, as in git
        decision = rule.decides(path, is_dir)
        if decision is not None:
            return decision
    return False


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _size(path: Path | os.DirEntry[str]) -> int:
    """A named file's size, or a listed one's (a directory entry caches its ``stat``)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0
