"""Throwaway trees and git repositories for the scanner tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout


def init_repo(folder: Path, first_file: str) -> Path:
    """A repository in ``folder`` with one commit holding ``app.py`` = ``first_file``."""
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.email", "dev@example.invalid")
    git(folder, "config", "user.name", "Dev")
    (folder / "app.py").write_text(first_file)
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "first")
    return folder


def write_tree(root: Path, files: dict[str, str] | dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
