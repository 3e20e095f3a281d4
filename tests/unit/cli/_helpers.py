"""Small helpers for the command-line tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

Invoke = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[3]


def jsonl(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def write(path: Path, content: str | bytes) -> str:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def one_line(stream: str) -> str:
    """The single line a failing run prints; fails when there are more."""
    lines = stream.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


__all__ = ["ROOT", "Invoke", "Result", "jsonl", "one_line", "write"]
