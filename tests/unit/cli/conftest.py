"""A runner for the ``veil`` app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from veil.cli import app

from ._helpers import Invoke, Result


@pytest.fixture
def veil_cli() -> Invoke:
    """Runs ``veil ARGS`` in-process; stdin via ``input=``, environment via ``env=``."""
    runner = CliRunner()

    def invoke(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, env=env)

    return invoke


@pytest.fixture
def in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commands run with tmp_path as their project folder and no VEIL_* from the machine."""
    for name in [n for n in os.environ if n.startswith("VEIL_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
