"""Numbered tags (``<PERSON_1>``) and the reversible session that remembers them."""

from __future__ import annotations

import re

from veil.detect import EntityName

#: A tag as written, or as a model may echo it: any case, spaces inside the brackets.
_TAG_LIKE = re.compile(r"<\s*([A-Za-z0-9_]+)\s*>")


_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def token_name(entity: EntityName) -> str:
    """The entity as written inside a token: ASCII letters, digits and ``_``, a letter first."""
    name = _NOT_NAME.sub("_", str(entity))
    return name if name[:1].isascii() and name[:1].isalpha() else f"E_{name}"


def tag_text(entity: str, number: int) -> str:
    return f"<{entity}_{number}>"


def parse_tag(body: str) -> tuple[str, int] | None:
    """``PERSON_12`` -> ("PERSON", 12); None when it is not entity + number."""
    entity, sep, digits = body.rpartition("_")
    if not sep or not entity or not digits.isdigit() or digits != str(int(digits)):
        return None
    return entity, int(digits)


class PseudonymSession:
    """A reversible mapping between originals and tags, for one conversation or job.

    The same (entity, value) always gets the same tag; tags are numbered per entity
    type in order of first appearance. Originals live in memory only and never show
    in the repr. ``restore`` puts them back, tolerating the case and spacing
    variants models produce, and never reads ``<PERSON_1>`` inside ``<PERSON_10>``.
    """

    __slots__ = ("_by_tag", "_by_value", "_counters")

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_tag: dict[tuple[str, int], str] = {}
        self._counters: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"PseudonymSession(entries={len(self._by_tag)})"

    def __len__(self) -> int:
        return len(self._by_tag)

    def pseudonym(self, entity: EntityName, value: str) -> str:
        """The tag for ``value``, assigning the next number on first sight."""
        name = token_name(entity)
        known = self._by_value.get((name, value))
        if known is not None:
            return known
        key = name.upper()
        number = self._counters.get(key, 0) + 1
        self._counters[key] = number
        tag = tag_text(name, number)
        self._by_value[(name, value)] = tag
        self._by_tag[(key, number)] = value
        return tag

    def reserve(self, entity: EntityName, number: int) -> None:
        """Never hand out ``number`` (a tag already present in the text) for another value."""
        key = token_name(entity).upper()
        if number > self._counters.get(key, 0):
            self._counters[key] = number

    def original(self, tag: str) -> str | None:
        """The original behind one tag, or None when this session did not issue it."""
        match = _TAG_LIKE.fullmatch(tag.strip())
        parsed = parse_tag(match.group(1)) if match else None
        if parsed is None:
            return None
        return self._by_tag.get((parsed[0].upper(), parsed[1]))

    def restore(self, text: str) -> str:
        """``text`` with every tag this session issued replaced by its original."""
        if not self._by_tag:
            return text
        return _TAG_LIKE.sub(self._restore_one, text)

    def clear(self) -> None:
        """Forget every original (end of the conversation)."""
        self._by_value.clear()
        self._by_tag.clear()
        self._counters.clear()

    def _restore_one(self, match: re.Match[str]) -> str:
        parsed = parse_tag(match.group(1))
        if parsed is None:
            return match.group(0)
        original = self._by_tag.get((parsed[0].upper(), parsed[1]))
        return match.group(0) if original is None else original
