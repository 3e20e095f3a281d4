"""Span-level scoring of detection predictions against the labelled dev set.

    python bench/score.py --gold bench/.data/dev.jsonl --pred preds.jsonl [--min-score 0.5]

Gold: JSONL ``{id, category, text, spans: [{start, end, label}]}``. Predictions:
what ``veil detect --batch`` writes, one ``{"id": ..., "pred": [{start, end, label,
score}]}`` per line. Offsets are code points, end exclusive.

strict  a prediction counts when its span and label equal a gold span's.
overlap a prediction counts when it overlaps a gold span of the same label (precision);
        a gold span counts when a prediction of its label overlaps it (recall).
leak    share of gold spans (any label) that no prediction (any label) overlaps.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The entity set of the headline micro F1.
CORE = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "IBAN_CODE",
    "IP_ADDRESS", "LOCATION", "DATE_TIME", "URL",
)
#: Types whose values carry a check digit or checksum (Luhn, mod-97, mod-11, Verhoeff, CRC32).
CHECKSUM_TYPES = ("CREDIT_CARD", "IBAN_CODE", "UK_NHS", "IN_AADHAAR", "CA_SIN", "GITHUB_TOKEN")
#: Presidio's names for entities Veil names differently.
PRESIDIO_NAMES: dict[str, str] = {
    "US_PASSPORT": "PASSPORT", "US_DRIVER_LICENSE": "DRIVER_LICENSE", "ORG": "ORGANIZATION",
}
#: Coarse mapping for the core comparison, applied to gold and predictions alike.
COARSE: dict[str, str] = {
    **PRESIDIO_NAMES, "DATE_OF_BIRTH": "DATE_TIME", "STREET_ADDRESS": "LOCATION",
}

Span = tuple[int, int, str]


@dataclass
class Counts:
    gold: int = 0
    pred: int = 0
    strict_tp: int = 0
    overlap_pred_tp: int = 0
    overlap_gold_tp: int = 0
    leaked: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def metrics(self) -> dict[str, Any]:
        strict = prf(self.strict_tp, self.pred, self.strict_tp, self.gold)
        overlap = prf(self.overlap_pred_tp, self.pred, self.overlap_gold_tp, self.gold)
        return {"gold": self.gold, "pred": self.pred, "strict": strict, "overlap": overlap,
                "leaked": self.leaked}


def prf(tp_pred: int, n_pred: int, tp_gold: int, n_gold: int) -> dict[str, float]:
    """Precision, recall and F1; an empty side scores 1.0 when the other is empty too."""
    p = tp_pred / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
    r = tp_gold / n_gold if n_gold else (1.0 if n_pred == 0 else 0.0)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4)}


@dataclass
class Record:
    text: str
    category: str
    spans: list[Span] = field(default_factory=list)


def load_gold(path: Path) -> dict[str, Record]:
    gold: dict[str, Record] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            spans = [(s["start"], s["end"], s["label"]) for s in row["spans"]]
            gold[str(row["id"])] = Record(row["text"], row.get("category", ""), spans)
    return gold


def load_pred(path: Path, min_score: float = 0.0) -> dict[str, list[Span]]:
    pred: dict[str, list[Span]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pred[str(row["id"])] = [(p["start"], p["end"], p["label"]) for p in row["pred"]
                                    if p.get("score", 1.0) >= min_score]
    return pred


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def count_record(gold: Iterable[Span], pred: Iterable[Span],
                 mapping: Mapping[str, str]) -> dict[str, Counts]:
    """Per-label counts for one record after mapping both sides' labels."""
    raw_pred = set(pred)
    g = {(s, e, mapping.get(label, label)) for s, e, label in gold}
    p = {(s, e, mapping.get(label, label)) for s, e, label in raw_pred}
    out: dict[str, Counts] = defaultdict(Counts)
    for span in g:
        c = out[span[2]]
        c.gold += 1
        c.strict_tp += span in p
        c.overlap_gold_tp += any(q[2] == span[2] and _overlaps(q, span) for q in p)
        c.leaked += not any(_overlaps(q, span) for q in p)
    for span in p:
        c = out[span[2]]
        c.pred += 1
        c.overlap_pred_tp += any(q[2] == span[2] and _overlaps(q, span) for q in g)
    return out


def _uncovered(span: Span, pred: Iterable[Span]) -> bool:
    """True when some character of ``span`` lies in no prediction."""
    covered = sorted((max(s, span[0]), min(e, span[1])) for s, e, _ in pred
                     if s < span[1] and span[0] < e)
    pos = span[0]
    for s, e in covered:
        if s > pos:
            return True
        pos = max(pos, e)
    return pos < span[1]


def score(gold: Mapping[str, Record], pred: Mapping[str, list[Span]],
          mapping: Mapping[str, str] | None = None) -> dict[str, Any]:
    """All metrics; ``mapping`` defaults to COARSE (use ``{}`` for native labels)."""
    mapping = COARSE if mapping is None else mapping
    totals: dict[str, Counts] = defaultdict(Counts)
    free = flagged = partial = n_gold = 0
    flagged_by: dict[str, int] = defaultdict(int)
    for rid, record in gold.items():
        found = pred.get(rid, [])
        for label, counts in count_record(record.spans, found, mapping).items():
            totals[label].add(counts)
        n_gold += len(record.spans)
        partial += sum(_uncovered(s, found) for s in record.spans)
        if not record.spans:
            free += 1
            flagged += bool(found)
            for label in {mapping.get(p[2], p[2]) for p in found}:
                flagged_by[label] += 1
    core = Counts()
    for label in CORE:
        core.add(totals.get(label, Counts()))
    leaked = sum(c.leaked for c in totals.values())
    return {
        "records": len(gold),
        "missing_predictions": sum(rid not in pred for rid in gold),
        "gold_spans": n_gold,
        "core_micro": core.metrics(),
        "per_label": {label: totals[label].metrics() for label in sorted(totals)},
        "leak_rate": round(leaked / n_gold, 4) if n_gold else 0.0,
        "not_fully_covered_rate": round(partial / n_gold, 4) if n_gold else 0.0,
        "pii_free": {"records": free, "flagged": flagged,
                     "share": round(flagged / free, 4) if free else 0.0,
                     "flagged_by_label": dict(sorted(flagged_by.items()))},
    }


def score_files(gold_path: Path, pred_path: Path, min_score: float = 0.0) -> dict[str, Any]:
    """Coarse (core comparison) and native-label views of one predictions file."""
    gold, pred = load_gold(gold_path), load_pred(pred_path, min_score)
    coarse = score(gold, pred)
    coarse["per_label_native"] = score(gold, pred, PRESIDIO_NAMES)["per_label"]
    return coarse


def format_report(result: Mapping[str, Any]) -> str:
    lines = [f"{'label':<18}{'gold':>6}{'pred':>6}  {'P':>6}{'R':>6}{'F1':>6}  "
             f"{'oP':>6}{'oR':>6}{'oF1':>6}"]
    rows = [("CORE micro", result["core_micro"]), *result["per_label"].items()]
    for label, m in rows:
        s, o = m["strict"], m["overlap"]
        lines.append(f"{label:<18}{m['gold']:>6}{m['pred']:>6}  {s['p']:>6.3f}{s['r']:>6.3f}"
                     f"{s['f1']:>6.3f}  {o['p']:>6.3f}{o['r']:>6.3f}{o['f1']:>6.3f}")
    free = result["pii_free"]
    lines.append(f"leak rate {result['leak_rate']:.4f}; PII-free flagged "
                 f"{free['flagged']}/{free['records']} ({free['share']:.4f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score detection predictions (span level).")
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--pred", type=Path, required=True)
    parser.add_argument("--min-score", type=float, default=0.0)
    parser.add_argument("--json", type=Path, help="also write the full result here")
    args = parser.parse_args(argv)
    result = score_files(args.gold, args.pred, args.min_score)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    sys.stdout.write(format_report(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
