"""Run a recognizer table: (text, [(value, entity), ...]) through a detector."""

from __future__ import annotations

from veil.detect import Detector


def found(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], str(f.entity)) for f in detector.detect(text)]
