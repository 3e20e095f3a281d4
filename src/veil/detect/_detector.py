"""The configured detector: recognizers + engine + context + NER, merged."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from veil.detect._context import CONTEXT_BOOST, NEGATIVE_PENALTY, LazyWords, lazy_words
from veil.detect._engine import PatternEngine, Span
from veil.detect._entities import Entity, EntityName
from veil.detect._finding import Finding
from veil.detect._recognizer import Pattern, Recognizer, Validator
from veil.detect._resolve import resolve_overlaps
from veil.errors import InvalidInput

DEFAULT_THRESHOLD = 0.5
NER_PRIORITY = 10
DENY_LIST_PRIORITY = 99
#: A name part seen elsewhere in the text as part of a PERSON finding.
ECHO_SCORE = 0.6


class NerModel(Protocol):
    """A named-entity model: one list of findings per text, in order."""

    name: str

    def find(self, texts: Sequence[str]) -> list[list[Finding]]: ...


@dataclass(frozen=True, slots=True)
class _Compiled:
    recognizer: Recognizer
    pattern: Pattern
    context: LazyWords | None
    negative: LazyWords | None
    before: int  # context window, in characters before and after the candidate
    after: int


class Detector:
    """Finds personal data and secrets in text.

    >>> Detector(entities=[Entity.EMAIL_ADDRESS]).detect("write to ana@example.org")
    [Finding(start=9, end=24, entity=<Entity.EMAIL_ADDRESS: 'EMAIL_ADDRESS'>, score=0.95, recognizer='email')]
    """

    def __init__(
        self,
        recognizers: Iterable[Recognizer] | None = None,
        *,
        entities: Iterable[EntityName] | None = None,
        threshold: float = DEFAULT_THRESHOLD,
        allow: Iterable[str] = (),
        deny: Mapping[str, EntityName] | None = None,
        extra: Iterable[Recognizer] = (),
        ner: NerModel | None = None,
        use_hyperscan: bool = True,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise InvalidInput("threshold must be between 0 and 1")
        if recognizers is None:
            from veil.detect.recognizers import builtin_recognizers

            recognizers = builtin_recognizers()
        chosen = [*recognizers, *extra, *_deny_list_recognizers(deny or {})]
        wanted = None if entities is None else {str(e) for e in entities}
        if wanted is not None:
            chosen = [r for r in chosen if str(r.entity) in wanted]
        self.threshold = threshold
        self.entities = wanted
        self._allow = frozenset(allow)
        self._ner = ner
        self._priority = {r.name: r.priority for r in chosen}
        self._entries = [
            _Compiled(r, p, lazy_words(r.context), lazy_words(r.negative_context), *r.context_window)
            for r in chosen
            for p in r.patterns
        ]
        # Recognizers sharing a pattern (a date and a date of birth) share one run of it.
        groups: dict[tuple[str, int], list[_Compiled]] = {}
        for entry in self._entries:
            groups.setdefault((entry.pattern.regex, entry.pattern.flags), []).append(entry)
        self._groups = list(groups.values())
        run_always = [i for i, group in enumerate(self._groups) if not group[0].pattern.prefilter]
        self._context_gates = {i: words for i, group in enumerate(self._groups)
                               if (words := _context_gate(group, threshold))}
        self._engine = PatternEngine(list(groups), use_hyperscan=use_hyperscan, run_always=run_always)

    @property
    def backend(self) -> str:
        return self._engine.backend

    @property
    def recognizers(self) -> list[Recognizer]:
        seen: dict[str, Recognizer] = {e.recognizer.name: e.recognizer for e in self._entries}
        return list(seen.values())

    def detect(self, text: str) -> list[Finding]:
        """Findings in ``text``, sorted by position, never overlapping."""
        ner = self._ner.find([text])[0] if self._ner is not None and text else []
        return self._merge(text, self._pattern_findings(text), ner)

    def detect_many(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[list[Finding]]:
        """Like ``detect`` over many texts; batches them through the NER model."""
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self._detect_batch(batch)
                batch = []
        if batch:
            yield from self._detect_batch(batch)

    def _detect_batch(self, texts: list[str]) -> Iterator[list[Finding]]:
        ner = self._ner.find(texts) if self._ner is not None else [[] for _ in texts]
        for text, found in zip(texts, ner, strict=True):
            yield self._merge(text, self._pattern_findings(text), found)

    def _merge(self, text: str, patterned: list[Finding], ner: list[Finding]) -> list[Finding]:
        if self.entities is not None:
            ner = [f for f in ner if str(f.entity) in self.entities]
        kept = [f for f in [*patterned, *ner] if f.score >= self.threshold]
        if self._allow:
            kept = [f for f in kept if text[f.start:f.end] not in self._allow]
        resolved = kept if len(kept) < 2 else resolve_overlaps(
            kept, self._priority_of, min_container_priority=NER_PRIORITY + 1)
        echoes = name_echoes(text, resolved) if self.threshold <= ECHO_SCORE else []
        if not echoes:
            return resolved
        return resolve_overlaps([*resolved, *echoes], self._priority_of)

    def _priority_of(self, finding: Finding) -> int:
        return self._priority.get(finding.recognizer, NER_PRIORITY)

    def _pattern_findings(self, text: str) -> list[Finding]:
        if not isinstance(text, str):
            raise InvalidInput("text must be a str")
        found: list[Finding] = []
        lowered: str | None = None
        # A value repeated through a text (a log, a dump) is validated once: validators are pure.
        verdicts: dict[tuple[Validator, str], bool] = {}
        for index, pattern, spans in self._engine.candidate_spans(text):  # the hot loop: kept flat
            gate = self._context_gates.get(index)
            if gate is not None:
                lowered = text.lower() if lowered is None else lowered
                if not any(all(word in lowered for word in phrase) for phrase in gate):
                    continue  # none of its candidates could have a context word near it
            group = self._groups[index]
            for match in pattern.finditer(text) if spans is None else _in_spans(pattern, text, spans):
                for entry in group:
                    start, end = match.span(entry.pattern.group)
                    if start == end:  # an unmatched group spans (-1, -1)
                        continue
                    refine = entry.recognizer.refine
                    if refine is None:
                        finding = self._score(entry, text, start, end, entry.pattern.score, verdicts)
                        if finding is not None:
                            found.append(finding)
                        continue
                    for s, e, score in refine(text[start:end]):
                        if s < e:
                            finding = self._score(entry, text, start + s, start + e, score, verdicts)
                            if finding is not None:
                                found.append(finding)
        return found

    def _score(self, entry: _Compiled, text: str, start: int, end: int, score: float,
               verdicts: dict[tuple[Validator, str], bool]) -> Finding | None:
        recognizer = entry.recognizer
        low, high = max(0, start - entry.before), end + entry.after
        context = entry.context is not None and entry.context.search(text, low, high) is not None
        # Cheapest checks first: without a context word, a weak candidate can never pass.
        if not context and (recognizer.requires_context or score < self.threshold):
            return None
        if recognizer.validator is not None:
            key = (recognizer.validator, text[start:end])
            valid = verdicts.get(key)
            if valid is None:
                valid = verdicts[key] = bool(recognizer.validator(key[1]))
            if not valid:
                return None
        if context:
            score = min(1.0, score + CONTEXT_BOOST)
        if entry.negative is not None and entry.negative.search(text, low, high) is not None:
            score = max(0.0, score - NEGATIVE_PENALTY)
        return Finding(start, end, recognizer.entity, round(score, 4), recognizer.name)


def _in_spans(pattern: re.Pattern[str], text: str, spans: list[Span]) -> Iterator[re.Match[str]]:
    for span in spans:
        for match in pattern.finditer(text, span.start, span.stop):
            if match.end() <= span.last_end:
                yield match


def _context_gate(group: list[_Compiled], threshold: float) -> tuple[tuple[str, ...], ...]:
    """Context phrases, as their words, of which one must be in a text (every word of it, anywhere)
    for the group's pattern to find anything there.

    Empty when some candidate could pass without context. A superset of where the phrase stands
    whole near a candidate: the exact check near each candidate still decides. Gating on all of
    a phrase's words matters: "secret access key" alone would let every text with "secret" pass.
    """
    phrases: set[tuple[str, ...]] = set()
    for entry in group:
        recognizer = entry.recognizer
        weak = entry.pattern.score < threshold and recognizer.refine is None
        if not (recognizer.requires_context or weak) or not recognizer.context:
            return ()
        phrases.update(tuple(word.lower().split()) for word in recognizer.context if word.strip())
    return tuple(sorted(phrases))


_NAME_PART = re.compile(r"[^\W\d_][\w'’-]{2,}")
_NAME_CHAR = re.compile(r"[\w'’-]")


def name_echoes(text: str, findings: list[Finding]) -> list[Finding]:
    """Parts of a name found once, wherever else they stand alone in the same text.

    "Hi, this is Maria Keller ... Sorry, Maria." reports the second "Maria" too.
    """
    parts = {part for f in findings if f.entity == Entity.PERSON
             for part in _NAME_PART.findall(text, f.start, f.end) if part[0].isupper()}
    echoes = []
    for part in parts:
        start = text.find(part)
        while start >= 0:
            end = start + len(part)
            alone = (start == 0 or not _NAME_CHAR.match(text, start - 1)) and not _NAME_CHAR.match(text, end)
            if alone:
                echoes.append(Finding(start, end, Entity.PERSON, ECHO_SCORE, "name_echo"))
            start = text.find(part, end)
    return echoes


def _deny_list_recognizers(deny: Mapping[str, EntityName]) -> list[Recognizer]:
    by_entity: dict[str, list[str]] = {}
    for term, entity in deny.items():
        if not term.strip():
            raise InvalidInput("deny list terms must not be blank")
        by_entity.setdefault(str(entity), []).append(term)
    recognizers = []
    for entity, terms in sorted(by_entity.items()):
        body = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        pattern = Pattern("deny_list", rf"(?<!\w)(?:{body})(?!\w)", 1.0, flags=0)
        name = f"deny_list:{entity}"
        label: EntityName = Entity(entity) if entity in Entity.__members__ else entity
        recognizers.append(Recognizer(name, label, (pattern,), priority=DENY_LIST_PRIORITY))
    return recognizers
