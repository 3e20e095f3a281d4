"""``veil scan``: secrets, personal data, datasets and licences in a tree, a diff or a history.

``veil scan PATH...`` is the scan itself; ``veil scan fingerprint add|list|remove`` manages
the fingerprints of sensitive datasets. Exit status: 0 clean, 1 findings at or above
``--fail-on``, 2 a usage error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from typer.core import TyperGroup

from veil._pattern_cache import load_pattern_cache, refresh_pattern_cache
from veil.cli import _scan_options as o
from veil.cli._app import EXIT_FAILURE, EXIT_OK, app, mapped_errors
from veil.cli._io import UsageProblem
from veil.cli._scan_settings import scan_settings
from veil.errors import InvalidInput
from veil.scan import (
    BASELINE_NAME,
    FingerprintStore,
    Limits,
    Scanner,
    ScanOptions,
    ScanReport,
    audit,
    load_baseline,
    scan_diff,
    scan_history,
    to_sarif,
    write_baseline,
)

FINGERPRINTS = Path(".veil") / "fingerprints"
#: Compiled patterns of the scan detector, per user: a hook starts in milliseconds, not seconds.
SCAN_PATTERNS = Path.home() / ".cache" / "veil" / "scan-patterns.bin"


class _PathsByDefault(TyperGroup):
    """``veil scan PATH...`` runs the scan; a first word naming a sub-command runs that."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer vendors click: its Context
        if not args or args[0] not in self.commands or args[0] == "paths":
            args = ["paths", *args]
        return super().parse_args(ctx, args)


scan_app = typer.Typer(cls=_PathsByDefault, add_completion=False, rich_markup_mode=None,
                       help="Find secrets, personal data, sensitive datasets and licence problems.")
app.add_typer(scan_app, name="scan")
fingerprint_app = typer.Typer(
    no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Fingerprints of sensitive datasets, reported wherever their rows reappear.")
scan_app.add_typer(fingerprint_app, name="fingerprint")


@scan_app.command("paths", hidden=True)
@mapped_errors
def scan_command(
    paths: o.Paths = None, diff: o.Diff = None, staged: o.Staged = False, history: o.History = False,
    ref: o.Ref = "HEAD", form: o.FormatOption = o.Format.HUMAN, output: o.Output = None,
    fail_on: o.FailOn = None, baseline: o.BaselineFile = None, no_baseline: o.NoBaseline = False,
    update_baseline: o.UpdateBaseline = False, reason: o.Reason = "", audit_baseline: o.AuditBaseline = False,
    pii: o.Pii = False, datasets: o.Datasets = True, licenses: o.Licenses = False,
    include_vendored: o.IncludeVendored = False, include_minified: o.IncludeMinified = False,
    no_ignore: o.NoIgnore = False, max_file_mb: o.MaxFileMb = 64, jobs: o.Jobs = 0,
    no_progress: o.NoProgress = False, project: o.Project = None,
) -> None:
    """Scan files, a git diff or a history for secrets, personal data, datasets and licences.

    Sub-commands: `veil scan fingerprint add|list|remove`. Exit status: 0 clean, 1 findings at
    or above --fail-on, 2 a usage error.
    """
    chosen = [p for p in (paths or []) if str(p)]
    if sum([bool(diff), staged, history]) + bool(chosen) > 1:
        raise UsageProblem("give PATHs, --diff, --staged or --history: one of them")
    if update_baseline and audit_baseline:
        raise UsageProblem("--update-baseline and --audit-baseline do not go together")
    root = _root(chosen, project)
    home = project or root
    settings = scan_settings(home)
    options = ScanOptions(pii=pii, datasets=datasets, include_vendored=include_vendored,
                          include_ignored=no_ignore, jobs=jobs,
                          limits=Limits(file_bytes=max_file_mb << 20, include_minified=include_minified))
    store = FingerprintStore(home / FINGERPRINTS)
    cached = load_pattern_cache(SCAN_PATTERNS)
    scanner = Scanner(options, fingerprints=store if store.names() else None)
    try:
        report = _run(scanner, chosen or [Path()], root, diff, staged, history, ref,
                      show_progress=not no_progress and form is o.Format.HUMAN and sys.stderr.isatty())
        if licenses:
            from veil.scan import check_licenses

            report.findings.extend(check_licenses(home, exceptions=settings.exceptions).findings)
        baseline_path = baseline or home / BASELINE_NAME
        accepted = load_baseline(baseline_path) if baseline is not None or baseline_path.exists() else None
    except InvalidInput as exc:  # a wrong path, revision or baseline: say what to fix
        raise UsageProblem(exc.message) from None
    finally:  # after the run: a dataset's profiler compiles its patterns only when one is found
        refresh_pattern_cache(SCAN_PATTERNS, cached)
    if audit_baseline:
        _audit(report, accepted, scanner, output)
    if update_baseline:
        _update(report, accepted, baseline_path, reason)
    if accepted is not None and not no_baseline:
        report.findings, count = accepted.apply(report.findings)
        report.suppressed["baseline"] += count
        report.suppressed = +report.suppressed
    _render(report, form, output)
    threshold = fail_on or settings.fail_on
    failing = [f for f in report.findings if f.severity.rank >= threshold.rank]
    raise typer.Exit(EXIT_FAILURE if failing else EXIT_OK)


def _root(paths: list[Path], project: Path | None) -> Path:
    """Where reported paths start: the folder scanned when it is one, else the project."""
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0]
    return project or Path()


def _run(scanner: Scanner, paths: list[Path], root: Path, diff: str | None, staged: bool,
         history: bool, ref: str, *, show_progress: bool) -> ScanReport:
    if staged or diff:
        return scan_diff(scanner, root, revisions=diff, staged=staged)
    if history:
        return scan_history(scanner, root, ref)
    with _progress(show_progress) as advance:
        return scanner.scan_paths(paths, root, progress=advance)


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.completed} files scanned"), transient=True,
                  console=Console(stderr=True)) as bar:
        task = bar.add_task("scan", total=None)
        yield lambda files, _bytes: bar.advance(task, files)


def _render(report: ScanReport, form: o.Format, output: Path | None) -> None:
    with _output(output) as stream:
        if form is o.Format.JSON:
            write_json(report.to_dict(), stream)
        elif form is o.Format.SARIF:
            write_json(to_sarif(report.findings, tool_version=_version(), root=Path.cwd()), stream)
        else:
            from veil.cli._scan_render import write_human  # rich: only for people

            write_human(report, stream, colour=None if output is None and stream.isatty() else False)


def _audit(report: ScanReport, accepted: Any, scanner: Scanner, output: Path | None) -> None:
    from veil.cli._scan_render import write_audit
    from veil.scan import Baseline

    items = audit(accepted or Baseline(), report.findings, report.allows,
                  [r.name for r in scanner.detector.recognizers])
    with _output(output) as stream:
        write_audit(items, stream, colour=None if output is None and stream.isatty() else False)
    raise typer.Exit(EXIT_FAILURE if any(item.problem for item in items) else EXIT_OK)


def _update(report: ScanReport, accepted: Any, path: Path, reason: str) -> None:
    from veil.scan import Baseline

    if not reason.strip():
        raise UsageProblem("--update-baseline needs --reason 'why these findings are accepted'")
    updated = (accepted or Baseline()).updated(report.findings, reason.strip(), datetime.now(UTC).date())
    write_baseline(path, updated)
    typer.echo(f"{path}: {len(updated.entries)} accepted findings")
    raise typer.Exit(EXIT_OK)


def write_json(document: object, stream: TextIO) -> None:
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8") as stream:
        yield stream


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("veil")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"


@fingerprint_app.command("add")
@mapped_errors
def fingerprint_add(
    file: Annotated[Path, typer.Argument(help="A sensitive dataset (CSV, JSONL, Parquet, SQLite).")],
    name: Annotated[str | None, typer.Option(
        "--name", help="Its name in reports (default: the file name).")] = None,
    project: o.Project = None,
) -> None:
    """Record keyed hashes of a dataset's rows; later scans report files that share rows with it."""
    if not file.is_file():
        raise UsageProblem(f"{file}: no such file")
    added = FingerprintStore((project or Path()) / FINGERPRINTS).add(file, name)
    typer.echo(f"{added.name}: {added.rows} rows fingerprinted")


@fingerprint_app.command("list")
@mapped_errors
def fingerprint_list(project: o.Project = None) -> None:
    """The fingerprinted datasets."""
    for name in FingerprintStore((project or Path()) / FINGERPRINTS).names():
        typer.echo(name)


@fingerprint_app.command("remove")
@mapped_errors
def fingerprint_remove(name: Annotated[str, typer.Argument(help="A fingerprinted dataset.")],
                       project: o.Project = None) -> None:
    """Forget a dataset's fingerprints."""
    FingerprintStore((project or Path()) / FINGERPRINTS).remove(name)
    typer.echo(f"{name}: removed")

