"""``veil scan``: the CI gate. Exit 1 with a fix on findings, 0 clean, 2 on a usage error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.scan._fakes import github_token
from tests.unit.scan._repos import git, init_repo

from ._helpers import Invoke, one_line


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path, "print('hello')\n")


def test_staging_a_fake_token_fails_with_how_to_fix_it(veil_cli: Invoke, repo: Path) -> None:
    token = github_token()
    (repo / "app.py").write_text(f"print('hello')\nGITHUB_TOKEN = '{token}'\n")
    git(repo, "add", "app.py")
    result = veil_cli("scan", "--staged", "--project", str(repo))
    assert result.exit_code == 1
    assert "app.py:2:17" in result.stdout
    assert "github_token" in result.stdout
    assert "fix:" in result.stdout
    assert "revoke" in result.stdout.lower()
    assert token not in result.stdout


def test_a_clean_tree_exits_zero(veil_cli: Invoke, repo: Path) -> None:
    result = veil_cli("scan", str(repo))
    assert result.exit_code == 0, result.output
    assert "no findings" in result.stdout


def test_json_and_sarif_reports(veil_cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(f"T = '{github_token()}'\n")
    document = json.loads(veil_cli("scan", str(tmp_path), "--format", "json").stdout)
    assert document["version"] == 1
    assert [(f["path"], f["line"], f["rule"]) for f in document["findings"]] == [("conf.py", 1, "github_token")]
    assert document["summary"]["files"] == 1
    sarif = json.loads(veil_cli("scan", str(tmp_path), "--format", "sarif").stdout)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "github_token"


def test_fail_on_sets_the_threshold(veil_cli: Invoke, tmp_path: Path) -> None:
    (tmp_path / "conf.py").write_text(f"T = '{github_token()}'\n")
    assert veil_cli("scan", str(tmp_path), "--fail-on", "critical").exit_code == 0
    assert veil_cli("scan", str(tmp_path), "--fail-on", "high").exit_code == 1


@pytest.mark.parametrize("args", [
    ["scan", "no/such/path"],
    ["scan", "--staged", "somepath"],
    ["scan", "--diff", "--bad", "--project", "."],
    ["scan", "--format", "xml", "."],
])
def test_usage_errors_exit_two_with_one_line(veil_cli: Invoke, args: list[str]) -> None:
    result = veil_cli(*args)
    assert result.exit_code == 2, result.output


def test_a_missing_path_names_it(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("scan", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "missing: no such file or folder" in one_line(result.stderr)


def test_a_range_outside_a_repository_is_a_usage_error(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("scan", "--diff", "HEAD~1..HEAD", "--project", str(tmp_path))
    assert result.exit_code == 2
    assert "git diff failed" in one_line(result.stderr)


def test_baseline_accepts_then_audit_reviews(veil_cli: Invoke, tmp_path: Path) -> None:
    token = github_token()
    (tmp_path / "fixture.py").write_text(f"T = '{token}'\n")
    updated = veil_cli("scan", str(tmp_path), "--update-baseline", "--reason", "revoked token in a fixture")
    assert updated.exit_code == 0, updated.output
    baseline = (tmp_path / ".veil-baseline.json").read_text()
    assert token not in baseline
    assert veil_cli("scan", str(tmp_path)).exit_code == 0
    assert veil_cli("scan", str(tmp_path), "--no-baseline").exit_code == 1
    review = veil_cli("scan", str(tmp_path), "--audit-baseline")
    assert review.exit_code == 0, review.output
    assert "revoked token in a fixture" in review.stdout
    (tmp_path / "fixture.py").write_text("T = None\n")
    stale = veil_cli("scan", str(tmp_path), "--audit-baseline")
    assert stale.exit_code == 1
    assert "stale" in stale.stdout


def test_update_baseline_needs_a_reason(veil_cli: Invoke, tmp_path: Path) -> None:
    assert veil_cli("scan", str(tmp_path), "--update-baseline").exit_code == 2


def test_a_fingerprinted_dataset_is_reported_in_another_format(veil_cli: Invoke, tmp_path: Path) -> None:
    rows = [(f"id{i}", f"user{i}@corp.example", f"{i * 7 % 100}") for i in range(40)]
    source = tmp_path / "customers.csv"
    source.write_text("id,email,score\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    added = veil_cli("scan", "fingerprint", "add", str(source), "--name", "customers", "--project", str(tmp_path))
    assert added.exit_code == 0, added.output
    assert veil_cli("scan", "fingerprint", "list", "--project", str(tmp_path)).stdout.split() == ["customers"]
    tree = tmp_path / "tree"
    tree.mkdir()
    copy = tree / "export.jsonl"
    copy.write_text("".join(json.dumps({"score": c, "mail": b, "key": a}) + "\n" for a, b, c in rows[::-3]))
    result = veil_cli("scan", str(tree), "--format", "json", "--project", str(tmp_path))
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "known_sensitive_dataset" in rules
    assert "dataset_direct_identifier" in rules
    assert result.exit_code == 1


def test_help_lists_the_options_and_the_sub_commands(veil_cli: Invoke) -> None:
    result = veil_cli("scan", "--help")
    assert result.exit_code == 0
    assert "--staged" in result.stdout
    assert "fingerprint" in result.stdout


def test_the_pattern_cache_keeps_what_the_run_compiled(veil_cli: Invoke, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("hyperscan")
    from veil.cli import _scan
    from veil.detect import _engine, default_detector, load_compiled_patterns

    cache = tmp_path / "cache" / "scan-patterns.bin"
    monkeypatch.setattr(_scan, "SCAN_PATTERNS", cache)
    monkeypatch.setattr(_engine, "_CACHE", {})  # as in a new process
    monkeypatch.setattr(_engine, "_LOADED", {})
    default_detector.cache_clear()
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "people.csv").write_text("name,email\nAda Lovelace,ada@example.org\n")
    veil_cli("scan", str(tree), "--jobs", "1")
    # The secret rules and the dataset profiler (compiled during the run, for the CSV): the next run
    # loads both instead of compiling the profiler's patterns again.
    assert load_compiled_patterns(cache.read_bytes()) == 2
