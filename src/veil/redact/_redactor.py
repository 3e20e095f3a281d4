"""The redaction engine: findings in, replaced text and a map of offsets out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from itertools import islice

from veil.detect import Detector, EntityName, Finding, default_detector
from veil.errors import InvalidInput
from veil.redact._fake import FakeMaker
from veil.redact._operators import Fake, Operator, Pseudonymize, Tag
from veil.redact._pseudonym import PseudonymSession
from veil.redact._spans import Redacted, Replacement, map_back, outside, tokens

#: Extra detection passes over the output: replacing a value changes the context words
#: around its neighbours (``<CREDIT_CARD_1>`` says "card"), which may lift one over the threshold.
MAX_RECHECKS = 2
#: Texts detected together by ``redact_many`` (one NER batch).
BATCH_SIZE = 64


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
        return self._redact_batch([(text, self._scope())])[0]

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
        iterator = iter(texts)
        while chunk := list(islice(iterator, BATCH_SIZE)):
            yield from self._redact_batch([(text, self._scope()) for text in chunk])

    def redact_groups(self, groups: Sequence[Sequence[str]]) -> list[list[str]]:
        """Redact groups of texts (one JSON document, one row); a group shares its numbering."""
        items = [(text, scope) for group in groups for scope in [self._scope()] for text in group]
        done = iter(self._redact_batch(items))
        return [[next(done).text for _ in group] for group in groups]

    def _scope(self) -> _Scope:
        return _Scope(self._session if self._session is not None else PseudonymSession(), self._fakes)

    def _redact_batch(self, items: list[tuple[str, _Scope]]) -> list[Redacted]:
        """Detect, redact, and detect again where a replacement may have exposed a neighbour."""
        texts = [text for text, _ in items]
        findings = list(self.detector.detect_many(texts))
        results = [self._apply(text, found, scope)
                   for (text, scope), found in zip(items, findings, strict=True)]
        todo = [index for index, result in enumerate(results) if result.replacements]
        for _ in range(MAX_RECHECKS):
            if not todo:
                break
            again = self.detector.detect_many([results[index].text for index in todo])
            changed = []
            for index, found in zip(todo, again, strict=True):
                extra = map_back(results[index], found)
                if extra:
                    findings[index] = [*findings[index], *extra]
                    results[index] = self._apply(texts[index], findings[index], items[index][1])
                    changed.append(index)
            todo = changed
        return results

    def _apply(self, text: str, findings: list[Finding], scope: _Scope) -> Redacted:
        if not findings:
            return Redacted(text, [])
        spans, tags = tokens(text)
        for tag in tags:
            for session in (scope.session, *self._sessions):
                session.reserve(*tag)
        pieces: list[str] = []
        replacements: list[Replacement] = []
        cursor = size = 0
        for finding in outside(sorted(findings, key=lambda f: (f.start, f.end)), spans):
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


@cache
def default_redactor() -> Redactor:
    """The shared Redactor: built-in detector, ``Tag()`` for everything."""
    return Redactor()
