"""What git adds: the added lines of a range, of the index, or of every commit of a branch.

Only ``+`` lines are read, in blocks of consecutive new line numbers, so a finding's
line is its line in the new file. Git runs with ``--no-ext-diff`` and a fixed
locale-free output format; a path git quotes is unquoted.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from veil.errors import InvalidInput
from veil.scan._sources import LOCK_FILES, Source

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_COMMIT = "\x00commit "
_DIFF_FLAGS = ("--no-color", "--no-ext-diff", "--unified=0", "--no-renames", "--diff-filter=AMCT")
_RANGE = re.compile(r"[A-Za-z0-9_./~^@{}:-]{1,256}")


class GitProblem(InvalidInput):
    """Git refused (not a repository, an unknown revision): a usage error, exit 2."""


@dataclass(frozen=True, slots=True)
class AddedFile:
    """A file a diff adds or changes, for what is read whole (datasets)."""

    path: str
    revision: str  # ``:path`` for the index, ``REV:path`` for a commit, "" for the work tree


def diff_sources(repo: Path, *, revisions: str | None = None, staged: bool = False) -> list[Source]:
    """Added lines of ``BASE..HEAD`` (or ``BASE``, meaning against the work tree) or of the index."""
    args = ["diff", *_DIFF_FLAGS]
    if staged:
        args.append("--cached")
    elif revisions:
        args.append(_checked_range(revisions))
    output = _git(repo, args)
    return list(parse_diff(output, commit=None))


def added_files(repo: Path, *, revisions: str | None = None, staged: bool = False) -> list[AddedFile]:
    """Files added or changed, with where their new content is (empty: the work tree)."""
    args = ["diff", "--name-only", "-z", "--no-renames", "--diff-filter=AMCT"]
    where: str | None = ""
    if staged:
        args.append("--cached")
    else:
        spec = _checked_range(revisions or "HEAD")
        args.append(spec)
        head = re.split(r"\.\.\.?", spec)[-1] if ".." in spec else None
        where = (head or "HEAD") if head is not None else None
    names = [n for n in _git(repo, args).split("\x00") if n]
    return [AddedFile(name, "" if where is None else f"{where}:{name}") for name in names]


def show(repo: Path, revision: str) -> bytes:
    """A file's content at ``REV:path`` or ``:path`` (the index)."""
    return _run(repo, ["show", revision]).stdout


def history_sources(repo: Path, ref: str = "HEAD") -> Iterator[Source]:
    """Added lines of every commit reachable from ``ref``, oldest first, each naming its commit."""
    output = _git(repo, ["log", "--reverse", "-p", *_DIFF_FLAGS, "--format=%x00commit %H",
                         _checked_range(ref), "--"])
    for chunk in output.split(_COMMIT)[1:]:
        commit, _, patch = chunk.partition("\n")
        yield from parse_diff(patch, commit=commit.strip())


def parse_diff(output: str, *, commit: str | None) -> Iterator[Source]:
    """Sources of the ``+`` lines of a unified diff with no context lines."""
    path: str | None = None
    block: list[str] = []
    first = 0
    line = 0
    for raw in output.split("\n"):
        if raw.startswith("+++ "):
            yield from _flush(path, block, first, commit)
            block = []
            path = _new_path(raw[4:])
        elif raw.startswith("@@"):
            yield from _flush(path, block, first, commit)
            block = []
            match = _HUNK.match(raw)
            line = first = int(match.group(1)) if match else 0
        elif raw.startswith("+") and path is not None:
            if not block:
                first = line
            block.append(raw[1:])
            line += 1
        elif raw.startswith("diff --git"):
            yield from _flush(path, block, first, commit)
            block, path = [], None
    yield from _flush(path, block, first, commit)


def _flush(path: str | None, block: Sequence[str], first: int, commit: str | None) -> Iterator[Source]:
    if path is not None and block:
        yield Source(path, "\n".join(block), first_line=first, commit=commit,
                     lockfile=PurePosixPath(path).name in LOCK_FILES)


def _new_path(header: str) -> str | None:
    header = header.rstrip("\t")
    if header == "/dev/null":
        return None
    if header.startswith('"'):
        header = _unquote(header)
    return header[2:] if header.startswith("b/") else header


def _unquote(quoted: str) -> str:
    """Git's C-style quoting of unusual paths: octal escapes of UTF-8 bytes."""
    body = quoted[1:-1].encode("latin-1", "backslashreplace")
    return body.decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")


def _checked_range(revisions: str) -> str:
    if not _RANGE.fullmatch(revisions) or revisions.startswith("-"):
        raise GitProblem("a revision range looks like BASE..HEAD (names, hashes, ~ and ^ only)")
    return revisions


def _git(repo: Path, args: list[str]) -> str:
    return _run(repo, args).stdout.decode("utf-8", "replace")


def _run(repo: Path, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    command = ["git", "-C", str(repo), "-c", "core.quotePath=false", "-c", "diff.noprefix=false", *args]
    try:
        done = subprocess.run(command, capture_output=True, check=False, timeout=600)  # noqa: S603
    except FileNotFoundError:
        raise GitProblem("git is not installed (needed by --diff, --staged and --history)") from None
    except subprocess.TimeoutExpired:
        raise GitProblem("git took longer than 10 minutes") from None
    if done.returncode != 0:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        reason = first[0].removeprefix("fatal: ")[:200] if first else f"exit status {done.returncode}"
        raise GitProblem(f"git {args[0]} failed: {reason}")
    return done
