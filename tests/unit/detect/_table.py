"""Run a recognizer table: (text, [(value, entity), ...]) through a detector."""

from __future__ import annotations

import time

from veil.detect import Detector


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], str(f.entity)) for f in detector.detect(text)]


SIZE = 2 * 1024 * 1024


def _seconds(detector: Detector, text: str) -> float:
    started = time.perf_counter()
    detector.detect(text)
    return time.perf_counter() - started


def assert_linear_time(detector: Detector, unit: str) -> None:
    """Four times the text: linear work takes about 4x as long, quadratic work 16x."""
    quarter = _seconds(detector, unit * (SIZE // 4 // len(unit)))
    full = _seconds(detector, unit * (SIZE // len(unit)))
    assert full < 8 * quarter + 1.0
