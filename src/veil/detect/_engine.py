"""The compiled multi-pattern pass.

All patterns are compiled once. One Hyperscan scan (prefilter mode: a superset
of the real matches, never fewer) tells which patterns can match a text; only
those then run on Python's ``re`` to get exact spans and groups. Without
Hyperscan (no wheel for the platform) every pattern runs on ``re``; the
patterns are written to stay linear there too.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

_hs: Any
try:  # the wheel exists for x86-64 Linux/macOS/Windows; elsewhere we fall back
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the platform
    _hs = None


def hyperscan_available() -> bool:
    return _hs is not None


class PatternEngine:
    """Compile ``(regex, flags)`` pairs once; say which of them may match a text."""

    def __init__(self, patterns: Sequence[tuple[str, int]], *, use_hyperscan: bool = True,
                 run_always: Collection[int] = ()) -> None:
        self._patterns = list(patterns)
        self._compiled: list[re.Pattern[str] | None] = [None] * len(patterns)
        self._widths: dict[int, int | None] = {}
        self._always: list[int] = list(range(len(patterns)))
        self._database: Any = None
        self._lock = threading.Lock()
        self._run_always = frozenset(run_always)
        if use_hyperscan and _hs is not None and patterns:
            self._build_prefilter(patterns)
        if self._database is None:  # every pattern runs on every text: compile them now
            for index in range(len(patterns)):
                self._pattern(index)

    @property
    def backend(self) -> str:
        return "hyperscan+re" if self._database is not None else "re"

    def __len__(self) -> int:
        return len(self._compiled)

    def _pattern(self, index: int) -> re.Pattern[str]:
        """Compiled on first use: behind the prefilter most patterns never run (``re`` compiling
        a hundred patterns costs a pre-commit hook more than its whole scan)."""
        compiled = self._compiled[index]
        if compiled is None:
            compiled = self._compiled[index] = re.compile(*self._patterns[index])
        return compiled

    def _build_prefilter(self, patterns: Sequence[tuple[str, int]]) -> None:
        assert _hs is not None
        key = (tuple(patterns), self._run_always)
        with _CACHE_LOCK:  # detectors with the same patterns share one compiled database
            if key not in _CACHE:
                loaded = _LOADED.pop(_digest(key), None) if _LOADED else None
                database = _deserialized(*loaded) if loaded else None
                _CACHE[key] = database or _prefilter(patterns, self._run_always)
            self._database, eligible, self._lock = _CACHE[key]
        if self._database is not None:
            accepted = set(eligible)
            self._always = [i for i in range(len(patterns)) if i not in accepted]

    def candidate_patterns(self, text: str) -> list[int]:
        """Indexes of the patterns that may match ``text``, in pattern order."""
        if self._database is None:
            return self._always
        hits: set[int] = set()

        def on_match(pattern_id: int, _start: int, _end: int, _flags: int, _ctx: object) -> None:
            hits.add(pattern_id)

        data = text.encode("utf-8", "replace")
        with self._lock:  # a Hyperscan scratch space serves one scan at a time
            self._database.scan(data, match_event_handler=on_match)
        hits.update(self._always)
        return sorted(hits)

    def candidates(self, text: str) -> list[tuple[int, re.Pattern[str]]]:
        """The patterns that may match ``text``, compiled, with their indexes."""
        return [(index, self._pattern(index)) for index in self.candidate_patterns(text)]

    def candidate_spans(self, text: str) -> list[tuple[int, re.Pattern[str], list[Span] | None]]:
        """Like ``candidates``, with where in a long text each pattern may match.

        ``None`` means anywhere. Otherwise the text is scanned in chunks, each with the
        ``OVERLAP`` characters before it, so a match of a pattern no longer than that is
        seen whole by the chunk it ends in; ``re`` then runs only around those chunks.
        """
        if self._database is None or len(text) <= 2 * CHUNK:
            return [(i, p, None) for i, p in self.candidates(text)]
        chunks: dict[int, list[int]] = {}

        def on_match(pattern_id: int, _start: int, _end: int, _flags: int, chunk: int) -> None:
            chunks.setdefault(pattern_id, []).append(chunk)

        with self._lock:
            for chunk, low in enumerate(range(0, len(text), CHUNK)):
                piece = text[max(0, low - OVERLAP): low + CHUNK].encode("utf-8", "replace")
                self._database.scan(piece, match_event_handler=on_match, context=chunk)
        found = [(i, self._pattern(i), self._spans(i, hit, len(text))) for i, hit in chunks.items()]
        found += [(i, self._pattern(i), None) for i in self._always]
        return sorted(found, key=lambda item: item[0])

    def _spans(self, index: int, chunks: list[int], size: int) -> list[Span] | None:
        if index not in self._widths:
            self._widths[index] = _max_width(*self._patterns[index])
        width = self._widths[index]
        if width is None:
            return None
        spans: list[Span] = []
        for chunk in chunks:
            low, high = chunk * CHUNK, min(size, (chunk + 1) * CHUNK)
            start, stop = max(0, low - width - 1), min(size, high + LOOKAHEAD)
            if spans and start <= spans[-1].stop:
                last = spans[-1]
                spans[-1] = Span(last.start, stop, high)
            else:
                spans.append(Span(start, stop, high))
        return spans


class Span(NamedTuple):
    """Where ``re`` runs (``start`` to ``stop``), keeping matches that end by ``last_end``;
    one ending later was cut short by ``stop`` and is found whole in the next span."""

    start: int
    stop: int
    last_end: int


#: Characters per Hyperscan scan of a long text, and the characters before it scanned again.
CHUNK = 4096
OVERLAP = 2048
#: Characters after a chunk that a pattern's lookahead may read.
LOOKAHEAD = 256


def _max_width(regex: str, flags: int) -> int | None:
    """The longest match of ``regex`` when it is at most ``OVERLAP``, else None."""
    try:
        _, high = re._parser.parse(regex, flags).getwidth()  # type: ignore[attr-defined]
    except Exception:
        return None
    return int(high) if high <= OVERLAP else None


_REPEAT = re.compile(r"(?<!\\)\{(\d+)(,?)(\d*)\}")
_BIG = 16


def _hs_expression(regex: str) -> bytes:
    """Loosen large counted repeats to ``{min(m, 16),}``: still a superset for the
    prefilter, and Hyperscan compiles and scans small unbounded repeats far faster
    (a long fixed minimum over a class that covers its own prefix scans superlinearly)."""
    return _REPEAT.sub(_loosen, regex).encode("utf-8")


def _loosen(match: re.Match[str]) -> str:
    low, comma, high = int(match.group(1)), match.group(2), match.group(3)
    if low > _BIG or (comma and (not high or int(high) > _BIG)):
        return f"{{{min(low, _BIG)},}}"
    return match.group(0)


def _compile_database(patterns: Sequence[tuple[str, int]], indexes: list[int]) -> Any:
    assert _hs is not None
    database = _hs.Database()
    database.compile(
        expressions=[_hs_expression(patterns[i][0]) for i in indexes],
        ids=indexes,
        elements=len(indexes),
        flags=[_hs_flags(patterns[i][1]) for i in indexes],
    )
    return database


_CACHE: dict[tuple[tuple[tuple[str, int], ...], frozenset[int]], tuple[Any, list[int], threading.Lock]] = {}
_CACHE_LOCK = threading.Lock()
#: Databases read by ``load_compiled_patterns``, serialized, with their eligible patterns, by the digest
#: of what they were compiled from: deserialized when a detector asks for one (a cache holds several).
_LOADED: dict[str, tuple[bytes, list[int]]] = {}


def _prefilter(patterns: Sequence[tuple[str, int]],
               run_always: frozenset[int]) -> tuple[Any, list[int], threading.Lock]:
    assert _hs is not None
    eligible = [i for i, (_, flags) in enumerate(patterns) if not flags & re.VERBOSE and i not in run_always]
    try:
        database = _compile_database(patterns, eligible)
    except _hs.error:  # find the patterns Hyperscan rejects; they run on re alone
        eligible = [i for i in eligible if _compiles_in_hyperscan(*patterns[i])]
        database = _compile_database(patterns, eligible) if eligible else None
    return database, eligible, threading.Lock()


def _hs_flags(flags: int) -> int:
    assert _hs is not None
    out = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_UTF8
    if flags & re.IGNORECASE:
        out |= _hs.HS_FLAG_CASELESS
    if flags & re.DOTALL:
        out |= _hs.HS_FLAG_DOTALL
    if flags & re.MULTILINE:
        out |= _hs.HS_FLAG_MULTILINE
    if not flags & re.ASCII:  # Unicode classes in re need them in Hyperscan too
        out |= _hs.HS_FLAG_UCP
    return int(out)


# -- compiled databases across processes -------------------------------------------------------
# Compiling the built-in patterns takes seconds; loading a serialized database, a millisecond. The
# engine does no I/O itself: an adapter hands the bytes to a file and back (``veil._setup``).

_MAGIC = b"veil-hs/1\n"


def compiled_patterns() -> bytes:
    """Every prefilter database compiled in this process, serialized (empty without Hyperscan)."""
    if _hs is None:
        return b""
    with _CACHE_LOCK:
        entries = [(key, database, eligible) for key, (database, eligible, _) in _CACHE.items()
                   if database is not None]  # fmt: skip
    parts = [_MAGIC]
    for key, database, eligible in entries:
        blob = _hs.dumpb(database)
        header = json.dumps({"key": _digest(key), "eligible": eligible, "size": len(blob)}).encode()
        parts += [len(header).to_bytes(4, "big"), header, blob]
    return b"".join(parts)


def load_compiled_patterns(data: bytes) -> int:
    """Databases that ``compiled_patterns`` wrote, for patterns built later in this process; returns
    how many were read. Anything unreadable or from another Hyperscan build is ignored (it compiles)."""
    if _hs is None or not data.startswith(_MAGIC):
        return 0
    found, at = 0, len(_MAGIC)
    try:
        while at < len(data):
            length = int.from_bytes(data[at : at + 4], "big")
            header = json.loads(data[at + 4 : at + 4 + length])
            at += 4 + length
            blob = data[at : at + header["size"]]
            if len(blob) != header["size"]:
                return found
            at += header["size"]
            with _CACHE_LOCK:
                _LOADED[str(header["key"])] = (blob, [int(i) for i in header["eligible"]])
            found += 1
    except (ValueError, KeyError, TypeError):
        return found
    return found


def _deserialized(blob: bytes, eligible: list[int]) -> tuple[Any, list[int], threading.Lock] | None:
    """A database that ``load_compiled_patterns`` read; None when this Hyperscan cannot load it."""
    assert _hs is not None
    try:
        database = _hs.loadb(blob, _hs.HS_MODE_BLOCK)
        database.scratch = _hs.Scratch(database)
    except _hs.error:
        return None
    return database, eligible, threading.Lock()


def _digest(key: tuple[tuple[tuple[str, int], ...], frozenset[int]]) -> str:
    """What a database was compiled from, and by which Hyperscan: a loaded one must match both."""
    import platform  # here: a start that finds its databases in memory never needs it

    patterns, always = key
    build = _hs.__version__ if _hs is not None else ""
    text = json.dumps([build, platform.machine(), patterns, sorted(always)])
    return hashlib.sha256(text.encode()).hexdigest()


def _compiles_in_hyperscan(regex: str, flags: int) -> bool:
    """Some Python-only syntax has no Hyperscan form: such patterns always run on re."""
    assert _hs is not None
    try:
        _compile_database([(regex, flags)], [0])
    except _hs.error:
        return False
    return True
