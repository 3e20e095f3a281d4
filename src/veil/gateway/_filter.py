"""Output filter: personal data or secrets in an answer that the user did not give.

A finding whose value occurs (in any case) in what the user supplied passes; any
other is allowed, masked (``[EMAIL_ADDRESS]``) or blocked (``OutputBlocked``) by
its entity type's action. The masks are not tag-shaped, so the filter can run
before restoration: run it on the upstream text, tags still in place, and a value
restored from the session can never be flagged, whatever turn it came from.

Default policy: everything not supplied is masked except dates and URLs, which
answers are full of and which rarely point at a person. Secrets are masked too,
not blocked: masking already keeps the value from the user, and a block would
break every coding answer that quotes a look-alike key (counts still report it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from veil.detect import SECRET_ENTITIES, Detector, Entity, EntityName, Finding, default_detector
from veil.errors import InvalidInput, OutputBlocked

DEFAULT_WINDOW = 64


class OutputAction(StrEnum):
    ALLOW = "allow"
    MASK = "mask"
    BLOCK = "block"


_ACTIONS = frozenset(action.value for action in OutputAction)


def _default_rules() -> Mapping[str, OutputAction]:
    return {Entity.DATE_TIME: OutputAction.ALLOW, Entity.URL: OutputAction.ALLOW}


@dataclass(frozen=True, slots=True)
class OutputPolicy:
    """The action for a finding the user did not supply: ``rules`` per type, else by kind.

    ``rules`` replaces the default table (dates and URLs allowed) as a whole, so
    giving any rules makes dates and URLs masked unless the rules allow them.
    """

    pii: OutputAction = OutputAction.MASK
    secrets: OutputAction = OutputAction.MASK
    rules: Mapping[str, OutputAction] = field(default_factory=_default_rules)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pii", _action(self.pii, "pii"))
        object.__setattr__(self, "secrets", _action(self.secrets, "secrets"))
        if not isinstance(self.rules, Mapping):
            raise InvalidInput("rules must map entity types to actions")
        rules = {str(entity): _action(action, f"rules[{entity}]") for entity, action in self.rules.items()}
        object.__setattr__(self, "rules", MappingProxyType(rules))

    def action_for(self, entity: EntityName) -> OutputAction:
        rule = self.rules.get(str(entity))
        if rule is not None:
            return rule
        return self.secrets if entity in SECRET_ENTITIES else self.pii


def _action(value: object, name: str) -> OutputAction:
    if isinstance(value, str) and value in _ACTIONS:
        return OutputAction(value)
    raise InvalidInput(f"{name} must be one of allow, mask, block")


class _Supplied:
    """What the user gave; a value occurring in it, in any case, is theirs."""

    __slots__ = ("_blob",)

    def __init__(self, values: Iterable[str]) -> None:
        chosen = [] if isinstance(values, str) else list(values)
        if isinstance(values, str) or not all(isinstance(value, str) for value in chosen):
            raise InvalidInput("supplied_values must be a collection of strings")
        self._blob = "\0".join(value.casefold() for value in chosen)  # NUL: no match spans two values

    def __contains__(self, value: str) -> bool:
        return value.casefold() in self._blob


class _Judge:
    """Decides each finding: supplied or allowed passes, masked is returned, blocked raises."""

    __slots__ = ("_policy", "_supplied", "counts")

    def __init__(self, supplied: Iterable[str], policy: OutputPolicy | None) -> None:
        if policy is not None and not isinstance(policy, OutputPolicy):
            raise InvalidInput("policy must be an OutputPolicy")
        self._supplied = _Supplied(supplied)
        self._policy = policy if policy is not None else OutputPolicy()
        self.counts: Counter[str] = Counter()

    def masks(self, text: str, finding: Finding) -> bool:
        if text[finding.start:finding.end] in self._supplied:
            return False
        action = self._policy.action_for(finding.entity)
        if action is OutputAction.BLOCK:
            raise OutputBlocked(f"the answer carries a {finding.entity} value the user did not supply")
        if action is OutputAction.MASK:
            self.counts[str(finding.entity)] += 1
        return action is OutputAction.MASK


def _splice(text: str, spans: list[tuple[int, int, str]]) -> str:
    """``text`` with each sorted, disjoint (start, end, entity) span replaced by ``[ENTITY]``."""
    pieces: list[str] = []
    cursor = 0
    for start, end, entity in spans:
        pieces += (text[cursor:start], f"[{entity}]")
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def filter_text(text: str, supplied_values: Iterable[str], policy: OutputPolicy | None = None, *,
                detector: Detector | None = None) -> tuple[str, dict[str, int]]:
    """``text`` with findings the user did not supply masked, and the masked counts by type.

    Raises ``OutputBlocked`` (naming the entity type only) when the policy blocks one.
    """
    if not isinstance(text, str):
        raise InvalidInput("text must be a str")
    judge = _Judge(supplied_values, policy)
    found = (detector if detector is not None else default_detector()).detect(text)
    spans = [(f.start, f.end, str(f.entity)) for f in found if judge.masks(text, f)]
    return _splice(text, spans), dict(judge.counts)


class StreamFilter:
    """``filter_text`` over the text deltas of one streamed choice.

    Holds back at most ``window`` characters, so an entity arriving across deltas is
    seen whole before any of it is emitted. The outputs of ``feed`` and ``flush``
    add up to ``filter_text`` of the whole text for entities (and the context words
    that decide them) shorter than the window; a longer one (a PEM key, a long JWT)
    may be emitted in part. After ``OutputBlocked`` the stream must be abandoned.
    """

    __slots__ = ("_detector", "_judge", "_pending", "_seen", "_window")

    def __init__(self, supplied_values: Iterable[str], policy: OutputPolicy | None = None, *,
                 window: int = DEFAULT_WINDOW, detector: Detector | None = None) -> None:
        if not isinstance(window, int) or isinstance(window, bool) or window < 1:
            raise InvalidInput("window must be a positive integer")
        self._judge = _Judge(supplied_values, policy)
        self._detector = detector if detector is not None else default_detector()
        self._window = window
        self._seen = ""  # the last emitted characters as they came: left context for detection
        self._pending = ""

    def __repr__(self) -> str:
        return f"StreamFilter(window={self._window}, held={len(self._pending)})"

    @property
    def held(self) -> int:
        """Characters received and not yet emitted (never more than ``window``)."""
        return len(self._pending)

    @property
    def counts(self) -> dict[str, int]:
        """Masked findings so far, by entity type."""
        return dict(self._judge.counts)

    def feed(self, delta: str) -> str:
        """The filtered text that can be emitted now."""
        if not isinstance(delta, str):
            raise InvalidInput("delta must be a str")
        self._pending += delta
        if len(self._pending) <= self._window:
            return ""
        return self._release(len(self._pending) - self._window)

    def flush(self) -> str:
        """Everything still held, filtered: call once when the stream ends."""
        return self._release(len(self._pending)) if self._pending else ""

    def _release(self, cut: int) -> str:
        """Emit the pending text up to ``cut``, or past it to the end of an entity that crosses it."""
        shift = len(self._seen)
        text = self._seen + self._pending
        spans: list[tuple[int, int, str]] = []
        end = cut
        for finding in self._detector.detect(text):
            start, stop = finding.start - shift, finding.end - shift
            if stop <= 0:
                continue  # decided when it was emitted
            if start >= end:
                break
            if self._judge.masks(text, finding):
                spans.append((max(start, 0), stop, str(finding.entity)))
            end = max(end, stop)
        emitted, self._pending = self._pending[:end], self._pending[end:]
        self._seen = (self._seen + emitted)[-self._window:]
        return _splice(emitted, spans)
