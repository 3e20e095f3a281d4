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


class LazyWords:
    """``compile_words`` compiled on first use: in a scan most recognizers never see a candidate, and
    compiling every context pattern up front cost a pre-commit run about 10 ms."""

    __slots__ = ("_pattern", "_words")

    def __init__(self, words: tuple[str, ...]) -> None:
        self._words = words
        self._pattern: re.Pattern[str] | None = None

    def search(self, text: str, pos: int, endpos: int) -> re.Match[str] | None:
        if self._pattern is None:
            self._pattern = compile_words(self._words)
            assert self._pattern is not None  # lazy_words makes one only for a non-empty list
        return self._pattern.search(text, pos, endpos)


def lazy_words(words: Iterable[str]) -> LazyWords | None:
    """Like ``compile_words``, compiled when first searched."""
    kept = tuple(w for w in words if w.strip())
    return LazyWords(kept) if kept else None
