"""Small deterministic detectors for the redaction tests."""

from __future__ import annotations

import re
from collections.abc import Sequence

from veil.detect import Detector, Entity, Finding, Pattern, Recognizer

EMPLOYEE = Recognizer(
    "employee_id", "EMPLOYEE_ID", (Pattern("emp", r"(?<![A-Za-z0-9-])EMP-\d{6}(?!\d)", 0.9),)
)
HEX16 = Recognizer("hex16", "HEX", (Pattern("hex", r"(?<![0-9a-f])[0-9a-f]{16}(?![0-9a-f])", 0.9),))
NAMES = {"Ana Lima": Entity.PERSON, "Bo Chen": Entity.PERSON}


def small_detector(*extra: Recognizer) -> Detector:
    """Employee ids, two names (deny list) and whatever else is given."""
    return Detector(recognizers=[EMPLOYEE, *extra], deny=NAMES)


class ListNer:
    """A stand-in NER model: finds the given words, records each batch it was handed."""

    name = "list_ner"

    def __init__(self, words: Sequence[str]) -> None:
        self._pattern = re.compile("|".join(map(re.escape, words)))
        self.batches: list[int] = []

    def find(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.batches.append(len(texts))
        return [[Finding(m.start(), m.end(), Entity.PERSON, 0.85, self.name)
                 for m in self._pattern.finditer(text)] for text in texts]
