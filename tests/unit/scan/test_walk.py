"""Which files a scan reads: ignore files honoured as git does, vendored trees skipped."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.unit.scan._repos import write_tree as _tree
from veil.errors import InvalidInput
from veil.scan._walk import WalkStats, walk


def _names(root: Path, **options: bool) -> list[str]:
    return sorted(entry.display for entry in walk([root], root, **options))


def test_gitignore_and_veilignore_are_honoured_with_negation(tmp_path: Path) -> None:
    _tree(tmp_path, {
        ".gitignore": "*.log\n!keep.log\nbuild/\n",
        ".veilignore": "fixtures/generated/\n",
        "app.py": "", "debug.log": "", "keep.log": "", "build/out.txt": "",
        "fixtures/generated/a.txt": "", "fixtures/real.txt": "",
    })
    assert _names(tmp_path) == [".gitignore", ".veilignore", "app.py", "fixtures/real.txt", "keep.log"]


def test_nested_gitignore_applies_to_its_folder_only(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/.gitignore": "secret.txt\n", "a/secret.txt": "", "b/secret.txt": "",
                     "a/deeper/secret.txt": ""})
    assert _names(tmp_path) == ["a/.gitignore", "b/secret.txt"]


def test_a_nearer_ignore_file_can_bring_a_file_back(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": "*.env\n", "svc/.gitignore": "!prod.env\n", "svc/prod.env": "",
                     "svc/dev.env": ""})
    assert _names(tmp_path) == [".gitignore", "svc/.gitignore", "svc/prod.env"]


def test_vendored_folders_are_skipped_unless_asked(tmp_path: Path) -> None:
    _tree(tmp_path, {"node_modules/x/index.js": "", ".venv/lib/a.py": "", "src/a.py": "", ".git/config": ""})
    stats = WalkStats()
    assert [e.display for e in walk([tmp_path], tmp_path, stats=stats)] == ["src/a.py"]
    assert stats.vendored == 2
    assert _names(tmp_path, include_vendored=True) == [".venv/lib/a.py", "node_modules/x/index.js", "src/a.py"]


def test_no_ignore_reads_ignored_files(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": "*.log\n", "a.log": ""})
    assert _names(tmp_path, include_ignored=True) == [".gitignore", "a.log"]


def test_ignore_files_above_a_scanned_subfolder_still_apply(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    _tree(tmp_path, {".gitignore": "src/generated/\n*.tmp\n", "src/generated/x.py": "", "src/a.tmp": "",
                     "src/a.py": ""})
    source = tmp_path / "src"
    assert [e.display for e in walk([source], source)] == ["a.py"]


def test_named_files_are_read_even_when_ignored(tmp_path: Path) -> None:
    _tree(tmp_path, {".gitignore": "*.log\n", "a.log": "x"})
    entries = list(walk([tmp_path / "a.log"], tmp_path))
    assert [(e.display, e.size) for e in entries] == [("a.log", 1)]


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    _tree(tmp_path, {"real/a.txt": ""})
    (tmp_path / "link").symlink_to(tmp_path / "real" / "a.txt")
    assert _names(tmp_path) == ["real/a.txt"]


def test_a_missing_path_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file or folder"):
        list(walk([tmp_path / "missing"], tmp_path))


def test_order_sizes_and_shown_paths_match_a_sorted_os_walk(tmp_path: Path) -> None:
    _tree(tmp_path, {"b/z.txt": "zz", "b/a/y.txt": "y", "a.txt": "", "c/d/e/x.txt": "xxx", "B.txt": "1"})
    (tmp_path / "c" / "linked").symlink_to(tmp_path / "b", target_is_directory=True)
    expected = []
    for folder, dirs, files in os.walk(tmp_path):  # top-down, a link to a folder never entered
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            expected.append((path, path.relative_to(tmp_path).as_posix(), path.stat().st_size))
    assert [(e.path, e.display, e.size) for e in walk([tmp_path], tmp_path)] == expected
    inner = [e.display for e in walk([tmp_path / "c"], tmp_path)]
    assert inner == ["c/d/e/x.txt"]  # shown from the root, not from the folder walked
