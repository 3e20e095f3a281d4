"""The redaction engine: findings in, replaced text and a map of offsets out."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from veil.detect import Detector, EntityName, Finding, default_detector
from veil.errors import InvalidInput
from veil.redact._fake import FakeMaker
from veil.redact._operators import Fake, Operator, Pseudonymize, Tag
from veil.redact._pseudonym import PseudonymSession, parse_tag

#: Tokens Veil writes: ``<ENTITY_N>`` tags and ``<ENTITY:hex>`` hashes. Findings inside
#: them are ignored, which makes redacting redacted text a no-op.
_TOKEN = re.compile(r"<([A-Za-z][A-Za-z0-9_]*)(:[0-9a-f]{16})?>")


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced span: ``text[start:end]`` became ``new_text[new_start:new_end]``.

    Offsets only, never values, so replacements can be logged and used to map spans.
    """

    entity: EntityName
    start: int
    end: int
    new_start: int
    new_end: int
    operator: str


@dataclass(frozen=True, slots=True)
class Redacted:
    """The redacted text and, left to right, what was replaced where."""

    text: str
    replacements: list[Replacement]


class _Scope:
    """Numbering for one document: the same value gets the same tag within it."""

    __slots__ = ("_fakes", "session")

    def __init__(self, session: PseudonymSession, fakes: dict[Fake, FakeMaker]) -> None:
        self.session = session
        self._fakes = fakes

    def tag(self, entity: str, value: str) -> str:
        return self.session.pseudonym(entity, value)

    def fake(self, operator: Fake, entity: str, value: str) -> str:
        maker = self._fakes.get(operator)
        if maker is None:
            maker = self._fakes[operator] = FakeMaker(operator.seed)
        return maker.surrogate(entity, value)


class Redactor:
    """Detects and replaces personal data and secrets, one operator per entity type.

    ``Tag()`` is the default for every entity: readable, consistent, and holding
    nothing that could be reversed. ``session`` makes tags consistent across calls
    (a conversation); without it each text (each JSON document, each stream row)
    is numbered on its own.

    >>> Redactor().redact("Mail ana@example.org or ana@example.org")
    'Mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_1>'
    """

    def __init__(
        self,
        detector: Detector | None = None,
        policy: Mapping[EntityName, Operator] | None = None,
        default: Operator = Tag(),  # noqa: B008 - operators are frozen values
        *,
        session: PseudonymSession | None = None,
    ) -> None:
        operators = dict(policy or {})
        for operator in [default, *operators.values()]:
            if not isinstance(operator, Operator):
                raise InvalidInput("policy values and default must be Operator instances")
        if session is not None and not isinstance(session, PseudonymSession):
            raise InvalidInput("session must be a PseudonymSession")
        self.detector = detector if detector is not None else default_detector()
        self.default = default
        self.policy: dict[str, Operator] = {str(entity): op for entity, op in operators.items()}
        self._session = session
        self._fakes: dict[Fake, FakeMaker] = {}
        self._sessions = [op.session for op in [default, *operators.values()] if isinstance(op, Pseudonymize)]

    def __repr__(self) -> str:
        return f"Redactor(entities_in_policy={len(self.policy)}, default={self.default!r})"

    def operator_for(self, entity: EntityName) -> Operator:
        return self.policy.get(str(entity), self.default)

    def redact(self, text: str) -> str:
        """``text`` with every finding replaced."""
        return self.apply(text).text

    def apply(self, text: str) -> Redacted:
        """Detect and redact; the result maps every replaced span."""
        return self._apply(text, self.detector.detect(text), self._scope())

    def redact_findings(self, text: str, findings: Sequence[Finding]) -> Redacted:
        """Redact the given (non-overlapping) findings; no detection is run."""
        if not isinstance(text, str):
            raise InvalidInput("text must be a str")
        for index, finding in enumerate(findings):
            if not 0 <= finding.start < finding.end <= len(text):
                raise InvalidInput(f"finding {index} is outside the text")
        return self._apply(text, list(findings), self._scope())

    def redact_many(self, texts: Iterable[str]) -> Iterator[Redacted]:
        """Redact texts in order, each numbered on its own; detection runs in batches."""
        pending: deque[str] = deque()

        def remember() -> Iterator[str]:
            for text in texts:
                pending.append(text)
                yield text

        for findings in self.detector.detect_many(remember()):
            yield self._apply(pending.popleft(), findings, self._scope())

    def redact_groups(self, groups: Sequence[Sequence[str]]) -> list[list[str]]:
        """Redact groups of texts (one JSON document, one row); a group shares its numbering."""
        found = self.detector.detect_many(text for group in groups for text in group)
        out = []
        for group in groups:
            scope = self._scope()
            out.append([self._apply(text, next(found), scope).text for text in group])
        return out

    def _scope(self) -> _Scope:
        return _Scope(self._session if self._session is not None else PseudonymSession(), self._fakes)

    def _apply(self, text: str, findings: list[Finding], scope: _Scope) -> Redacted:
        findings = sorted(findings, key=lambda f: (f.start, f.end))
        if not findings:
            return Redacted(text, [])
        findings = self._outside_tokens(text, findings, scope)
        pieces: list[str] = []
        replacements: list[Replacement] = []
        cursor = size = 0
        for finding in findings:
            if finding.start < cursor:
                raise InvalidInput("findings overlap")
            operator = self.operator_for(finding.entity)
            new = operator._replace(text[finding.start:finding.end], str(finding.entity), scope)
            size += finding.start - cursor
            pieces += (text[cursor:finding.start], new)
            replacements.append(Replacement(finding.entity, finding.start, finding.end,
                                            size, size + len(new), operator.name))
            size += len(new)
            cursor = finding.end
        pieces.append(text[cursor:])
        return Redacted("".join(pieces), replacements)

    def _outside_tokens(self, text: str, findings: list[Finding], scope: _Scope) -> list[Finding]:
        """Drop findings touching a token Veil wrote; keep new tags clear of numbers in use."""
        starts: list[int] = []
        ends: list[int] = []
        for match in _TOKEN.finditer(text):
            parsed = None if match.group(2) else parse_tag(match.group(1))
            if match.group(2) is None and parsed is None:
                continue
            starts.append(match.start())
            ends.append(match.end())
            if parsed is not None:
                for session in (scope.session, *self._sessions):
                    session.reserve(*parsed)
        if not starts:
            return findings
        kept = []
        for finding in findings:
            index = bisect_right(starts, finding.end - 1) - 1
            if index < 0 or ends[index] <= finding.start:
                kept.append(finding)
        return kept


@cache
def default_redactor() -> Redactor:
    """The shared Redactor: built-in detector, ``Tag()`` for everything."""
    return Redactor()
