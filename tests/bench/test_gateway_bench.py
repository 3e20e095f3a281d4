"""Smoke test of bench/gateway.py: the quick run finishes, reports every metric, judges every target,
writes its docs section without touching the others, and leaves the published results alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the gateway benchmark needs veil[server]")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gateway.py"
PUBLISHED = ROOT / "bench" / "results" / "gateway.json"
QUANTILES = ("p50_us", "p90_us", "p99_us", "p999_us", "mean_us", "n")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("gateway-bench")
    output, docs = folder / "gateway.json", folder / "benchmarks.md"
    docs.write_text("# Detection benchmark\n\nkept\n\n## Vault\n\nalso kept\n", encoding="utf-8")
    before = PUBLISHED.read_bytes() if PUBLISHED.exists() else None
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--output", str(output), "--docs", str(docs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"results": json.loads(output.read_text(encoding="utf-8")), "stdout": done.stdout,
            "docs": docs.read_text(encoding="utf-8"), "docs_path": docs, "published_before": before}


def _distribution(stat: dict) -> None:
    assert set(QUANTILES) <= set(stat)
    assert 0 < stat["p50_us"] <= stat["p99_us"]


def test_quick_run_reports_every_metric(quick: dict) -> None:
    results = quick["results"]
    assert results["quick"] is True
    assert results["answer_restored"] is True
    assert results["entities_redacted"]["EMAIL_ADDRESS"] > 0
    for size, limit in (("1KB", 1024), ("32KB", 32 * 1024)):
        latency = results["latency"][size]
        assert limit / 2 < latency["prompt_bytes"]["max"] <= limit
        for path in ("direct", "gateway"):
            _distribution(latency[path])
            assert latency[path]["n"] == results["config"]["requests"]
        assert set(latency["added_ms"]) == {"p50", "p90", "p99", "mean"}
    for label in ("1KB", "1KB paced"):
        for measure in ("ttft", "total"):
            _distribution(results["ttft"][label][measure]["gateway"])
    for path in ("gateway", "direct"):
        load = results["throughput"][path]
        assert load["completed"] > 0
        assert load["errors"] == 0
        assert load["requests_per_s"] > 0
    ready = results["ready"]
    assert len(ready["runs"]) == results["config"]["ready_runs"]
    assert 0 < ready["tcp_s"] <= ready["max_ready_s"]


def test_every_target_is_judged(quick: dict) -> None:
    rows = quick["results"]["targets"]
    assert len(rows) == 9  # 4 latency, first token (+ paced), requests/s (+ direct), readiness
    assert all(t["ok"] in (True, False) for t in rows if not t["goal"].startswith("("))
    assert all(t["ok"] is None for t in rows if t["goal"].startswith("("))
    assert "| Target | Goal | Measured | Met |" in quick["stdout"]


def test_docs_section_is_appended_once_and_replaced_in_place(quick: dict) -> None:
    docs = quick["docs"]
    assert docs.startswith("# Detection benchmark\n\nkept\n\n## Vault\n\nalso kept\n\n## Gateway\n")
    assert docs.count("\n## Gateway\n") == 1
    assert "### Method" in docs
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from _docs import replace_section
        from _gateway_report import HEADING, render_section
    finally:
        sys.path.remove(str(ROOT / "bench"))
    replace_section(quick["docs_path"], HEADING, render_section(quick["results"]))  # a second run
    assert quick["docs_path"].read_text(encoding="utf-8") == docs


def test_quick_run_leaves_the_published_results_alone(quick: dict) -> None:
    after = PUBLISHED.read_bytes() if PUBLISHED.exists() else None
    assert after == quick["published_before"]
