"""Each package's front door: one sorted ``__all__`` that matches what is public."""

from __future__ import annotations

import importlib
import types

import pytest

PACKAGES = [
    "veil", "veil.detect", "veil.redact", "veil.crypto", "veil.errors", "veil.cli", "veil.storage", "veil.audit",
    "veil.vault", "veil.access", "veil.client", "veil.gateway", "veil.service",
]


def _isort_style(name: str) -> tuple[int, str]:
    """CONSTANTS, then Classes, then functions (the order ruff's RUF022 keeps)."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_every_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=_isort_style)
    assert [n for n in exported if not hasattr(module, n)] == []


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_is_in_all(name: str) -> None:
    module = importlib.import_module(name)
    public = {
        attribute for attribute, value in vars(module).items()
        if not attribute.startswith("_") and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", name).startswith("veil")
        and attribute not in {"annotations", "TYPE_CHECKING"}
    }
    assert public - set(module.__all__) == set()
