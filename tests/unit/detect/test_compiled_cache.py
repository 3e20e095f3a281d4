"""Compiled pattern databases survive a process: loaded instead of compiled, and never trusted blindly."""

from __future__ import annotations

from pathlib import Path

import pytest

from veil._pattern_cache import read_pattern_cache, write_pattern_cache
from veil.detect import Detector, _engine, compiled_patterns, hyperscan_available, load_compiled_patterns

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="Hyperscan has no wheel for this platform")
TEXT = "Mail ada@example.org or call +44 20 7946 0958; key AKIAIOSFODNN7EXAMPLE."


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if in a new process: nothing compiled, nothing loaded."""
    monkeypatch.setattr(_engine, "_CACHE", {})
    monkeypatch.setattr(_engine, "_LOADED", {})


def _findings(detector: Detector) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, str(f.entity)) for f in detector.detect(TEXT)]


def test_a_loaded_database_is_used_instead_of_compiling(fresh_process: None, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _findings(Detector())
    saved = compiled_patterns()
    monkeypatch.setattr(_engine, "_CACHE", {})

    def no_compiling(*_: object) -> None:
        raise AssertionError("compiled although a database was loaded")

    assert load_compiled_patterns(saved) == 1
    monkeypatch.setattr(_engine, "_compile_database", no_compiling)
    assert _findings(Detector()) == expected


@pytest.mark.parametrize("damage", [b"", b"not a database", b"veil-hs/1\n\x00\x00\x00\x05{bad}"])
def test_unreadable_data_is_ignored_and_the_patterns_compile(fresh_process: None, damage: bytes) -> None:
    assert load_compiled_patterns(damage) == 0
    assert _findings(Detector())


def test_a_database_of_other_patterns_is_not_used(fresh_process: None, monkeypatch: pytest.MonkeyPatch) -> None:
    Detector(entities=["EMAIL_ADDRESS"])
    saved = compiled_patterns()
    monkeypatch.setattr(_engine, "_CACHE", {})
    load_compiled_patterns(saved)
    assert _findings(Detector())  # the full set was compiled, not served by the e-mail-only database
    assert len(_engine._LOADED) == 1  # still waiting for the detector it was made for


def test_a_project_cache_is_written_then_read(fresh_process: None, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    cache = tmp_path / ".veil" / "patterns.bin"
    assert not read_pattern_cache(cache)
    expected = _findings(Detector())
    write_pattern_cache(cache)
    assert cache.stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr(_engine, "_CACHE", {})
    assert read_pattern_cache(cache)
    monkeypatch.setattr(_engine, "_compile_database", lambda *_: pytest.fail("compiled again"))
    assert _findings(Detector()) == expected


def test_a_database_that_fails_to_load_is_compiled_instead(fresh_process: None) -> None:
    expected = _findings(Detector())
    saved = compiled_patterns()
    _engine._CACHE.clear()
    header_end = saved.index(b"}", len(b"veil-hs/1\n")) + 1
    corrupt = saved[:header_end] + bytes(len(saved) - header_end)  # the right size, zeros inside
    assert load_compiled_patterns(corrupt) == 1  # read lazily: checked when a detector asks for it
    assert _findings(Detector()) == expected
    assert not _engine._LOADED
