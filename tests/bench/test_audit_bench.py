"""Smoke test of bench/audit.py: the quick SQLite run finishes, reports every metric, writes its docs
section without touching the others, and leaves the published results alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "bench" / "results" / "audit.json"


def test_quick_run_reports_every_metric_and_keeps_other_sections(tmp_path: Path) -> None:
    output, docs = tmp_path / "audit.json", tmp_path / "benchmarks.md"
    docs.write_text("# Detection benchmark\n\nkept\n\n## Vault\n\nalso kept\n", encoding="utf-8")
    before = PUBLISHED.read_bytes() if PUBLISHED.exists() else None
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "audit.py"), "--quick", "--backends", "sqlite",
                           "--output", str(output), "--docs", str(docs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(output.read_text(encoding="utf-8"))["backends"]["sqlite"]
    assert results["append"]["verified"] is True
    assert results["append"]["tree_size"] == results["append"]["entries"] + 4  # plus each writer's warm-up
    assert results["verify"]["entries"] == 20_000
    assert results["proofs"]["inclusion"]["max_bytes"] <= 32 * 15  # a tree of 20,000 leaves: at most 15 hashes
    assert results["latency"]["p50"] > 0
    text = docs.read_text(encoding="utf-8")
    assert "kept\n" in text
    assert "also kept" in text
    assert text.count("## Audit log and access control") == 1
    assert (PUBLISHED.read_bytes() if PUBLISHED.exists() else None) == before
