"""A runner for the ``veil`` app."""

from __future__ import annotations

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
