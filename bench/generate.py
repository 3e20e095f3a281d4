"""Generate Veil's labelled English detection dev set (seeded, synthetic).

    python bench/generate.py --seed 7 --n 3000 -o bench/.data/dev.jsonl

Writes JSONL records ``{id, category, text, spans: [{start, end, label}]}`` with
code-point offsets. About a fifth of the records are PII-free look-alikes with
no spans. ``--logs-mb N`` instead writes N MB of log-like lines (one per line)
for the throughput run.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fillers import Fillers
from _structured import (
    CODE_SNIPPETS,
    CONFIG_SNIPPETS,
    CSV_TABLES,
    JSON_RECORDS,
    LOG_LINES,
    LOG_PREFIXES,
    PII_FREE_LOGS,
    PII_FREE_STRUCTURED,
)
from _templates import PII_FREE, TEMPLATES
from _values import GENERATORS

_SLOT = re.compile(r"«([A-Za-z_0-9]+)(?::(\w+))?»")
# Share of each category in the set, in percent; pii_free_* add up to 20.
WEIGHTS = {
    "llm_prompt": 10, "chat": 10, "email": 9, "note": 7, "form": 7, "log": 14, "json": 8,
    "csv": 6, "code": 5, "config": 4, "pii_free_text": 8, "pii_free_log": 6,
    "pii_free_structured": 6,
}

Span = tuple[int, int, str]


def render(template: str, values: Fillers) -> tuple[str, list[Span]]:
    """Fill every slot; labelled slots become spans (code-point offsets)."""
    out: list[str] = []
    spans: list[Span] = []
    named: dict[str, str] = {}
    pos = 0
    length = 0
    for match in _SLOT.finditer(template):
        literal = template[pos:match.start()]
        out.append(literal)
        length += len(literal)
        name, key = match.group(1), match.group(2)
        value = named.get(f"{name}:{key}") if key else None
        if value is None:
            value = _value(name, values)
            if key:
                named[f"{name}:{key}"] = value
        if name in GENERATORS:
            spans.append((length, length + len(value), GENERATORS[name][0]))
        out.append(value)
        length += len(value)
        pos = match.end()
    out.append(template[pos:])
    return "".join(out), spans


def _value(name: str, values: Fillers) -> str:
    method = GENERATORS[name][1] if name in GENERATORS else name
    return str(getattr(values, method)())


def _join(parts: list[tuple[str, list[Span]]], sep: str) -> tuple[str, list[Span]]:
    text: list[str] = []
    spans: list[Span] = []
    offset = 0
    for i, (chunk, chunk_spans) in enumerate(parts):
        if i:
            text.append(sep)
            offset += len(sep)
        text.append(chunk)
        spans.extend((start + offset, end + offset, label) for start, end, label in chunk_spans)
        offset += len(chunk)
    return "".join(text), spans


def make_record(category: str, values: Fillers) -> tuple[str, list[Span]]:
    values.last_person = None
    rng = values.rng
    if category in TEMPLATES:
        return render(rng.choice(TEMPLATES[category]), values)
    if category == "log":
        return _log_record(values, LOG_LINES, rng.randint(1, 4))
    if category == "json":
        return render(rng.choice(JSON_RECORDS), values)
    if category == "csv":
        header, row = rng.choice(CSV_TABLES)
        rows = [render(row, values) for _ in range(rng.randint(2, 5))]
        return _join([(header, []), *rows], "\n")
    if category == "code":
        return render(rng.choice(CODE_SNIPPETS), values)
    if category == "config":
        return render(rng.choice(CONFIG_SNIPPETS), values)
    if category == "pii_free_text":
        return render(rng.choice(PII_FREE), values)
    if category == "pii_free_log":
        return _join([render(rng.choice(PII_FREE_LOGS), values)
                      for _ in range(rng.randint(1, 4))], "\n")
    return render(rng.choice(PII_FREE_STRUCTURED), values)


def _log_record(values: Fillers, lines: tuple[str, ...], count: int) -> tuple[str, list[Span]]:
    prefix = values.rng.choice(LOG_PREFIXES)
    return _join([render(prefix + values.rng.choice(lines), values) for _ in range(count)], "\n")


def records(seed: int, n: int) -> Iterator[dict[str, object]]:
    values = Fillers(seed)
    names, weights = zip(*WEIGHTS.items(), strict=True)
    for i in range(n):
        category = values.rng.choices(names, weights)[0]
        text, spans = make_record(category, values)
        yield {"id": f"r{i:05d}", "category": category, "text": text,
               "spans": [{"start": s, "end": e, "label": label} for s, e, label in spans]}


def log_lines(seed: int, megabytes: float) -> Iterator[str]:
    """Log lines (with and without PII, no newlines inside) up to ``megabytes`` of UTF-8."""
    values = Fillers(seed)
    budget = int(megabytes * 1_000_000)
    while budget > 0:
        pool = LOG_LINES if values.rng.random() < 0.7 else PII_FREE_LOGS
        line, _ = _log_record(values, pool, 1)
        budget -= len(line.encode()) + 1
        yield line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--logs-mb", type=float, default=0.0, help="write log lines instead")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as out:
        if args.logs_mb:
            for line in log_lines(args.seed, args.logs_mb):
                out.write(line + "\n")
        else:
            for record in records(args.seed, args.n):
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
