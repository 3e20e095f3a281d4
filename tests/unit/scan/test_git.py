"""Added lines of a range, of the index and of a history, with the new file's line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.scan._repos import git, init_repo
from veil.scan._git import GitProblem, added_files, diff_sources, history_sources, parse_diff


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path, "a = 1\nb = 2\nc = 3\n")


def _lines(sources: list) -> list[tuple[str, int, str]]:
    return [(s.display, s.line_number(i), line) for s in sources for i, line in enumerate(s.text.split("\n"))]


def test_staged_lines_carry_their_new_line_numbers(repo: Path) -> None:
    (repo / "app.py").write_text("a = 1\nadded_one\nb = 2\nc = 3\nadded_two\nadded_three\n")
    (repo / "new file.txt").write_text("hello\n")
    git(repo, "add", ".")
    found = _lines(diff_sources(repo, staged=True))
    assert found == [("app.py", 2, "added_one"), ("app.py", 5, "added_two"), ("app.py", 6, "added_three"),
                     ("new file.txt", 1, "hello")]


def test_a_range_reads_only_what_it_adds(repo: Path) -> None:
    (repo / "app.py").write_text("a = 1\nc = 3\nz = 9\n")
    git(repo, "commit", "-q", "-am", "second")
    assert _lines(diff_sources(repo, revisions="HEAD~1..HEAD")) == [("app.py", 3, "z = 9")]
    assert [f.revision for f in added_files(repo, revisions="HEAD~1..HEAD")] == ["HEAD:app.py"]


def test_history_finds_lines_removed_later_with_their_commit(repo: Path) -> None:
    (repo / "conf.ini").write_text("[db]\nkey = leaked\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add conf")
    added = git(repo, "rev-parse", "HEAD").strip()
    (repo / "conf.ini").unlink()
    git(repo, "commit", "-q", "-am", "remove conf")
    sources = [s for s in history_sources(repo) if s.display == "conf.ini"]
    assert [(s.commit, s.first_line, s.text) for s in sources] == [(added, 1, "[db]\nkey = leaked")]


def test_unusual_paths_are_unquoted() -> None:
    patch = ('diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"\n+++ "b/caf\\303\\251.txt"\n'
             "@@ -0,0 +1 @@\n+x\n")
    assert [s.display for s in parse_diff(patch, commit=None)] == ["café.txt"]


def test_binary_and_deleted_files_give_nothing() -> None:
    patch = ("diff --git a/x.bin b/x.bin\nBinary files a/x.bin and b/x.bin differ\n"
             "diff --git a/gone.txt b/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n")
    assert list(parse_diff(patch, commit=None)) == []


def test_a_bad_range_or_a_folder_that_is_no_repository_is_a_clear_error(
        tmp_path_factory: pytest.TempPathFactory, repo: Path) -> None:
    with pytest.raises(GitProblem, match="revision range"):
        diff_sources(repo, revisions="--output=/tmp/x")
    with pytest.raises(GitProblem, match="git diff failed"):
        diff_sources(repo, revisions="nosuchbranch..HEAD")
    outside = tmp_path_factory.mktemp("plain")
    with pytest.raises(GitProblem, match="git diff failed"):
        diff_sources(outside, staged=True)
