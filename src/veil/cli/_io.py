"""Reading inputs for the command line: files or stdin, binary sniffing, strict UTF-8, progress.

Text is read through a checking byte reader, so an invalid byte is reported by file name and
byte offset (never by content) and a 2 GB file is processed in bounded pieces of whole lines.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from veil.errors import InvalidInput

STDIN = "-"
SNIFF_BYTES = 8192
CHUNK_CHARS = 1 << 20
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
READ_BLOCK = 1 << 16


class UsageProblem(Exception):
    """A mistake in how the command was called: exit status 2, one line."""


class BinaryInput(Exception):
    """The input holds NUL bytes near its start: it is skipped, not decoded."""


@dataclass(frozen=True, slots=True)
class Source:
    """One input named on the command line: a file path, or ``-`` for stdin."""

    path: Path | None

    @property
    def name(self) -> str:
        return "<stdin>" if self.path is None else str(self.path)

    @property
    def suffix(self) -> str:
        return "" if self.path is None else self.path.suffix.lower()


def sources(paths: list[str] | None) -> list[Source]:
    """The inputs, checked to exist before anything is read; none means stdin."""
    found = []
    for raw in paths or [STDIN]:
        if raw == STDIN:
            found.append(Source(None))
            continue
        path = Path(raw)
        if not path.is_file():
            problem = "is a directory" if path.is_dir() else "no such file"
            raise UsageProblem(f"{raw}: {problem}")
        found.append(Source(path))
    return found


def existing_file(raw: str, what: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise UsageProblem(f"{raw}: no such {what}")
    return path


class _CheckedReader(io.RawIOBase):
    """Replays the sniffed head, then the stream; checks UTF-8 and counts bytes as they pass."""

    def __init__(self, stream: BinaryIO, head: bytes, name: str, strict: bool) -> None:
        super().__init__()
        self._stream = stream
        self._head = head
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict") if strict else None
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._head:
            data, self._head = self._head[: len(view)], self._head[len(view):]
        else:
            data = self._stream.read(len(view))
        self._check(data, final=not data)
        view[: len(data)] = data
        self.consumed += len(data)
        return len(data)

    def _check(self, data: bytes, *, final: bool) -> None:
        if self._decoder is None:
            return
        pending = len(self._decoder.getstate()[0])
        try:
            self._decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            offset = self.consumed - pending + exc.start
            raise InvalidInput(
                f"{self._name}: invalid UTF-8 at byte {offset} (--errors replace decodes it anyway)"
            ) from None


@contextmanager
def open_binary(source: Source) -> Iterator[BinaryIO]:
    if source.path is None:
        yield sys.stdin.buffer
        return
    try:
        stream = source.path.open("rb")
    except OSError as exc:
        raise UsageProblem(f"{source.name}: cannot read ({type(exc).__name__})") from None
    with stream:
        yield stream


def sniff(stream: BinaryIO, name: str) -> bytes:
    """The first bytes of ``stream``; raises BinaryInput when they hold a NUL byte."""
    head = b""
    while len(head) < SNIFF_BYTES:
        block = stream.read(SNIFF_BYTES - len(head))
        if not block:
            break
        head += block
    if b"\0" in head:
        raise BinaryInput(f"{name}: binary file (a NUL byte in the first {SNIFF_BYTES} bytes)")
    return head


@dataclass
class TextInput:
    """A decoded view of one source and a count of the bytes read so far."""

    text: TextIO
    reader: _CheckedReader
    size: int | None


@contextmanager
def open_text(source: Source, errors: str) -> Iterator[TextInput]:
    """``source`` as text (newlines kept as written); binary input raises BinaryInput."""
    with open_binary(source) as stream:
        head = sniff(stream, source.name)
        reader = _CheckedReader(stream, head, source.name, strict=errors == "strict")
        text = io.TextIOWrapper(io.BufferedReader(reader, READ_BLOCK), encoding="utf-8",
                                errors=errors, newline="")
        try:
            yield TextInput(text, reader, _size(stream))
        finally:
            text.detach()  # the stream is closed by its owner, stdin never


def _size(stream: BinaryIO) -> int | None:
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def iter_chunks(text: TextIO, size: int | None = None) -> Iterator[str]:
    """Whole lines, about ``size`` characters at a time, cut after a blank line where one comes soon.

    Cutting between paragraphs keeps multi-line values (a PEM key, an address) in one piece;
    past four times ``size`` the cut is made at the next line end regardless, to bound memory.
    """
    size = size or CHUNK_CHARS
    lines: list[str] = []
    length = 0
    while line := text.readline(size):
        lines.append(line)
        length += len(line)
        if length >= size and (not line.strip() or length >= 4 * size):
            yield "".join(lines)
            lines, length = [], 0
    if lines:
        yield "".join(lines)


@contextmanager
def progress(source: TextInput, label: str) -> Iterator[Callable[[], None]]:
    """A callback that advances a bar on stderr; a no-op unless the input is large and stderr a TTY."""
    if source.size is None or source.size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console  # only when a bar is shown: every command imports this module
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=source.size)
        yield lambda: bar.update(task, completed=source.reader.consumed)


@contextmanager
def open_output(path: str | None) -> Iterator[TextIO]:
    """Where text output goes: the ``-o`` file or stdout, always UTF-8 with newlines as given."""
    if path is None or path == STDIN:
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="",
                                  write_through=True)
        try:
            yield stream
        finally:
            stream.flush()
            stream.detach()  # stdout stays open
        return
    # Write beside the target and rename on success: a failure part-way never
    # leaves a half-redacted file (or clobbers a previous good one).
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                             dir=target.parent if str(target.parent) else ".")
    except OSError as exc:
        raise UsageProblem(f"{path}: cannot write ({type(exc).__name__})") from None
    try:
        with open(handle, "w", encoding="utf-8", newline="") as file:
            yield file
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
