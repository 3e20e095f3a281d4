"""Custom recognizers from a TOML or YAML file, checked strictly.

One schema for both formats::

    [[recognizer]]
    name = "employee_id"
    entity = "EMPLOYEE_ID"
    patterns = [{ name = "emp", regex = "EMP-\\\\d{6}", score = 0.3 }]
    context = ["employee", "staff"]
    validator = "luhn"          # optional, see veil.detect.get_validator

Every error names the file, the recognizer (index and name) and the field.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from veil.detect._entities import Entity, EntityName
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect._validators import get_validator
from veil.detect.recognizers import builtin_recognizers
from veil.errors import ConfigError

_RECOGNIZER_KEYS = frozenset(
    {"name", "entity", "patterns", "context", "negative_context", "validator", "requires_context", "priority"}
)
_PATTERN_KEYS = frozenset({"name", "regex", "score", "group"})
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}")
_ENTITY = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
MAX_REGEX_LENGTH = 2000
MAX_PRIORITY = 100

# The regex parser of the standard library: the only way to see a pattern's structure.
_sre: Any = importlib.import_module("re._parser")
_REPEATS = frozenset({_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", _sre.MAX_REPEAT)})


def load_recognizers(path: str | Path) -> list[Recognizer]:
    """The recognizers declared in a ``.toml``, ``.yaml`` or ``.yml`` file."""
    file = Path(path)
    entries = _entries(file, _read(file))
    recognizers = [_Builder(file.name, index, entry).build() for index, entry in enumerate(entries)]
    _check_unique(file.name, recognizers)
    return recognizers


def _read(file: Path) -> object:
    suffix = file.suffix.lower()
    if suffix not in {".toml", ".yaml", ".yml"}:
        raise ConfigError(f"{file.name}: recognizer files must end in .toml, .yaml or .yml")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file.name}: cannot read recognizer file ({type(exc).__name__})") from None
    if suffix == ".toml":
        import tomllib  # here, like yaml: a scan that loads no recognizer file never parses TOML

        try:
            return tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{file.name}: not valid TOML ({exc})") from None
    import yaml  # here, not at import: detection itself never needs it

    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file.name}: not valid YAML{_yaml_position(exc)}") from None


def _yaml_position(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return "" if mark is None else f" (line {mark.line + 1}, column {mark.column + 1})"


def _entries(file: Path, document: object) -> list[object]:
    if not isinstance(document, Mapping) or set(document) != {"recognizer"}:
        raise ConfigError(f"{file.name}: expected one top-level key 'recognizer' (a list of recognizers)")
    entries = document["recognizer"]
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{file.name}: 'recognizer' must be a non-empty list")
    return entries


def _check_unique(file_name: str, recognizers: list[Recognizer]) -> None:
    taken = {r.name for r in builtin_recognizers()}
    for index, recognizer in enumerate(recognizers):
        if recognizer.name in taken:
            raise ConfigError(
                f"{file_name}: recognizer[{index}] ({recognizer.name}): name: already used "
                "by a built-in or an earlier recognizer"
            )
        taken.add(recognizer.name)


class _Builder:
    """Checks one recognizer table; every error says where it is."""

    def __init__(self, file_name: str, index: int, entry: object) -> None:
        self._where = f"{file_name}: recognizer[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{self._where}: must be a table of fields")
        self._entry: Mapping[Any, Any] = entry
        name = entry.get("name")
        if isinstance(name, str) and _NAME.fullmatch(name):
            self._where += f" ({name})"

    def fail(self, field: str, problem: str) -> ConfigError:
        return ConfigError(f"{self._where}: {field}: {problem}")

    def build(self) -> Recognizer:
        unknown = sorted(str(k) for k in self._entry if k not in _RECOGNIZER_KEYS)
        if unknown:
            raise self.fail(unknown[0], f"unknown field; known: {', '.join(sorted(_RECOGNIZER_KEYS))}")
        return Recognizer(
            name=self._name(),
            entity=self._entity(),
            patterns=self._patterns(),
            validator=self._validator(),
            context=self._words("context"),
            negative_context=self._words("negative_context"),
            requires_context=self._flag("requires_context"),
            priority=self._priority(),
        )

    def _name(self) -> str:
        name = self._entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail("name", "required: 1-64 letters, digits, '_', '.', ':' or '-'")
        return name

    def _entity(self) -> EntityName:
        entity = self._entry.get("entity")
        if not isinstance(entity, str) or not _ENTITY.fullmatch(entity):
            raise self.fail("entity", "required: an upper-case name such as EMPLOYEE_ID")
        return Entity(entity) if entity in Entity.__members__ else entity

    def _patterns(self) -> tuple[Pattern, ...]:
        patterns = self._entry.get("patterns")
        if not isinstance(patterns, list) or not patterns:
            raise self.fail("patterns", "required: a non-empty list of {name, regex, score}")
        return tuple(self._pattern(i, p) for i, p in enumerate(patterns))

    def _pattern(self, index: int, raw: object) -> Pattern:
        field = f"patterns[{index}]"
        if not isinstance(raw, Mapping):
            raise self.fail(field, "must be a table with name, regex and score")
        unknown = sorted(str(k) for k in raw if k not in _PATTERN_KEYS)
        if unknown:
            known = ", ".join(sorted(_PATTERN_KEYS))
            raise self.fail(f"{field}.{unknown[0]}", f"unknown field; known: {known}")
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail(f"{field}.name", "required: 1-64 letters, digits, '_', '.', ':' or '-'")
        score = raw.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
            raise self.fail(f"{field}.score", "required: a number between 0 and 1")
        regex, group = raw.get("regex"), raw.get("group", 0)
        self._check_regex(field, regex, group)
        assert isinstance(regex, str)  # checked above; narrows the type
        return Pattern(name, regex, float(score), group)

    def _check_regex(self, pattern_field: str, regex: object, group: object) -> None:
        field = f"{pattern_field}.regex"
        if not isinstance(regex, str) or not regex:
            raise self.fail(field, "required: a non-empty regular expression")
        if len(regex) > MAX_REGEX_LENGTH:
            raise self.fail(field, f"longer than {MAX_REGEX_LENGTH} characters")
        try:
            compiled = re.compile(regex, re.ASCII)
        except re.error as exc:
            raise self.fail(field, f"not a valid regex ({exc.msg}, position {exc.pos})") from None
        problem = regex_problem(regex)
        if problem is not None:
            raise self.fail(field, problem)
        if compiled.fullmatch("") is not None:
            raise self.fail(field, "matches the empty string")
        if isinstance(group, bool) or not isinstance(group, int | str):
            raise self.fail(f"{pattern_field}.group", "must be a group number or name")
        numbered = isinstance(group, int) and 0 <= group <= compiled.groups
        if group not in compiled.groupindex and not numbered:
            raise self.fail(f"{pattern_field}.group", "names no group of the regex")

    def _validator(self) -> Callable[[str], bool] | None:
        name = self._entry.get("validator")
        if name is None:
            return None
        if not isinstance(name, str):
            raise self.fail("validator", "must be a validator name")
        try:
            return get_validator(name)
        except ConfigError as exc:
            raise self.fail("validator", exc.message) from None

    def _words(self, field: str) -> tuple[str, ...]:
        words = self._entry.get(field, [])
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise self.fail(field, "must be a list of non-empty words")
        return tuple(words)

    def _flag(self, field: str) -> bool:
        value = self._entry.get(field, False)
        if not isinstance(value, bool):
            raise self.fail(field, "must be true or false")
        return value

    def _priority(self) -> int:
        value = self._entry.get("priority", 50)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRIORITY:
            raise self.fail("priority", f"must be a whole number between 0 and {MAX_PRIORITY}")
        return value


def regex_problem(regex: str) -> str | None:
    """Why ``regex`` may backtrack badly on Python's ``re``, or None.

    A quick structural check, not a proof: it rejects nested quantifiers,
    back-references, and an unbounded repeat at the start of the pattern with
    no look-behind or boundary to stop matching restarting inside a run.
    """
    items = _sre.parse(regex, re.ASCII)
    if _has(items, lambda op, _av: op is _sre.GROUPREF):
        return "back-references are not allowed (they can take exponential time)"
    if _nested_repeat(items):
        return "nested quantifiers such as (a+)+ can take exponential time; rewrite without them"
    if _leading_unbounded(list(items)):
        return ("starts with an unbounded repeat; anchor it with a look-behind of the same "
                "characters, e.g. (?<![A-Z0-9])[A-Z0-9]+, or \\b")
    return None


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-sequences under one parsed node."""
    if op in _REPEATS:
        return [av[2]]
    if op is _sre.SUBPATTERN:
        return [av[3]]
    if op is _sre.BRANCH:
        return list(av[1])
    if op in (_sre.ASSERT, _sre.ASSERT_NOT):
        return [av[1]]
    if op is _sre.GROUPREF_EXISTS:
        return [x for x in av[1:] if x is not None]
    return []


def _has(items: Any, test: Callable[[Any, Any], bool]) -> bool:
    return any(test(op, av) or any(_has(c, test) for c in _children(op, av)) for op, av in items)


def _variable(op: Any, av: Any) -> bool:
    return op in _REPEATS and av[0] != av[1]


def _unbounded(op: Any, av: Any) -> bool:
    return op in _REPEATS and av[1] == _sre.MAXREPEAT


def _nested_repeat(items: Any) -> bool:
    """An unbounded repeat around a variable one, or any repeat around an unbounded one."""
    for op, av in items:
        if op in _REPEATS:
            body = av[2]
            if (_unbounded(op, av) and _has(body, _variable)) or (av[1] > 1 and _has(body, _unbounded)):
                return True
        if any(_nested_repeat(c) for c in _children(op, av)):
            return True
    return False


def _leading_unbounded(items: list[Any]) -> bool:
    for op, av in items:
        if op is _sre.AT or (op in (_sre.ASSERT, _sre.ASSERT_NOT) and av[0] < 0):
            return False  # an anchor or look-behind decides where a match may start
        if op in (_sre.ASSERT, _sre.ASSERT_NOT):
            continue  # a look-ahead consumes nothing
        if op is _sre.SUBPATTERN:
            return _leading_unbounded(list(av[3]))
        if op is _sre.BRANCH:
            return any(_leading_unbounded(list(b)) for b in av[1])
        return _unbounded(op, av)
    return False
