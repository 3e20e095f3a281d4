"""A recognizer is data plus a check: named patterns, context words, a validator."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from veil.detect._entities import EntityName

#: Returns True when the candidate is a real instance (checksum, range, parse).
Validator = Callable[[str], bool]

#: Splits or trims a candidate into real instances: ``(start, end, score)`` offsets
#: relative to the candidate. Used where one match may hold several or need trimming
#: (phone numbers in a run of digits, an IBAN followed by more capitals).
Refiner = Callable[[str], Sequence[tuple[int, int, float]]]

#: Built-in patterns are ASCII-only in \b, \w, \d: same meaning in Hyperscan and re.
DEFAULT_FLAGS = re.ASCII


@dataclass(frozen=True, slots=True)
class Pattern:
    """One regular expression. ``group`` selects the reported span (0 = whole match).

    Patterns must run in linear time on Python's backtracking engine: every
    unbounded repeat is anchored by a lookbehind that stops it from restarting
    inside a run it already consumed.
    """

    name: str
    regex: str
    score: float
    group: int | str = 0
    flags: int = DEFAULT_FLAGS
    #: False keeps a pattern out of the Hyperscan database (it then runs on every
    #: text): for the rare pattern that slows the combined database down.
    prefilter: bool = True


@dataclass(frozen=True, slots=True)
class Recognizer:
    """Finds one entity type.

    ``context`` words near a candidate raise its score, ``negative_context``
    words lower it; ``requires_context`` drops candidates with no context word
    at all (passport numbers, driver's licences). ``refine``, when set, replaces
    the match by the instances it finds inside it (each still validated). ``priority`` decides between
    overlapping findings: the more specific, validated type wins.
    """

    name: str
    entity: EntityName
    patterns: tuple[Pattern, ...]
    validator: Validator | None = None
    refine: Refiner | None = None
    context: tuple[str, ...] = ()
    negative_context: tuple[str, ...] = ()
    requires_context: bool = False
    priority: int = 50
    context_window: tuple[int, int] = field(default=(48, 24))
