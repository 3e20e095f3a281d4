from __future__ import annotations

import re

import pytest

from veil.detect._engine import PatternEngine, hyperscan_available

PATTERNS = [
    (r"(?<![A-Za-z])foo(?=bar)", re.ASCII),
    (r"\d{3}-\d{2}", re.ASCII),
    (r"(?i)secret", 0),
]


@pytest.mark.parametrize("use_hyperscan", [True, False])
def test_engine_yields_exact_matches_of_every_pattern(use_hyperscan: bool) -> None:
    engine = PatternEngine(PATTERNS, use_hyperscan=use_hyperscan)
    text = "foobar 123-45 SECRET foobaz"
    got = [(i, m.group()) for i, pattern in engine.candidates(text) for m in pattern.finditer(text)]
    assert got == [(0, "foo"), (1, "123-45"), (2, "SECRET")]


@pytest.mark.skipif(not hyperscan_available(), reason="no Hyperscan wheel for this platform")
def test_hyperscan_prefilter_skips_patterns_that_cannot_match() -> None:
    engine = PatternEngine(PATTERNS)
    assert engine.backend == "hyperscan+re"
    assert engine.candidate_patterns("only 123-45 here") == [1]


@pytest.mark.skipif(not hyperscan_available(), reason="no Hyperscan wheel for this platform")
def test_pattern_hyperscan_rejects_still_runs_on_re() -> None:
    # a conditional group has no Hyperscan form: it must run on re every time
    engine = PatternEngine([(r"(a)?(?(1)b|c)", 0), (r"zzz", 0)])
    assert 0 in engine.candidate_patterns("c")
    assert [m.group() for _, p in engine.candidates("c ab") for m in p.finditer("c ab")] == ["c", "ab"]
