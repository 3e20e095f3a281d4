"""Redaction of JSON values: every string, or only those at the given paths."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from veil.errors import InvalidInput
from veil.redact._redactor import Redactor, default_redactor

JSON = Any
DEFAULT_MAX_DEPTH = 64
#: Each level costs Python stack frames; far below the interpreter's recursion limit.
MAX_MAX_DEPTH = 256

#: One path step: a key (``*`` for any key), then any number of ``[N]`` / ``[*]``.
_STEP = re.compile(r"([^.\[\]]+)((?:\[(?:\d{1,9}|\*)\])*)")
_INDEX = re.compile(r"\[(\d{1,9}|\*)\]")
ANY = "*"

Selector = tuple[str | int, ...]


def parse_paths(paths: Sequence[str] | None) -> list[Selector] | None:
    """``"messages[*].content"`` -> ("messages", "*", "content"); None selects everything."""
    if paths is None:
        return None
    if isinstance(paths, str):
        raise InvalidInput("paths must be a list of strings, not one string")
    return [_parse_path(path, index) for index, path in enumerate(paths)]


def _parse_path(path: str, index: int) -> Selector:
    steps: list[str | int] = []
    for part in path.split(".") if isinstance(path, str) else [""]:
        match = _STEP.fullmatch(part)
        if match is None:
            raise InvalidInput(f"paths[{index}] is not a valid path")
        steps.append(match.group(1))
        steps += [ANY if i == ANY else int(i) for i in _INDEX.findall(match.group(2))]
    return tuple(steps)


def redact_json(value: JSON, *, redactor: Redactor | None = None, paths: Sequence[str] | None = None,
                max_depth: int = DEFAULT_MAX_DEPTH) -> JSON:
    """A copy of ``value`` with its string values redacted (keys are kept).

    ``paths`` (``"user.email"``, ``"messages[*].content"``) limit redaction to those
    values and everything beneath them. Numbers, booleans and null are left alone.
    The whole document shares one numbering: the same e-mail is one tag throughout.
    """
    chosen = redactor if redactor is not None else default_redactor()
    selectors = parse_paths(paths)
    (result,) = redact_documents([value], chosen, selectors, max_depth)
    return result


def redact_documents(values: Sequence[JSON], redactor: Redactor, selectors: list[Selector] | None,
                     max_depth: int) -> list[JSON]:
    """Several documents, each numbered on its own, detected in one batch."""
    if not isinstance(max_depth, int) or not 0 <= max_depth <= MAX_MAX_DEPTH:
        raise InvalidInput(f"max_depth must be between 0 and {MAX_MAX_DEPTH}")
    groups = [_strings(value, selectors, max_depth) for value in values]
    redacted = redactor.redact_groups(groups)
    return [_walk(value, selectors, max_depth, _replacer(texts))
            for value, texts in zip(values, redacted, strict=True)]


def _replacer(texts: list[str]) -> Callable[[str], str]:
    """Hands out the redacted strings in the order the walk meets the originals."""
    pending = iter(texts)
    return lambda _original: next(pending)


def _strings(value: JSON, selectors: list[Selector] | None, max_depth: int) -> list[str]:
    found: list[str] = []

    def keep(text: str) -> str:
        found.append(text)
        return text

    _walk(value, selectors, max_depth, keep)
    return found


def _walk(value: JSON, selectors: list[Selector] | None, max_depth: int,
          visit: Callable[[str], str]) -> JSON:
    """Rebuild ``value``, passing each selected string through ``visit`` (same order every time)."""

    def walk(node: JSON, path: tuple[str | int, ...], depth: int) -> JSON:
        if depth > max_depth:
            raise InvalidInput(f"JSON nested deeper than {max_depth} levels")
        if isinstance(node, str):
            return visit(node) if _selected(path, selectors) else node
        if isinstance(node, dict):
            return {k: walk(v, (*path, str(k)), depth + 1) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return [walk(v, (*path, i), depth + 1) for i, v in enumerate(node)]
        if node is None or isinstance(node, bool | int | float):
            return node
        raise InvalidInput(f"JSON values of type {type(node).__name__} are not supported")

    return walk(value, (), 0)


def _selected(path: tuple[str | int, ...], selectors: list[Selector] | None) -> bool:
    """A selector picks a path when it matches the path's first steps (a whole subtree)."""
    if selectors is None:
        return True
    return any(len(s) <= len(path) and all(_step(want, got) for want, got in zip(s, path, strict=False))
               for s in selectors)


def _step(want: str | int, got: str | int) -> bool:
    if want == ANY:
        return True
    return want == got
