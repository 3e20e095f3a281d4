"""The app as a whole: help text, bad input, and errors mapped to one line that never holds input."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from tests.conftest import Canary
from veil.cli import app
from veil.errors import InvalidInput

from ._helpers import Invoke, one_line, write


def test_help_lists_the_commands(veil_cli: Invoke) -> None:
    result = veil_cli("--help")
    assert result.exit_code == 0
    assert "detect" in result.stdout
    assert "redact" in result.stdout


def test_every_command_and_option_has_help_text() -> None:
    group = typer.main.get_command(app)
    commands = group.commands  # type: ignore[attr-defined]
    assert set(commands) >= {"detect", "redact"}
    for name, command in commands.items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name}"


def test_missing_file_is_a_usage_error_on_one_line(veil_cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "absent.txt"
    result = veil_cli("detect", str(missing))
    assert result.exit_code == 2
    assert one_line(result.stderr) == f"error: {missing}: no such file"


def test_a_directory_is_not_a_file(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("detect", str(tmp_path))
    assert result.exit_code == 2
    assert one_line(result.stderr).endswith("is a directory")


def test_invalid_utf8_names_the_file_and_byte_offset(veil_cli: Invoke, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.txt", b"caf\xc3\xa9 ok\n" + b"x" * 100_000 + b"\xff\n")
    result = veil_cli("detect", bad)
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        f"error: {bad}: invalid UTF-8 at byte 100009 (--errors replace decodes it anyway)")


def test_a_character_split_across_read_blocks_is_valid(veil_cli: Invoke, tmp_path: Path) -> None:
    text = "a" * 65_535 + "é ana@example.org\n"  # "é" straddles the first 64 KiB block
    result = veil_cli("detect", write(tmp_path / "edge.txt", text))
    assert (result.exit_code, result.stderr) == (1, "")


def test_truncated_utf8_at_the_end_is_reported(veil_cli: Invoke) -> None:
    result = veil_cli("detect", input=b"abc\xe2\x82")
    assert one_line(result.stderr).startswith("error: <stdin>: invalid UTF-8 at byte 3")


def test_errors_replace_decodes_invalid_bytes(veil_cli: Invoke) -> None:
    result = veil_cli("detect", "--errors", "replace", "--show-values", input=b"\xff mail ana@example.org\n")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert '"value": "ana@example.org"' in result.stdout
    assert '"start": 7' in result.stdout


def test_binary_file_is_skipped_and_alone_is_a_failure(veil_cli: Invoke, tmp_path: Path) -> None:
    binary = write(tmp_path / "image.bin", b"\x89PNG\x00\x00 ana@example.org")
    result = veil_cli("detect", binary)
    assert (result.exit_code, result.stdout) == (1, "")
    assert one_line(result.stderr) == f"skipped {binary}: binary file (a NUL byte in the first 8192 bytes)"


def test_binary_file_beside_a_clean_one_is_only_skipped(veil_cli: Invoke, tmp_path: Path) -> None:
    binary = write(tmp_path / "image.bin", b"\x00\x01\x02")
    clean = write(tmp_path / "clean.txt", "nothing to see\n")
    result = veil_cli("detect", binary, clean)
    assert result.exit_code == 0
    assert "skipped" in result.stderr


def test_nul_after_the_first_8k_is_text(veil_cli: Invoke, tmp_path: Path) -> None:
    late = write(tmp_path / "late.txt", b"a" * 9000 + b"\x00 ana@example.org\n")
    assert veil_cli("detect", late).exit_code == 1


def test_veil_error_prints_its_message(veil_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise InvalidInput("record 7 is too large")

    monkeypatch.setattr("veil.cli._options.build_detector", refuse)
    result = veil_cli("detect", input="x")
    assert (result.exit_code, one_line(result.stderr)) == (1, "error: record 7 is too large")


def test_unknown_exception_shows_only_its_class(veil_cli: Invoke, canary_pii: Canary,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object) -> None:
        raise ValueError(f"could not parse {canary_pii.text()}")

    monkeypatch.setattr("veil.cli._options.build_detector", explode)
    result = veil_cli("detect", input=canary_pii.text())
    assert (result.exit_code, one_line(result.stderr)) == (1, "error: internal error (ValueError)")
    canary_pii.assert_absent(result.output)


def test_failing_runs_never_echo_planted_values(veil_cli: Invoke, canary_pii: Canary, tmp_path: Path) -> None:
    text = canary_pii.text()
    runs = [
        veil_cli("detect", write(tmp_path / "bad.txt", text.encode() + b"\xff")),
        veil_cli("detect", "--batch", write(tmp_path / "r.jsonl", f'{{"id": 1, "body": "{text}"}}\n')),
        veil_cli("detect", "--batch", write(tmp_path / "broken.jsonl", f'{{"id": 1, "text": "{text}"\n')),
        veil_cli("detect", write(tmp_path / "bin.dat", b"\x00" + text.encode())),
        veil_cli("detect", "--entities", canary_pii.email, input=text),
    ]
    assert all(run.exit_code in (1, 2) for run in runs)
    canary_pii.assert_absent(*(run.stderr for run in runs))
    canary_pii.assert_absent(*(run.stdout for run in runs))
