"""Gateway benchmark: what `veil serve` adds to chat completions in front of an OpenAI-compatible upstream.

    .venv/bin/python bench/gateway.py                    # full counts (about 6 min)
    .venv/bin/python bench/gateway.py --quick            # smoke counts: prints, writes no file
    .venv/bin/python bench/gateway.py --quick --output /tmp/g.json --docs /tmp/benchmarks.md

Three processes on loopback: a fake upstream (a bare ASGI app on uvicorn answering one fixed
completion, as JSON or as SSE), the gateway (``veil serve`` on a project made by ``veil init`` in a
temporary folder, run in-process so that ``open_service`` gets rate limits too high to matter) and
this one, the client. Every request is sent once to the upstream directly and once through the
gateway, the two interleaved; the added latency is the gateway's percentile minus the direct one.
Readiness is timed first, on ``veil serve`` started afresh each time, in a network namespace with
only loopback (``unshare -rn``) where that works. Writes bench/results/gateway.json and the
"## Gateway" section of docs/benchmarks.md (full runs with the default output only).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from _docs import replace_section  # noqa: E402
from _gateway_report import (  # noqa: E402
    HEADING,
    load_average,
    machine,
    render_section,
    targets,
    targets_table,
    versions,
)
from _provenance import source_state  # noqa: E402
from _timing import percentiles  # noqa: E402

SEED = 11
SIZES = {"1KB": 1024, "32KB": 32 * 1024}
PATHS = ("direct", "gateway")
Paths = dict[str, tuple[str, dict[str, str]]]  # "direct" / "gateway" -> (URL, headers)
CHAT = "/v1/chat/completions"
MODEL, PACED_MODEL = "bench-model", "bench-paced"
PACE_S = 0.010  # the paced upstream's gap before each streamed event: a model at 100 tokens/s
SYSTEM = "You are the support team's assistant. Answer briefly and keep the customer's details."
ANSWER = ("Thanks for the details, <PERSON_1>. I have opened a ticket for the delivery problem and "
          "will write to <EMAIL_ADDRESS_1> today; if it is urgent we will call <PHONE_NUMBER_1>.")
PIECE = 4  # characters per streamed event: about one token
CONCURRENCY = 16
FULL = {"prompts": 20, "warmup": 100, "requests": 1_000, "streams": 1_000, "paced": 100,
        "load_s": 15.0, "load_warmup_s": 2.0, "ready_runs": 5}
QUICK = {"prompts": 5, "warmup": 10, "requests": 100, "streams": 100, "paced": 10,
         "load_s": 3.0, "load_warmup_s": 0.5, "ready_runs": 2}
FILLER = (
    "The parcel was due last Tuesday, but the tracking page still says it is in transit.",
    "I have already restarted the router twice and cleared the browser cache.",
    "Your colleague promised a call back within two working days and nobody called.",
    "The invoice lists the standing desk twice, so I was charged for two of them.",
    "Could you check whether the replacement was sent to the new address or the old one?",
    "I attached screenshots of the error message and of the settings page.",
    "We would like to keep the subscription but move it to the annual plan.",
    "The courier left a note saying nobody was home, although I was there all day.",
    "Please confirm the refund once it has been approved by your billing team.",
    "The app crashes as soon as I open the reports tab on my phone.",
    "I am travelling next week, so e-mail is the best way to reach me until then.",
    "Summarise the thread below and draft a short, polite reply.",
)


# -- prompts ---------------------------------------------------------------------------------------


def _pii_sentence(values: Any) -> str:
    person, email, phone = values.person(), values.email(), values.phone()
    return values.pick((
        f"Hi, my name is {person} and you can reach me at {email} or on {phone}.",
        f"Customer {person} ({email}) called from {phone} about a late delivery to {values.city()}.",
        f"Please forward this to {person} at {email}; the best number is {phone}.",
        f"{person} wrote from {email} asking us to call back on {phone} after five.",
        f"My partner {person} may call from {phone}; her e-mail is {email}.",
    ))


def prompt(values: Any, size: int) -> str:
    """Support-thread text of at most ``size`` UTF-8 bytes, about one sentence in three with a name,
    an e-mail address and a phone number (seeded Faker values, as in the detection dev set)."""
    sentences = [_pii_sentence(values)]
    length = len(sentences[0].encode())
    while True:
        sentence = _pii_sentence(values) if values.rng.random() < 0.35 else values.pick(FILLER)
        if length + 1 + len(sentence.encode()) > size:
            break
        sentences.append(sentence)
        length += 1 + len(sentence.encode())
    lines = [" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4)]
    return "\n".join(lines)


def bodies(size: int, count: int, seed: int, *, model: str = MODEL, stream: bool = False) -> list[bytes]:
    from _values import Values  # Faker: imported only where prompts are made

    values = Values(seed)
    out = []
    for _ in range(count):
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(values, size)}]
        body = {"model": model, "messages": messages, "max_tokens": 64, "stream": stream}
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


# -- the fake upstream (its own process) ------------------------------------------------------------


def _sse(event: Any) -> bytes:
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def upstream_app() -> Callable[..., Any]:
    """A bare ASGI app: ``POST /v1/chat/completions`` answers ANSWER whole (JSON) or in PIECE-character
    SSE events; model PACED_MODEL waits PACE_S before each event."""
    envelope = {"id": "chatcmpl-bench", "created": 1_700_000_000, "model": MODEL}
    choice = {"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}
    usage = {"prompt_tokens": 256, "completion_tokens": 40, "total_tokens": 296}
    whole = {**envelope, "object": "chat.completion", "choices": [choice], "usage": usage}
    completion = json.dumps(whole).encode()
    chunk = {**envelope, "object": "chat.completion.chunk"}

    def event(delta: dict[str, str], finish: str | None = None) -> bytes:
        return _sse({**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    events = [event({"role": "assistant", "content": ""})]
    events += [event({"content": ANSWER[i : i + PIECE]}) for i in range(0, len(ANSWER), PIECE)]
    events += [event({}, "stop"), b"data: [DONE]\n\n"]
    length = str(len(completion)).encode()
    json_headers = [(b"content-type", b"application/json"), (b"content-length", length)]
    sse_headers = [(b"content-type", b"text/event-stream")]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = bytearray()
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] != CHAT:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.loads(raw)
        if body.get("stream") is not True:
            await send({"type": "http.response.start", "status": 200, "headers": json_headers})
            await send({"type": "http.response.body", "body": completion})
            return
        pace = PACE_S if body.get("model") == PACED_MODEL else 0.0
        await send({"type": "http.response.start", "status": 200, "headers": sse_headers})
        for event in events:
            if pace:
                await asyncio.sleep(pace)
            await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def serve_upstream(port: int) -> None:
    import uvicorn

    uvicorn.run(upstream_app(), host="127.0.0.1", port=port, lifespan="off", access_log=False,
                log_level="warning")


def serve_gateway(project: Path, upstream: str, port: int) -> None:
    """``veil serve --project P --upstream U --port N`` itself, run in this process, with the one change
    that ``open_service`` gets rate limits no run here reaches."""
    import functools

    import veil.service
    from veil.cli import main as veil_main
    from veil.gateway import RateLimits

    limits = RateLimits(requests_per_minute=100_000_000, tokens_per_minute=100_000_000_000)
    veil.service.open_service = functools.partial(veil.service.open_service, limits=limits)
    sys.argv = ["veil", "serve", "--project", str(project), "--upstream", upstream, "--port", str(port)]
    veil_main()


# -- processes ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env() -> dict[str, str]:
    """This environment without VEIL_* (a developer's settings must not steer the run)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("VEIL_")}


def veil_command() -> list[str]:
    beside = Path(sys.executable).with_name("veil")
    return [str(beside)] if beside.exists() else [shutil.which("veil") or "veil"]


def wait_ready(port: int, proc: subprocess.Popen[bytes], started: float, path: str | None,
               timeout: float = 120.0) -> tuple[float, float]:
    """Seconds from ``started`` until the port accepts, and until ``GET path`` answers 200."""
    tcp = None
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"the process on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                tcp = time.perf_counter() - started if tcp is None else tcp
            if path is None or _get(port, path)[0] == 200:
                return tcp, time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextlib.contextmanager
def running(args: list[str], port: int, log: Path,
            ready_path: str | None) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as sink:
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=child_env())
    try:
        wait_ready(port, proc, time.perf_counter(), ready_path)
        yield proc
    finally:
        stop(proc)


def role(name: str, *extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--role", name, *extra]


def make_project(folder: Path) -> str:
    """``veil init`` in ``folder`` and an ``inference`` token for the template's ``cli`` principal."""
    veil, env = veil_command(), child_env()
    subprocess.run([*veil, "init", str(folder)], check=True, capture_output=True, env=env, timeout=300)
    issued = subprocess.run([*veil, "token", "issue", "cli", "--scope", "inference", "--ttl", "240",
                             "--label", "bench", "--project", str(folder)],
                            check=True, capture_output=True, text=True, env=env, timeout=300)
    return issued.stdout.strip()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- readiness ----------------------------------------------------------------------------------------


def ready_runs(project: Path, runs: int, log: Path) -> list[dict[str, float]]:
    """``veil serve`` started ``runs`` times (upstream: a closed port): seconds to TCP and to /v1/ready."""
    out = []
    for _ in range(runs):
        port = free_port()
        args = [*veil_command(), "serve", "--project", str(project), "--port", str(port),
                "--upstream", f"http://127.0.0.1:{free_port()}/v1"]
        with log.open("ab") as sink:
            started = time.perf_counter()
            proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=child_env())
        try:
            tcp, ready = wait_ready(port, proc, started, "/v1/ready")
        finally:
            stop(proc)
        out.append({"tcp_s": tcp, "ready_s": ready})
    return out


def measure_ready(project: Path, runs: int, log: Path) -> dict[str, Any]:
    """Readiness inside a network namespace with only loopback when ``unshare -rn`` works, else here."""
    isolated = shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-rn", "sh", "-c", "ip link set lo up"], capture_output=True, check=False).returncode == 0
    if isolated:
        probe = role("ready", "--project", str(project), "--runs", str(runs), "--log", str(log))
        done = subprocess.run(["unshare", "-rn", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *probe],
                              capture_output=True, text=True, check=False, env=child_env(), timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"the readiness probe failed: {done.stderr[-2000:]}")
        samples = json.loads(done.stdout.strip().splitlines()[-1])
    else:
        samples = ready_runs(project, runs, log)
    return {"isolated": isolated, "runs": samples,
            "tcp_s": statistics.median(s["tcp_s"] for s in samples),
            "ready_s": statistics.median(s["ready_s"] for s in samples),
            "first_ready_s": samples[0]["ready_s"], "max_ready_s": max(s["ready_s"] for s in samples)}


# -- requests -----------------------------------------------------------------------------------------


def post_json(client: Any, url: str, headers: dict[str, str], body: bytes) -> dict[str, int]:
    start = time.perf_counter_ns()
    response = client.post(url, content=body, headers=headers)
    took = time.perf_counter_ns() - start
    _check(response)
    return {"latency": took}


def post_stream(client: Any, url: str, headers: dict[str, str], body: bytes) -> dict[str, int]:
    """Time to the first event with content text, and to the end of the stream."""
    start, first = time.perf_counter_ns(), 0
    with client.stream("POST", url, content=body, headers=headers) as response:
        if response.status_code != 200:
            response.read()
            _check(response)
        for line in response.iter_lines():
            if not first and _has_content(line):
                first = time.perf_counter_ns() - start
    total = time.perf_counter_ns() - start
    if not first:
        raise RuntimeError("a stream ended without any content")
    return {"ttft": first, "total": total}


def _has_content(line: str) -> bool:
    if not line.startswith("data: ") or line == "data: [DONE]":
        return False
    event = json.loads(line[6:])
    return any((c.get("delta") or {}).get("content") for c in event.get("choices") or [])


def _check(response: Any) -> None:
    if response.status_code != 200:
        code = response.json().get("error") if "json" in response.headers.get("content-type", "") else None
        raise RuntimeError(f"HTTP {response.status_code} ({code}) from {response.url}")


def paired(targets: Paths, payloads: list[bytes], count: int, warmup: int,
           call: Callable[..., dict[str, int]], gateway_pid: int) -> dict[str, Any]:
    """Each payload to both paths in turn (which goes first alternates); samples after the warm-up, and
    the gateway process's CPU time per request it served."""
    import httpx

    samples: dict[str, list[dict[str, int]]] = {path: [] for path in PATHS}
    cpu_before = cpu_seconds(gateway_pid)
    with httpx.Client(timeout=60) as client:
        for i in range(warmup + count):
            body = payloads[i % len(payloads)]
            for path in PATHS if i % 2 == 0 else PATHS[::-1]:
                took = call(client, *targets[path], body)
                if i >= warmup:
                    samples[path].append(took)
    cpu_after = cpu_seconds(gateway_pid)
    served = warmup + count
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000 / served
    return {**summarize(samples), "gateway_cpu_ms_per_request": cpu}


def summarize(samples: dict[str, list[dict[str, int]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for measure in samples["direct"][0]:
        direct = [s[measure] for s in samples["direct"]]
        gateway = [s[measure] for s in samples["gateway"]]
        d, g = percentiles(direct), percentiles(gateway)
        out[measure] = {
            "direct": d, "gateway": g,
            "added_ms": {q: (g[f"{q}_us"] - d[f"{q}_us"]) / 1000 for q in ("p50", "p90", "p99", "mean")},
            "paired_difference": percentiles([b - a for a, b in zip(direct, gateway, strict=True)]),
        }
    return out


def check_restored(targets: Paths, body: bytes) -> bool:
    """The upstream's tags come back as the prompt's own values through the gateway, not directly."""
    import httpx

    with httpx.Client(timeout=60) as client:
        answers = {path: client.post(url, content=body, headers=headers).json()
                   for path, (url, headers) in targets.items()}
    texts = {path: answer["choices"][0]["message"]["content"] for path, answer in answers.items()}
    return "<EMAIL_ADDRESS_1>" in texts["direct"] and "<EMAIL_ADDRESS_1>" not in texts["gateway"]


async def _load(url: str, headers: dict[str, str], payloads: list[bytes], seconds: float,
                warmup_s: float) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    samples: list[int] = []
    errors: Counter[str] = Counter()

    async def worker(n: int, until: float, record: bool) -> None:
        i = n
        while time.perf_counter() < until:
            start = time.perf_counter_ns()
            try:
                response = await client.post(url, content=payloads[i % len(payloads)], headers=headers)
                problem = None if response.status_code == 200 else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                problem = type(exc).__name__
            i += CONCURRENCY
            if record and problem is None:
                samples.append(time.perf_counter_ns() - start)
            elif record:
                errors[problem] += 1

    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(n, time.perf_counter() + warmup_s, False) for n in range(CONCURRENCY)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(n, started + seconds, True) for n in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return {"concurrency": CONCURRENCY, "seconds": elapsed, "completed": len(samples),
            "errors": sum(errors.values()), "error_kinds": dict(errors),
            "requests_per_s": len(samples) / elapsed, "latency": percentiles(samples) if samples else None}


def load(url: str, headers: dict[str, str], payloads: list[bytes], sizes: dict[str, Any],
         pids: dict[str, int]) -> dict[str, Any]:
    """Requests/s for a fixed time, and the cores each process used meanwhile."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own, wall = os.times(), time.perf_counter()
    out = asyncio.run(_load(url, headers, payloads, sizes["load_s"], sizes["load_warmup_s"]))
    wall, mine = time.perf_counter() - wall, os.times()
    after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    cores = {name: (end - start) / wall for name, start in before.items()
             if start is not None and (end := after[name]) is not None}
    cores["client"] = (mine.user + mine.system - own.user - own.system) / wall
    return {**out, "cores_used": cores}


def metrics(port: int) -> dict[str, float]:
    """The gateway's entity counters from /metrics: proof that the prompts were pseudonymized."""
    _, text = _get(port, "/metrics")
    found = {}
    for line in text.decode().splitlines():
        if line.startswith("veil_entities_redacted_total{"):
            label, value = line.split("} ")
            found[label.split('"')[1]] = float(value)
    return found


# -- the run ------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sequential(targets: Paths, sizes: dict[str, Any], pid: int) -> dict[str, Any]:
    """Latency at each prompt size, then time to first token with the upstream streaming at once and paced."""
    out: dict[str, Any] = {"latency": {}, "ttft": {}}
    for i, (label, size) in enumerate(SIZES.items()):
        group = bodies(size, sizes["prompts"], SEED + i)
        if i == 0:
            out["answer_restored"] = check_restored(targets, group[0])
        log(f"JSON, {label} prompts: {sizes['requests']} requests each way, {sizes['warmup']} warm-up")
        result = paired(targets, group, sizes["requests"], sizes["warmup"], post_json, pid)
        out["latency"][label] = {"prompt_bytes": _prompt_bytes(group), **result.pop("latency"), **result}
    paced = f"{PACE_S * 1000:g} ms apart"
    phases = (("1KB", MODEL, sizes["streams"], sizes["warmup"], "at once"),
              ("1KB paced", PACED_MODEL, sizes["paced"], min(sizes["warmup"], 10), paced))
    for label, model, count, warmup, how in phases:
        log(f"SSE, 1KB prompts, upstream events {how}: {count} streams each way")
        streams = bodies(SIZES["1KB"], sizes["prompts"], SEED, model=model, stream=True)
        out["ttft"][label] = paired(targets, streams, count, warmup, post_stream, pid)
    return out


def measure(sizes: dict[str, Any], folder: Path) -> dict[str, Any]:
    log("veil init and a token in a temporary project")
    project = folder / "project"
    secret = make_project(project)
    up_port, gw_port = free_port(), free_port()
    auth = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    targets = {"direct": (f"http://127.0.0.1:{up_port}{CHAT}", {"Content-Type": "application/json"}),
               "gateway": (f"http://127.0.0.1:{gw_port}{CHAT}", auth)}
    log(f"readiness: veil serve started {sizes['ready_runs']} times, the first after veil init")
    ready = measure_ready(project, sizes["ready_runs"], folder / "ready.log")
    upstream_args = role("upstream", "--port", str(up_port))
    gateway_args = role("gateway", "--port", str(gw_port), "--project", str(project),
                        "--upstream", f"http://127.0.0.1:{up_port}/v1")
    with running(upstream_args, up_port, folder / "upstream.log", None) as upstream, \
            running(gateway_args, gw_port, folder / "gateway.log", "/v1/ready") as gateway:
        out = sequential(targets, sizes, gateway.pid)
        pids = {"gateway": gateway.pid, "upstream": upstream.pid}
        out["throughput"] = {}
        payloads = bodies(SIZES["1KB"], sizes["prompts"], SEED)
        for path in ("gateway", "direct"):
            log(f"load, {path}: {CONCURRENCY} connections for {sizes['load_s']:g} s")
            out["throughput"][path] = load(*targets[path], payloads, sizes, pids)
        out["entities_redacted"] = metrics(gw_port)
    return {**out, "ready": ready}


def _prompt_bytes(payloads: list[bytes]) -> dict[str, float]:
    sizes = [len(json.loads(body)["messages"][1]["content"].encode()) for body in payloads]
    return {"mean": statistics.mean(sizes), "min": min(sizes), "max": max(sizes)}


def run(quick: bool) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": ".venv/bin/python bench/gateway.py" + (" --quick" if quick else ""),
        "quick": quick, "machine": machine(), "versions": versions(), "source": source_state(),
        "config": {**sizes, "seed": SEED, "concurrency": CONCURRENCY, "pace_ms": PACE_S * 1000,
                   "answer_chars": len(ANSWER), "piece_chars": PIECE, "sizes": SIZES},
    }
    with tempfile.TemporaryDirectory(prefix="veil-bench-gateway-") as tmp:
        results.update(measure(sizes, Path(tmp)))
    results["machine"]["load_after"] = load_average()
    results["seconds"] = time.perf_counter() - started
    results["targets"] = targets(results)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke-test counts; writes no file by default")
    parser.add_argument("--output", type=Path, default=None, help="default: bench/results/gateway.json")
    parser.add_argument("--docs", type=Path, default=None, help="default: docs/benchmarks.md (full runs)")
    parser.add_argument("--role", choices=("upstream", "gateway", "ready"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "upstream":
        serve_upstream(args.port)
        return 0
    if args.role == "gateway":
        serve_gateway(args.project, args.upstream, args.port)
        return 0
    if args.role == "ready":
        print(json.dumps(ready_runs(args.project, args.runs, args.log)))
        return 0
    results = run(args.quick)
    output = args.output or (None if args.quick else BENCH / "results" / "gateway.json")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    docs = args.docs or (None if args.quick else ROOT / "docs" / "benchmarks.md")
    if docs is not None:
        replace_section(docs, HEADING, render_section(results))
    print("\n".join(targets_table(results["targets"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
