"""One chat completion through the gateway: pseudonymize, forward, filter, restore, audit.

Detection runs in a worker thread under a deadline; if it fails or runs out of time the request
is refused with ``DetectionUnavailable`` and nothing goes upstream (fail closed). The answer is
filtered before it is restored (the filter's masks are not tags, so a value the session restores
is never flagged) and restored per choice; a stream keeps one filter and one restorer per choice.
The audit entry carries the token, the model, sizes, entity counts by type, the decision and the
latency, never a word of the prompt or the answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

from veil.access import Token
from veil.audit import AuditEntry, AuditLog
from veil.detect import Detector, default_detector
from veil.errors import DetectionUnavailable, InvalidInput, UpstreamError, VeilError
from veil.gateway._filter import OutputPolicy, StreamFilter, filter_text
from veil.gateway._messages import (
    MemorySessions,
    PseudonymizedRequest,
    SessionStore,
    pseudonymize_request,
    restore_response,
)
from veil.gateway._restore import StreamRestorer
from veil.gateway._upstream import JSON, Upstream
from veil.redact import PseudonymSession

#: What a model name may be (it reaches the audit log): provider-style ids, no free text.
MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")
DEFAULT_DETECT_TIMEOUT = 5.0
MAX_CHOICES = 16

T = TypeVar("T")


@dataclass(slots=True)
class Exchange:
    """Metadata of one request as it goes: what the audit entry and the metrics are made of."""

    request_id: str
    model: str
    stream: bool
    prompt_bytes: int
    started: float = field(default_factory=time.perf_counter)
    entities: Counter[str] = field(default_factory=Counter)
    masked: Counter[str] = field(default_factory=Counter)
    answer_bytes: int = 0

    @property
    def latency_ms(self) -> int:
        return round((time.perf_counter() - self.started) * 1000)

    def counts(self) -> dict[str, int]:
        counts = {"prompt_bytes": self.prompt_bytes, "answer_bytes": self.answer_bytes,
                  "latency_ms": self.latency_ms, "stream": int(self.stream)}  # fmt: skip
        counts.update({f"entities.{_count_name(k)}": v for k, v in self.entities.items()})
        counts.update({f"masked.{_count_name(k)}": v for k, v in self.masked.items()})
        return counts


class Gateway:
    """The privacy proxy core, independent of the web framework that serves it."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        sessions: SessionStore | None = None,
        detector: Detector | None = None,
        output_policy: OutputPolicy | None = None,
        audit: AuditLog | None = None,
        detect_timeout: float = DEFAULT_DETECT_TIMEOUT,
        on_exchange: Callable[[Exchange, str], None] | None = None,
    ) -> None:
        self.upstream = upstream
        self.sessions = sessions if sessions is not None else MemorySessions()
        self.detector = detector
        self.output_policy = output_policy
        self.audit = audit
        self.detect_timeout = detect_timeout
        self.on_exchange = on_exchange  # metrics: called with (exchange, decision) once per request

    async def complete(self, body: JSON, *, token: Token, session_id: str | None = None) -> JSON:
        """A whole (non-streamed) answer, filtered and restored."""
        exchange, session, sent = await self._prepare(body, token, session_id, stream=False)
        try:
            answer = await self.upstream.complete(sent.body)
            filtered = await self._guarded(self._filter_answer, answer, sent.supplied, exchange)
            restored = restore_response(filtered, session)
            exchange.answer_bytes = _answer_bytes(restored)
        except VeilError as exc:
            self._record(token, exchange, "error", exc.code)
            raise
        self._record(token, exchange, "allow", None)
        return restored

    async def stream(self, body: JSON, *, token: Token, session_id: str | None = None) -> AsyncIterator[JSON]:
        """The answer's stream events, each choice's text filtered and restored as it arrives.

        Detection and the upstream call start before the first event is yielded, so a refusal
        is an exception here, before any byte of the response was sent.
        """
        exchange, session, sent = await self._prepare(body, token, session_id, stream=True)
        events = self.upstream.stream(sent.body)
        try:
            first = await anext(events, None)
        except VeilError as exc:
            self._record(token, exchange, "error", exc.code)
            raise
        return self._relay(first, events, session, sent, exchange, token)

    async def _relay(
        self,
        first: JSON | None,
        events: AsyncIterator[JSON],
        session: PseudonymSession,
        sent: PseudonymizedRequest,
        exchange: Exchange,
        token: Token,
    ) -> AsyncIterator[JSON]:
        choices = _StreamChoices(session, sent.supplied, self.output_policy, self.detector)
        decision, problem = "allow", None
        try:
            event = first
            while event is not None:
                for out in choices.relay(event):
                    exchange.answer_bytes += _event_bytes(out)
                    yield out
                event = await anext(events, None)
            for out in choices.finish():
                exchange.answer_bytes += _event_bytes(out)
                yield out
        except VeilError as exc:
            decision, problem = "error", exc.code
            raise
        except BaseException:  # the client went away (cancelled): on the record, then re-raised
            decision, problem = "error", "client_disconnected"
            raise
        finally:
            exchange.masked.update(choices.masked())
            self._record(token, exchange, decision, problem)

    async def _prepare(
        self, body: JSON, token: Token, session_id: str | None, *, stream: bool
    ) -> tuple[Exchange, PseudonymSession, PseudonymizedRequest]:
        if not isinstance(body, dict):
            raise InvalidInput("request body must be a JSON object")
        model = body.get("model")
        if not isinstance(model, str) or not MODEL.fullmatch(model):
            raise InvalidInput("model must be a model id of 1 to 128 letters, digits and ._:/@+-")
        detector = self.detector or default_detector()
        if await self._guarded(detector.detect, model):  # it goes into the audit log
            raise InvalidInput("model must be a model id, and this one looks like personal data")
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_CHOICES:
            raise InvalidInput(f"n must be an integer from 1 to {MAX_CHOICES}")
        exchange = Exchange(uuid.uuid4().hex, model, stream, _prompt_bytes(body))
        # a conversation belongs to its principal: another caller naming the same id gets its own
        session = (
            self.sessions.get(f"{token.principal}/{session_id}") if session_id else PseudonymSession()
        )
        try:
            sent = await self._guarded(pseudonymize_request, body, session, detector=self.detector)
        except VeilError as exc:
            self._record(token, exchange, "error", exc.code)
            raise
        exchange.entities.update(sent.counts)
        outgoing = dict(sent.body)
        outgoing["stream"] = stream
        return exchange, session, PseudonymizedRequest(outgoing, sent.counts, sent.supplied)

    async def _guarded(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``work`` in a worker thread under the detection deadline; any failure but bad input -> 503."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(work, *args, **kwargs), self.detect_timeout)
        except TimeoutError:
            raise DetectionUnavailable("detection timed out: nothing was sent upstream") from None
        except VeilError as exc:
            if exc.http_status < 500 or isinstance(exc, UpstreamError | DetectionUnavailable):
                raise  # bad input, or an answer already refused for its own reason
            raise DetectionUnavailable("detection failed: nothing was sent upstream") from None
        except Exception:
            raise DetectionUnavailable("detection failed: nothing was sent upstream") from None

    def _filter_answer(self, answer: JSON, supplied: tuple[str, ...], exchange: Exchange) -> JSON:
        if not isinstance(answer, dict) or not isinstance(answer.get("choices"), list):
            return answer
        choices = []
        for choice in answer["choices"]:
            message = choice.get("message") if isinstance(choice, dict) else None
            if not isinstance(message, dict):
                choices.append(choice)
                continue
            content = message.get("content")
            if isinstance(content, str) and content:
                text, masked = filter_text(content, supplied, self.output_policy, detector=self.detector)
                exchange.masked.update(masked)
                choice = {**choice, "message": {**message, "content": text}}
            choices.append(choice)
        return {**answer, "choices": choices}

    def _record(self, token: Token, exchange: Exchange, decision: str, problem: str | None) -> None:
        if self.on_exchange is not None:
            self.on_exchange(exchange, decision)
        if self.audit is None:
            return
        entry = AuditEntry(
            "gateway.chat",
            token.principal,
            f"model:{exchange.model}",
            decision=decision,
            rule=f"token:{token.token_id}" if problem is None else problem,
            request_id=exchange.request_id,
            counts=exchange.counts(),
        )
        with suppress(VeilError):  # a closed log at shutdown: the request itself has been answered
            self.audit.submit(entry).add_done_callback(_unraised)


class _StreamChoices:
    """One output filter and one restorer per choice of a stream, created as choices appear."""

    def __init__(
        self,
        session: PseudonymSession,
        supplied: tuple[str, ...],
        policy: OutputPolicy | None,
        detector: Detector | None,
    ) -> None:
        self._session, self._supplied, self._policy, self._detector = session, supplied, policy, detector
        self._open: dict[int, tuple[StreamFilter, StreamRestorer]] = {}
        self._envelope: JSON = {}
        self._closed: list[StreamFilter] = []

    def relay(self, event: JSON) -> list[JSON]:
        """``event`` with each choice's content delta passed through its filter and restorer; a
        finishing choice gets what its pipeline still held first."""
        if not isinstance(event, dict):
            raise UpstreamError("the upstream sent a stream event that is not a JSON object")
        self._envelope = {k: v for k, v in event.items() if k != "choices"}
        choices = event.get("choices")
        if not isinstance(choices, list) or not choices:
            return [event]
        out, flushed = [], []
        for choice in choices:
            if not isinstance(choice, dict) or not isinstance(choice.get("index", 0), int):
                raise UpstreamError("the upstream sent a malformed stream choice")
            index = choice.get("index", 0)
            given = choice.get("delta")
            delta: JSON = given if isinstance(given, dict) else {}
            content = delta.get("content")
            if isinstance(content, str):
                delta = {**delta, "content": self._feed(index, content)}
            if choice.get("finish_reason") is not None:
                rest = self._close(index)
                if rest:
                    flushed.append({"index": index, "delta": {"content": rest}})
            if not _empty({**choice, "delta": delta}):
                out.append({**choice, "delta": delta})
        relayed = [{**self._envelope, "choices": flushed}] if flushed else []  # held text before the finish
        if out:
            relayed.append({**event, "choices": out})
        return relayed

    def finish(self) -> list[JSON]:
        """What is still held for choices the upstream never finished."""
        rests = [(index, self._close(index)) for index in list(self._open)]
        pieces = [{"index": i, "delta": {"content": text}} for i, text in rests if text]
        return [{**self._envelope, "choices": pieces}] if pieces else []

    def masked(self) -> Mapping[str, int]:
        total: Counter[str] = Counter()
        for stream_filter in self._closed + [f for f, _ in self._open.values()]:
            total.update(stream_filter.counts)
        return total

    def _feed(self, index: int, content: str) -> str:
        stream_filter, restorer = self._pipeline(index)
        return restorer.feed(stream_filter.feed(content))

    def _close(self, index: int) -> str:
        if index not in self._open:
            return ""
        stream_filter, restorer = self._open.pop(index)
        self._closed.append(stream_filter)
        return restorer.feed(stream_filter.flush()) + restorer.flush()

    def _pipeline(self, index: int) -> tuple[StreamFilter, StreamRestorer]:
        if index not in self._open:
            if not 0 <= index < MAX_CHOICES:
                raise UpstreamError("the upstream sent a stream choice index out of range")
            self._open[index] = (
                StreamFilter(self._supplied, self._policy, detector=self._detector),
                StreamRestorer(self._session),
            )
        return self._open[index]


def _empty(choice: JSON) -> bool:
    """A choice whose only news was text the pipeline now holds back: not worth an event."""
    rest = {k: v for k, v in choice.items() if k not in ("index", "delta") and v is not None}
    return not rest and choice["delta"] in ({}, {"content": ""})


def _count_name(entity: str) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", entity.lower())
    return name if name[:1].isalpha() else f"e_{name}"[:64]


def _prompt_bytes(body: JSON) -> int:
    messages = body.get("messages")
    return len(json.dumps(messages, ensure_ascii=False).encode()) if isinstance(messages, list) else 0


def _answer_bytes(answer: JSON) -> int:
    return _content_bytes(answer, "message")


def _event_bytes(event: JSON) -> int:
    return _content_bytes(event, "delta")


def _content_bytes(body: JSON, part: str) -> int:
    """UTF-8 bytes of the text in each choice's ``message`` (a whole answer) or ``delta`` (an event)."""
    total = 0
    for choice in body.get("choices") or []:
        holder = choice.get(part) if isinstance(choice, dict) else None
        content = holder.get("content") if isinstance(holder, dict) else None
        total += len(content.encode()) if isinstance(content, str) else 0
    return total


def _unraised(future: Future[int]) -> None:
    future.exception()  # an audit failure is the sequencer's to report; never the client's stream
