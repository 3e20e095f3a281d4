"""Sections of docs/benchmarks.md that each benchmark script owns: replaced in place, others kept."""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, heading: str, section: str) -> None:
    """Put ``section`` (which starts with ``heading``) where the previous one was, or at the end.

    A section runs from its ``## `` heading to the next ``## `` heading, so the scripts that share
    the file never overwrite each other's tables."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading), None)
    body = section.rstrip("\n") + "\n"
    if start is None:
        joined = "".join(lines).rstrip("\n")
        path.write_text((joined + "\n\n" if joined else "") + body, encoding="utf-8")
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    after = "".join(lines[end:])
    path.write_text("".join(lines[:start]) + body + ("\n" + after if after else ""), encoding="utf-8")
