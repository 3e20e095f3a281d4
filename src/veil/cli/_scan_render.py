"""How ``veil scan`` shows its results to people: coloured findings and a summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from veil.scan import AuditItem, ScanFinding, ScanReport, Severity

_COLOURS = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
            Severity.LOW: "cyan"}


def write_human(report: ScanReport, stream: TextIO, *, colour: bool | None = None) -> None:
    console = Console(file=stream, highlight=False, soft_wrap=True,
                      force_terminal=colour, no_color=colour is False)
    for finding in report.findings:
        _finding(console, finding)
    console.print(_summary(report))


def _finding(console: Console, finding: ScanFinding) -> None:
    where = f"{finding.path}:{finding.line}:{finding.column}" if finding.line else finding.path
    colour = _COLOURS[finding.severity]
    commit = f"  [dim]commit {finding.commit[:12]}[/]" if finding.commit else ""
    console.print(f"[bold]{escape(where)}[/]  [{colour}]{finding.severity.upper()}[/]  "
                  f"{escape(finding.rule)}  {escape(finding.preview)}{commit}")
    console.print(f"    {escape(finding.message)}")
    console.print(f"    [green]fix:[/] {escape(finding.remediation)}")


def _summary(report: ScanReport) -> str:
    by_severity = Counter(f.severity for f in report.findings)
    parts = ", ".join(f"{by_severity[s]} {s}" for s in reversed(Severity) if by_severity[s])
    found = f"[bold red]{len(report.findings)} findings[/] ({parts})" if report.findings else \
        "[bold green]no findings[/]"
    size = report.bytes / 1e6
    line = f"{found} in {report.files} files, {size:.1f} MB, {report.seconds:.2f} s"
    if report.skipped:
        line += "; skipped " + ", ".join(f"{n} {why}" for why, n in sorted(report.skipped.items()))
    if report.suppressed:
        line += "; accepted " + ", ".join(f"{n} by {how}" for how, n in sorted(report.suppressed.items()))
    return line


def write_audit(items: Sequence[AuditItem], stream: TextIO, *, colour: bool | None = None) -> None:
    console = Console(file=stream, highlight=False, soft_wrap=True,
                      force_terminal=colour, no_color=colour is False)
    for item in items:
        state = f"[yellow]{escape(item.problem)}[/]" if item.problem else "[green]ok[/]"
        reason = escape(item.reason) if item.reason else "[dim](no reason)[/]"
        where = f"{escape(item.path)}:{item.line}"
        console.print(f"{where}  {item.source}  {escape(item.rule)}  {reason}  {state}")
    problems = sum(1 for item in items if item.problem)
    console.print(f"{len(items)} accepted findings and exceptions, {problems} to review")
