"""Smoke test of bench/vault.py: the quick run on SQLite finishes and reports every metric."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "vault.py"
PUBLISHED = ROOT / "bench" / "results" / "vault.json"

AEAD = ("veil_seal", "veil_open", "raw_seal", "raw_encrypt", "raw_decrypt")
STATS = ("median", "min", "max", "runs")


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("vault-bench")
    output, docs = folder / "vault.json", folder / "benchmarks.md"
    docs.write_text("# Detection benchmark\n\nkept as it is\n", encoding="utf-8")
    before = PUBLISHED.read_bytes() if PUBLISHED.exists() else None
    done = subprocess.run([sys.executable, str(SCRIPT), "--quick", "--backends", "sqlite",
                           "--output", str(output), "--docs", str(docs)],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return {"results": json.loads(output.read_text(encoding="utf-8")), "stdout": done.stdout,
            "docs": docs.read_text(encoding="utf-8"), "docs_path": docs, "published_before": before}


def test_quick_run_reports_every_metric(quick: dict) -> None:
    results = quick["results"]
    assert results["quick"] is True
    for key in ("cpu", "cores", "python", "sqlite"):
        assert results["machine"][key]
    for size in ("1024B", "200B"):
        for op in AEAD:
            stat = results["aead"][size][op]
            assert all(k in stat for k in STATS)
            assert stat["median"] > 0
    sqlite = results["backends"]["sqlite"]
    for op in ("put", "get"):
        assert sqlite[op]["vault_records_s"]["median"] > 0
        assert sqlite[op]["plain_records_s"]["median"] > 0
        assert sqlite[op]["ratio"] > 0
        assert sqlite[op]["client_cpu_us_per_record"]["vault"]["median"] > 0
    assert 0 < sqlite["destroy"]["p50_ms"] <= sqlite["destroy"]["p99_ms"] <= sqlite["destroy"]["max_ms"]
    assert sqlite["erase"]["ms"]["median"] > 0
    assert sqlite["erase"]["derived_items"] == {"cache": sqlite["erase"]["records"],
                                                "embeddings": sqlite["erase"]["records"]}
    assert {"key_destroy", "derived_cache", "derived_embeddings"} <= set(sqlite["erase"]["phases_ms"])
    assert sqlite["epoch"]["seconds"]["median"] > 0
    assert sqlite["epoch"]["data_keys"] > 0
    assert sqlite["export"]["seconds"]["median"] > 0
    assert sqlite["export"]["records_s"] > 0
    assert "postgresql" not in results["backends"]


def test_every_target_is_judged(quick: dict) -> None:
    names = [t["target"] for t in quick["results"]["targets"]]
    assert len(names) == 6  # seal, open, and put / destroy / erase / epoch on SQLite
    assert all(t["ok"] in (True, False) for t in quick["results"]["targets"] if "reference" not in t["goal"])
    assert "| target |" in quick["stdout"]


def test_docs_section_is_appended_once(quick: dict) -> None:
    docs = quick["docs"]
    assert docs.startswith("# Detection benchmark\n\nkept as it is\n\n## Vault\n")
    assert docs.count("\n## Vault\n") == 1
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from _vault_report import render_section, write_docs
    finally:
        sys.path.remove(str(ROOT / "bench"))
    write_docs(quick["docs_path"], render_section(quick["results"]))  # a second run replaces it
    assert quick["docs_path"].read_text(encoding="utf-8") == docs


def test_quick_run_leaves_the_published_results_alone(quick: dict) -> None:
    after = PUBLISHED.read_bytes() if PUBLISHED.exists() else None
    assert after == quick["published_before"]


def test_detection_benchmark_regeneration_keeps_the_vault_section(tmp_path: Path) -> None:
    from bench.run import _kept_sections

    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Detection\n\nold table\n\n## Vault\n\nvault table\n", encoding="utf-8")
    assert _kept_sections(docs) == "\n## Vault\n\nvault table\n"
    docs.write_text("# Detection\n\nold table\n", encoding="utf-8")
    assert _kept_sections(docs) == ""
