"""The baseline accepts by fingerprint with a reason; the audit flags what needs a look."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from veil.errors import InvalidInput
from veil.scan._allow import AllowComment, allow_comments
from veil.scan._baseline import Baseline, BaselineEntry, audit, load_baseline, write_baseline
from veil.scan._finding import Kind, ScanFinding, Severity, value_fingerprint

VALUE = "planted-secret-value-7f3a9c"


def _finding(value: str = VALUE, path: str = "a.py", line: int = 3) -> ScanFinding:
    return ScanFinding("generic_secret", Kind.SECRET, Severity.MEDIUM, path, line, 5, "GENERIC_SECRET",
                       "rotate it", value_fingerprint("generic_secret", value), entity="GENERIC_SECRET")


def test_accepted_findings_are_removed_and_counted() -> None:
    accepted = Baseline().updated([_finding()], "test fixture", date(2026, 12, 2))
    kept, count = accepted.apply([_finding(), _finding("another-value-8812")])
    assert count == 1
    assert [f.fingerprint for f in kept] == [value_fingerprint("generic_secret", "another-value-8812")]


def test_moving_a_value_keeps_it_accepted() -> None:
    accepted = Baseline().updated([_finding()], "fixture", date(2026, 12, 2))
    assert accepted.apply([_finding(path="moved/b.py", line=40)]) == ([], 1)


def test_an_entry_without_reason_accepts_nothing() -> None:
    entry = BaselineEntry(value_fingerprint("generic_secret", VALUE), "generic_secret", "a.py", 3, "", "")
    assert Baseline((entry,)).apply([_finding()])[1] == 0


def test_the_file_holds_fingerprints_never_values(tmp_path: Path) -> None:
    path = tmp_path / ".veil-baseline.json"
    write_baseline(path, Baseline().updated([_finding()], "fixture", date(2026, 12, 2)))
    text = path.read_text()
    assert VALUE not in text
    assert load_baseline(path).apply([_finding()])[1] == 1
    assert json.loads(text)["entries"][0]["reason"] == "fixture"


def test_updating_keeps_known_reasons_and_dates() -> None:
    first = Baseline().updated([_finding()], "fixture", date(2026, 1, 1))
    second = first.updated([_finding(), _finding("new-value-123456")], "later", date(2026, 12, 2))
    reasons = sorted((e.reason, e.added) for e in second.entries)
    assert reasons == [("fixture", "2026-01-01"), ("later", "2026-12-02")]


@pytest.mark.parametrize("content", ["{broken", '{"version": 9, "entries": []}', '{"version": 1, "entries": {}}',
                                     '{"version": 1, "entries": [{"fingerprint": "short"}]}'])
def test_a_broken_baseline_is_refused_by_file_name(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(InvalidInput, match=r"b\.json"):
        load_baseline(path)


def test_a_missing_baseline_is_empty(tmp_path: Path) -> None:
    assert load_baseline(tmp_path / "none.json") == Baseline()


def test_audit_flags_missing_reasons_stale_entries_and_unused_or_unknown_exceptions() -> None:
    stale = BaselineEntry("0" * 32, "github_token", "old.py", 1, "was a fixture", "2026-01-01")
    bare = BaselineEntry(value_fingerprint("generic_secret", VALUE), "generic_secret", "a.py", 3, "", "")
    allows = [AllowComment("b.py", 2, "generic_secret", "doc example", used=True),
              AllowComment("c.py", 4, "generic_secret", "", used=False),
              AllowComment("d.py", 5, "no_such_rule", "why", used=False),
              AllowComment("e.py", 6, "generic_secret", "why", used=False)]
    items = audit(Baseline((stale, bare)), [_finding()], allows, ["generic_secret", "github_token"])
    problems = {(i.path, i.problem.split(":")[0]) for i in items}
    assert problems == {("a.py", "no reason given"), ("old.py", "stale"), ("b.py", ""),
                        ("c.py", "no reason given"), ("d.py", "unknown rule"), ("e.py", "unused")}


@pytest.mark.parametrize(("line", "rule", "reason"), [
    ("token = 'x'  # veil: allow generic_secret documented example", "generic_secret", "documented example"),
    ("// veil: allow JWT test vector from RFC 7519", "JWT", "test vector from RFC 7519"),
    ("<!-- veil: allow github_token sample in docs -->", "github_token", "sample in docs"),
    ("/* veil: allow * generated fixture */", "*", "generated fixture"),
    ("-- veil: allow generic_secret", "generic_secret", ""),
])
def test_inline_exceptions_are_read_in_any_comment_syntax(line: str, rule: str, reason: str) -> None:
    assert [(r, why) for _, r, why in allow_comments(line)] == [(rule, reason)]


def test_an_exception_covers_its_rule_or_entity_only_with_a_reason() -> None:
    assert AllowComment("a", 1, "JWT", "vector").covers("jwt", "JWT")
    assert AllowComment("a", 1, "jwt", "vector").covers("jwt", "JWT")
    assert not AllowComment("a", 1, "github_token", "x").covers("jwt", "JWT")
    assert not AllowComment("a", 1, "jwt", "").covers("jwt", "JWT")
