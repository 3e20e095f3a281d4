"""The options of ``veil scan``, typed once here so the command reads as a list of names."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from veil.scan import BASELINE_NAME, Severity


class Format(StrEnum):
    HUMAN = "human"
    JSON = "json"
    SARIF = "sarif"


def _flag(name: str, text: str) -> Any:
    return typer.Option(name, help=text)


Paths = Annotated[list[Path] | None, typer.Argument(
    metavar="[PATH]...", help="Files and folders (default: the current folder).", show_default=False)]
Diff = Annotated[str | None, typer.Option(
    "--diff", metavar="BASE..HEAD", help="Only lines a git range adds (BASE alone: against the work tree).",
)]
Staged = Annotated[bool, _flag("--staged", "Only lines the git index adds (pre-commit).")]
History = Annotated[bool, _flag(
    "--history", "Every commit of the branch (a secret removed later is still leaked).")]
Ref = Annotated[str, _flag("--ref", "With --history: the branch or commit to walk.")]
FormatOption = Annotated[Format, _flag("--format", "human, json or sarif (SARIF 2.1.0).")]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")]
FailOn = Annotated[Severity | None, typer.Option(
    "--fail-on", help="Lowest severity that makes the exit status 1 (default: low, or veil.toml's).",
    show_default=False)]
BaselineFile = Annotated[Path | None, _flag(
    "--baseline", f"Accepted findings (default: {BASELINE_NAME} in the project, if present).")]
NoBaseline = Annotated[bool, _flag("--no-baseline", "Report baselined findings too.")]
UpdateBaseline = Annotated[bool, _flag("--update-baseline", "Accept every current finding in the baseline.")]
Reason = Annotated[str, _flag("--reason", "With --update-baseline: why new entries are accepted.")]
AuditBaseline = Annotated[bool, _flag(
    "--audit-baseline", "Review the baseline and inline `veil: allow` lines.")]
Pii = Annotated[bool, _flag("--pii", "Also report personal data in text files.")]
Datasets = Annotated[bool, _flag(
    "--datasets/--no-datasets", "Profile CSV, JSONL, Parquet and SQLite files.")]
Licenses = Annotated[bool, _flag(
    "--licenses", "Check the licences of the project's installed dependencies.")]
IncludeVendored = Annotated[bool, _flag(
    "--include-vendored", "Also scan node_modules, vendor, .venv and the like.")]
IncludeMinified = Annotated[bool, _flag("--include-minified", "Also scan minified files.")]
NoIgnore = Annotated[bool, _flag("--no-ignore", "Disregard .gitignore and .veilignore.")]
MaxFileMb = Annotated[int, typer.Option("--max-file-mb", min=1, help="Larger files are skipped.")]
Jobs = Annotated[int, typer.Option("--jobs", "-j", min=0, help="Worker processes (0: every core).")]
NoProgress = Annotated[bool, _flag("--no-progress", "No progress bar.")]
Project = Annotated[Path | None, _flag(
    "--project", "The project folder, with veil.toml and .veil/ (default: the folder scanned, or here).")]
