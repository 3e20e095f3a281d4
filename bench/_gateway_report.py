"""Targets and the "## Gateway" section of docs/benchmarks.md, from bench/gateway.py's results, and the
facts its header states (machine, versions, source)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any

from _provenance import versions as package_versions

HEADING = "## Gateway"
ADDED_GOALS_MS = {"1KB": {"p50": 2.0, "p99": 5.0}, "32KB": {"p50": 8.0, "p99": 15.0}}
TTFT_P50_MS = 3.0
REQUESTS_PER_S = 400
READY_S = 1.0


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        names = [ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    return {"cpu": cpu, "cores": os.cpu_count(), "platform": platform.platform(terse=True),
            "python": platform.python_version(), "load_before": load_average()}


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def versions() -> dict[str, str]:
    names = ("veil", "fastapi", "starlette", "uvicorn", "h11", "httptools", "uvloop", "httpx")
    return package_versions(names)


def _ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def _target(target: str, goal: str, measured: str, ok: bool | None) -> dict[str, Any]:
    return {"target": target, "goal": goal, "measured": measured, "ok": ok}


def _added(target: str, result: dict[str, Any], q: str, goal: float | None) -> dict[str, Any]:
    added = result["added_ms"][q]
    measured = (f"{added:+.2f} ms (direct {_ms(result['direct'][f'{q}_us'])}, "
                f"gateway {_ms(result['gateway'][f'{q}_us'])})")
    return _target(target, "(for scale)" if goal is None else f"<= {goal:g} ms", measured,
                   None if goal is None else added <= goal)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for size, goals in ADDED_GOALS_MS.items():
        for q, goal in goals.items():
            out.append(_added(f"added latency {q}, {size[:-2]} KB prompt", results["latency"][size], q, goal))
    out.append(_added("added time to first token p50, 1 KB prompt", results["ttft"]["1KB"]["ttft"], "p50",
                      TTFT_P50_MS))
    pace = results["config"]["pace_ms"]
    out.append(_added(f"  the same, upstream pacing its events {pace:g} ms apart",
                      results["ttft"]["1KB paced"]["ttft"], "p50", None))
    load = results["throughput"]["gateway"]
    out.append(_target(f"requests/s at 1 KB, {load['concurrency']} connections, client on this machine",
                       f">= {REQUESTS_PER_S}/s, no errors",
                       f"{load['requests_per_s']:,.0f}/s, {load['errors']} errors",
                       load["requests_per_s"] >= REQUESTS_PER_S and load["errors"] == 0))
    direct = results["throughput"]["direct"]
    out.append(_target("  the same client straight to the fake upstream", "(ceiling)",
                       f"{direct['requests_per_s']:,.0f}/s, {direct['errors']} errors", None))
    ready = results["ready"]
    where = "own network namespace, loopback only" if ready["isolated"] else "network not isolated"
    measured = (f"{ready['ready_s']:.2f} s median of {len(ready['runs'])} (first start after `veil init` "
                f"{ready['first_ready_s']:.2f}, max {ready['max_ready_s']:.2f}; port open at "
                f"{ready['tcp_s']:.2f})")
    out.append(_target(f"`veil serve` start to `/v1/ready` 200 ({where})", f"<= {READY_S:g} s", measured,
                       ready["ready_s"] <= READY_S))
    return out


def _ok(flag: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "-"}[flag]


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return [*out, *("| " + " | ".join(row) + " |" for row in rows), ""]


def targets_table(rows: list[dict[str, Any]]) -> list[str]:
    return _table(["Target", "Goal", "Measured", "Met"],
                  [[t["target"], t["goal"], t["measured"], _ok(t["ok"])] for t in rows])


def distributions_table(results: dict[str, Any]) -> list[str]:
    prompts = {size: results["latency"][size]["prompt_bytes"]["mean"] for size in results["latency"]}
    series = [(f"JSON, {size[:-2]} KB prompt (mean {prompts[size]:,.0f} B)", results["latency"][size])
              for size in results["latency"]]
    for label, name in (("1KB", "SSE"), ("1KB paced", "SSE, paced upstream")):
        stream = results["ttft"][label]
        series += [(f"{name}, 1 KB: first token", stream["ttft"]),
                   (f"{name}, 1 KB: whole stream", stream["total"])]
    rows = []
    for label, result in series:
        rows += [_row(label, path, result[path]) for path in ("direct", "gateway")]
        rows.append(_row(label, "per-request difference", result["paired_difference"]))
    for path, load in results["throughput"].items():
        if load["latency"] is not None:
            rows.append(_row(f"under load, {load['concurrency']} connections", path, load["latency"]))
    return _table(["Requests", "Path", "n", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "mean ms"], rows)


def _row(label: str, path: str, p: dict[str, float]) -> list[str]:
    return [label, path, f"{p['n']:,}", *(_ms(p[f"{q}_us"]) for q in ("p50", "p90", "p99", "p999", "mean"))]


def cpu_line(results: dict[str, Any]) -> str:
    """The gateway process's CPU per request: less moved by other work on the machine than wall time."""
    parts = [(f"JSON {size[:-2]} KB", results["latency"][size]) for size in results["latency"]]
    parts += [("SSE 1 KB", results["ttft"]["1KB"]), ("SSE 1 KB paced", results["ttft"]["1KB paced"])]
    cells = [f"{name} {r['gateway_cpu_ms_per_request']:.2f}" for name, r in parts
             if r.get("gateway_cpu_ms_per_request") is not None]
    return "Gateway process CPU (user + system, /proc) per request, ms: " + (", ".join(cells) or "n/a") + "."


def _cores(results: dict[str, Any]) -> str:
    parts = []
    for path, load in results["throughput"].items():
        used = ", ".join(f"{name} {cores:.2f}" for name, cores in load["cores_used"].items())
        parts.append(f"{path}: {used}")
    return "; ".join(parts)


def method(results: dict[str, Any]) -> list[str]:
    config, found = results["config"], results["entities_redacted"]
    entities = ", ".join(f"{k} {v:,.0f}" for k, v in sorted(found.items()))
    restored = "yes" if results["answer_restored"] else "NO"
    return [
        "Three processes on loopback: a fake OpenAI-compatible upstream (a bare ASGI app on uvicorn that "
        f"reads and parses the body and answers one fixed {config['answer_chars']}-character completion "
        "naming `<PERSON_1>`, `<EMAIL_ADDRESS_1>` and `<PHONE_NUMBER_1>`, whole as JSON or in SSE events "
        f"of {config['piece_chars']} characters), the gateway and the client. The gateway is `veil serve` "
        "itself (uvicorn, one worker, default loop and HTTP parser, its JSON access log at INFO to a file), "
        "run in-process so that `open_service` gets rate limits no run reaches, on a project made by `veil "
        "init` in a temporary folder (SQLite, an audit entry per request), with an `inference` token "
        "for the template's `cli` principal from `veil token issue`.",
        f"Prompts: {config['prompts']} seeded support-thread texts per size (`bench/_values.py` names, "
        "e-mail addresses and phone numbers in about one sentence in three; at most 1 KB or 32 KB of "
        "UTF-8) after a short system message, cycled. Entities the gateway's /metrics counted as "
        f"replaced: {entities}; the answer's tags restored to the prompt's values: {restored}.",
        "Added latency: each request goes once straight to the upstream and once through the gateway "
        "with the same bytes (which goes first alternates), one at a time on a keep-alive "
        f"`httpx.Client`, after {config['warmup']} warm-up pairs. Added = gateway percentile minus direct "
        "percentile; the per-request differences are shown too. Time to first token: from sending until "
        "the first SSE event with content text arrives. The gateway's output filter holds back 64 "
        "characters of each choice before it emits any, so against an upstream that streams at model "
        "speed the first token waits for about 16 more events: the paced row shows it.",
        f"Throughput: an `httpx.AsyncClient` in this process keeping {config['concurrency']} requests in "
        f"flight for {config['load_s']:g} s after {config['load_warmup_s']:g} s of warm-up, 1 KB prompts; "
        "requests/s are the 200 answers over the time; any other answer or transport error is an error. "
        f"Cores used meanwhile (/proc): {_cores(results)}.",
        "Readiness, measured first: `veil serve --upstream <a closed port>` started afresh each run, the "
        "first right after `veil init`; seconds from launching the process until its port accepts a "
        "connection and until `GET /v1/ready` answers 200, polled every 2 ms. Run under `unshare -rn` (a "
        "network namespace holding only loopback) when the kernel allows it.",
        "Everything shares one machine with the client: on 2 cores the client, the upstream and the "
        "gateway compete, and other work on the machine moves the tails most (load average above).",
    ]


def render_section(results: dict[str, Any]) -> str:
    m, v, src = results["machine"], results["versions"], results["source"]
    changed = f" with local changes in {', '.join(src['src_changed'])}" if src.get("src_changed") else ""
    lines = [
        HEADING,
        "",
        "Generated by `bench/gateway.py` from `bench/results/gateway.json`.",
        "",
        f"Reproduce: `{results['command']}` ({results['seconds']:.0f} s for this run)",
        "",
        f"- Date: {results['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}, Python {m['python']}; load average "
        f"{m['load_before']} before and {m['load_after']} after the run.",
        f"- Versions: {', '.join(f'{k} {x}' for k, x in v.items())}; source commit {src.get('commit') or '?'}"
        f"{changed}.",
        "",
        *targets_table(results["targets"]),
        "### Distributions",
        "",
        *distributions_table(results),
        cpu_line(results),
        "",
        "### Method",
        "",
        *(f"- {item}" for item in method(results)),
    ]
    return "\n".join(lines) + "\n"
