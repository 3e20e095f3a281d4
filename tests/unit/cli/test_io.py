"""Input helpers: bounded pieces of lines, the UTF-8 check, binary sniffing, the progress bar."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from veil.cli import _io
from veil.cli._io import BinaryInput, Source, iter_chunks, open_text, progress, sniff
from veil.errors import InvalidInput

from ._helpers import write


def test_chunks_rejoin_to_the_input_and_cut_after_blank_lines() -> None:
    text = "".join(f"line {i}\nmore {i}\n\n" for i in range(200))
    chunks = list(iter_chunks(io.StringIO(text), size=100))
    assert "".join(chunks) == text
    assert len(chunks) > 10
    assert all(chunk.endswith("\n\n") for chunk in chunks)


def test_chunks_stay_bounded_without_blank_lines_or_line_ends() -> None:
    for text in ("x" * 5000, "word\n" * 1000):
        chunks = list(iter_chunks(io.StringIO(text), size=100))
        assert "".join(chunks) == text
        assert max(len(chunk) for chunk in chunks) <= 5 * 100


def test_sniff_finds_nul_only_in_the_first_8k() -> None:
    with pytest.raises(BinaryInput, match=r"^x: binary file"):
        sniff(io.BytesIO(b"abc\x00def"), "x")
    assert sniff(io.BytesIO(b"a" * 9000 + b"\x00"), "x") == b"a" * 8192


def test_reader_replays_the_sniffed_head(tmp_path: Path) -> None:
    text = "é" * 10_000 + "\nend\n"
    with open_text(Source(Path(write(tmp_path / "t.txt", text))), "strict") as source:
        assert source.text.read() == text
        assert source.reader.consumed == len(text.encode())
        assert source.size == len(text.encode())


def test_invalid_byte_offset_counts_every_byte_before_it(tmp_path: Path) -> None:
    data = "ü".encode() * 50_000 + b"\x80"
    path = Path(write(tmp_path / "t.txt", data))
    with open_text(Source(path), "strict") as source, pytest.raises(InvalidInput, match="at byte 100000 "):
        source.text.read()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_no_op_for_small_inputs_or_no_terminal(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    with open_text(Source(Path(write(tmp_path / "t.txt", "small\n"))), "strict") as source, \
            progress(source, "redact") as advance:
        advance()
    assert stderr.getvalue() == ""


def test_progress_bar_shows_on_a_terminal_for_large_inputs(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    monkeypatch.setattr(_io, "PROGRESS_MIN_BYTES", 10)
    with open_text(Source(Path(write(tmp_path / "t.txt", "x" * 100 + "\n"))), "strict") as source, \
            progress(source, "redact t.txt") as advance:
        source.text.read()
        advance()
    assert "redact t.txt" in stderr.getvalue()


def test_stdin_redirected_from_a_file_still_has_a_size(tmp_path: Path) -> None:
    path = Path(write(tmp_path / "t.txt", "abc\n"))
    with path.open("rb") as stream:
        assert _io._size(stream) == 4
    assert _io._size(io.BytesIO(b"abc")) is None
