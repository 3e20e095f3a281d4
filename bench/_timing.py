"""Timing helpers shared by both runners (stdlib only: the Presidio runner imports
it from its own virtual environment, where Veil is not installed)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any


def pin_one_cpu() -> int | None:
    """Pin this process to one CPU (the last it may use); None where unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def timed(run: Callable[[], list[list[Any]]], repeat: int = 1) -> tuple[list[list[Any]], float]:
    """The first pass's result and the best wall time over ``repeat`` passes."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - start)
        result = out if result is None else result
    assert result is not None
    return result, best


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    """p50/p90/p99/p99.9 and mean, in microseconds, of per-call times taken in nanoseconds."""
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000

    return {
        "p50_us": at(0.50),
        "p90_us": at(0.90),
        "p99_us": at(0.99),
        "p999_us": at(0.999),
        "mean_us": sum(ordered) / len(ordered) / 1000,
        "n": len(ordered),
    }
