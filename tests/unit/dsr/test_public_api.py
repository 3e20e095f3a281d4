"""veil.dsr's front door: one sorted ``__all__`` that matches what is public."""

from __future__ import annotations

import types

import veil.dsr


def _order(name: str) -> tuple[int, str]:
    """CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_names_the_public_api() -> None:
    assert veil.dsr.__all__ == ["EXPORT_SCHEMA", "DataSubjectRequests", "DsrRequest", "Receipt", "verify_receipt"]
    assert veil.dsr.__all__ == sorted(veil.dsr.__all__, key=_order)


def test_nothing_public_is_left_out_of_all() -> None:
    public = {name for name, value in vars(veil.dsr).items()
              if not name.startswith("_") and not isinstance(value, types.ModuleType) and name != "annotations"}
    assert public == set(veil.dsr.__all__)


def test_export_schema_is_loaded_from_the_package() -> None:
    assert veil.dsr.EXPORT_SCHEMA["title"].startswith("Veil data subject export bundle")
    assert set(veil.dsr.EXPORT_SCHEMA["required"]) == {
        "format", "generated_at", "request_id", "subject", "collections", "consent", "derived", "requests"}
