"""Targets, the "where Veil is behind" list and docs/benchmarks.md, all from the numbers."""

from __future__ import annotations

from typing import Any

from score import CHECKSUM_TYPES, CORE

THRESHOLDS = (0.0, 0.5)
CORE_F1, CHECKSUM_F1, LEAK_MAX, FREE_MAX = 0.85, 0.97, 0.05, 0.10
NO_NER_RATIO, NER_RATIO, LOG_MBPS = 10.0, 3.0, 2.0


def _f1(result: dict[str, Any], label: str, kind: str = "strict", native: bool = False) -> float:
    table = result["per_label_native" if native else "per_label"]
    return float(table[label][kind]["f1"]) if label in table else 0.0


def best_presidio(quality: dict[str, Any], modes: list[str], label: str, kind: str,
                  native: bool = False) -> tuple[float, str]:
    """Presidio's best F1 for ``label`` over the given modes and both thresholds."""
    best = (0.0, "")
    for mode in modes:
        for t in THRESHOLDS:
            key = f"presidio_{mode}@{t}"
            if key in quality:
                best = max(best, (_f1(quality[key], label, kind, native), key))
    return best


def _target(name: str, goal: str, measured: float | None, ok: bool | None, note: str = "") -> dict[str, Any]:
    return {"target": name, "goal": goal, "measured": measured, "ok": ok, "note": note}


def speed_targets(timing: dict[str, Any], comparator: str) -> list[dict[str, Any]]:
    veil, pres = timing["veil"]["modes"], timing["presidio"]["modes"]
    out = []
    ratio = veil["patterns"]["records_per_s"] / pres[comparator]["records_per_s"]
    out.append(_target("records/s vs Presidio, no NER", f">= {NO_NER_RATIO:g}x", round(ratio, 2),
                       ratio >= NO_NER_RATIO, f"Presidio {comparator}"))
    logs = timing["veil"].get("logs")
    if logs:
        how = max(("per_line", "per_chunk"), key=lambda k: logs[k]["mb_per_s"])
        mbps = logs[how]["mb_per_s"]
        out.append(_target("MB/s on log lines, no NER", f">= {LOG_MBPS:g}", mbps, mbps >= LOG_MBPS,
                           how.replace("_", " ")))
    if "ner" in veil and "ner" in pres:
        ratio = veil["ner"]["records_per_s"] / pres["ner"]["records_per_s"]
        out.append(_target("records/s vs Presidio, with NER", f">= {NER_RATIO:g}x", round(ratio, 2),
                           ratio >= NER_RATIO, "same spaCy model"))
    else:
        out.append(_target("records/s vs Presidio, with NER", f">= {NER_RATIO:g}x", None, None,
                           "NER row missing"))
    return out


def quality_targets(quality: dict[str, Any], veil_key: str) -> list[dict[str, Any]]:
    res = quality[veil_key]
    f1 = res["core_micro"]["strict"]["f1"]
    out = [_target("micro F1 (strict), core 10", f">= {CORE_F1}", f1, f1 >= CORE_F1, veil_key)]
    for label in CHECKSUM_TYPES:
        got = _f1(res, label, native=True)
        out.append(_target(f"F1 (strict) {label}", f">= {CHECKSUM_F1}", got, got >= CHECKSUM_F1, veil_key))
    leak = res["leak_rate"]
    out.append(_target("leak rate", f"<= {LEAK_MAX}", leak, leak <= LEAK_MAX, veil_key))
    share = res["pii_free"]["share"]
    out.append(_target("PII-free records flagged", f"<= {FREE_MAX}", share, share <= FREE_MAX, veil_key))
    return out


def below_presidio(quality: dict[str, Any], veil_key: str, modes: list[str]) -> list[dict[str, Any]]:
    """Entities (gold labels, coarse and native) where Presidio's best F1 beats Veil's."""
    out = []
    for native in (False, True):
        table = quality[veil_key]["per_label_native" if native else "per_label"]
        for label in sorted(table):
            if table[label]["gold"] == 0 or (native and label in CORE):
                continue
            for kind in ("strict", "overlap"):
                ours = _f1(quality[veil_key], label, kind, native)
                theirs, key = best_presidio(quality, modes, label, kind, native)
                if theirs > ours:
                    out.append({"label": label, "kind": kind, "veil": ours, "presidio": theirs,
                                "presidio_run": key, "veil_run": veil_key})
    return out


def behind(results: dict[str, Any]) -> list[str]:
    """Plain sentences, each computed from a number in ``results``."""
    lines = [f"Target missed: {t['target']} is {t['measured']} (goal {t['goal']}; {t['note']})."
             for t in results["targets"] if t["ok"] is False]
    for row in results["below_presidio"]:
        lines.append(f"{row['label']} {row['kind']} F1: Veil ({row['veil_run']}) {row['veil']:.3f} "
                     f"< Presidio ({row['presidio_run']}) {row['presidio']:.3f}.")
    main = results["quality"].get(results["veil_main"])
    if main:
        for label, m in main["per_label"].items():
            if m["gold"] and m["strict"]["f1"] < CORE_F1:
                lines.append(f"{label}: strict F1 {m['strict']['f1']:.3f} (P {m['strict']['p']:.3f}, "
                             f"R {m['strict']['r']:.3f}; overlap F1 {m['overlap']['f1']:.3f}).")
        worst = sorted(main["pii_free"]["flagged_by_label"].items(), key=lambda kv: -kv[1])[:4]
        if worst:
            parts = ", ".join(f"{label} {n}" for label, n in worst)
            lines.append(f"PII-free records flagged by label ({results['veil_main']}): {parts} "
                         f"of {main['pii_free']['records']}.")
        leaks = sorted(((label, m["leaked"]) for label, m in main["per_label_native"].items()
                        if m["leaked"]), key=lambda kv: -kv[1])[:5]
        if leaks:
            parts = ", ".join(f"{label} {n}" for label, n in leaks)
            lines.append(f"Leaked gold spans by label ({results['veil_main']}): {parts}.")
    return lines
