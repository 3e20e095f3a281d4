"""Context words: nearby words that make a candidate more or less likely."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Added for a context word nearby, subtracted for a negative one. Large enough
#: that context moves a weak candidate across the default threshold (0.5).
CONTEXT_BOOST = 0.35
NEGATIVE_PENALTY = 0.4


def compile_words(words: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for a word list (whole words, spaces flexible)."""
    alternatives = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    if not alternatives:
        return None
    body = "|".join(r"\s+".join(map(re.escape, w.split())) for w in alternatives)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z])", re.IGNORECASE)
