"""Chat completion bodies: pseudonymized before they go upstream, restored when they come back.

``pseudonymize_request`` replaces personal data in every text of an OpenAI-compatible
request (message contents and text parts, tool results, tool-call arguments) with
the conversation's tags, detected in one batch. ``restore_response`` puts the
originals back into every choice of the answer. A ``SessionStore`` keeps one
``PseudonymSession`` per conversation, so a value keeps its tag across turns and
conversations never share tags. Originals stay in memory only.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from operator import setitem
from typing import Any, Protocol

from veil._clock import Clock, SystemClock
from veil.detect import Detector
from veil.errors import InvalidInput, UpstreamError
from veil.gateway._restore import restore_text
from veil.redact import PseudonymSession, Redactor

JSON = Any
#: JSON inside a string (tool arguments and results): deeper than this is refused, not walked.
DEFAULT_MAX_DEPTH = 32
#: Each level is a Python stack frame; far below the interpreter's recursion limit.
MAX_MAX_DEPTH = 256
#: Roles whose content is a tool's (or legacy function's) result, often JSON text.
_RESULT_ROLES = frozenset({"tool", "function"})
#: The fields of a message or content part that hold free text.
_TEXT_FIELDS = ("text", "refusal")
DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_IDLE = timedelta(minutes=30)
#: Tags one session may hold; a session past it starts afresh (the client resends the history).
DEFAULT_MAX_ENTRIES = 5_000
MAX_SESSION_ID_LENGTH = 256


@dataclass(frozen=True, slots=True)
class PseudonymizedRequest:
    """The body to send upstream and how many values of each entity type were replaced.

    ``supplied`` holds the request's original texts for the output filter; it never
    shows in the repr.
    """

    body: dict[str, JSON]
    counts: dict[str, int]
    supplied: tuple[str, ...] = field(repr=False)


class _Plan:
    """The texts of a request in walk order, where each goes back, and what to do after."""

    __slots__ = ("_after", "_puts", "results", "texts")

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.results: list[str] = []
        self._puts: list[Callable[[str], object]] = []
        self._after: list[Callable[[], None]] = []

    def add(self, text: str, put: Callable[[str], object]) -> None:
        if text:  # nothing to find in an empty string
            self.texts.append(text)
            self._puts.append(put)

    def then(self, step: Callable[[], None]) -> None:
        self._after.append(step)

    def changed(self, start: int, end: int) -> bool:
        return self.texts[start:end] != self.results[start:end]

    def fill(self, results: Iterable[str]) -> None:
        self.results = list(results)
        for put, text in zip(self._puts, self.results, strict=True):
            put(text)
        for step in self._after:
            step()


def pseudonymize_request(body: JSON, session: PseudonymSession, *, detector: Detector | None = None,
                         max_depth: int = DEFAULT_MAX_DEPTH) -> PseudonymizedRequest:
    """A copy of a chat completion request with personal data replaced by ``session``'s tags.

    Every other field is kept as it is (``name``, ``model``, tool definitions, image and
    audio data); the input is never modified. JSON keys are kept, like ``redact_json``.
    """
    if not isinstance(max_depth, int) or not 1 <= max_depth <= MAX_MAX_DEPTH:
        raise InvalidInput(f"max_depth must be between 1 and {MAX_MAX_DEPTH}")
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise InvalidInput("messages must be a list")
    plan = _Plan()
    out = dict(body)
    out["messages"] = [_message(plan, message, f"messages[{i}]", max_depth)
                       for i, message in enumerate(messages)]
    counts: Counter[str] = Counter()
    results = []
    for done in Redactor(detector, session=session).redact_many(plan.texts):
        results.append(done.text)
        counts.update(str(r.entity) for r in done.replacements)
    plan.fill(results)
    return PseudonymizedRequest(out, dict(counts), tuple(plan.texts))


def _message(plan: _Plan, message: JSON, path: str, max_depth: int) -> dict[str, JSON]:
    if not isinstance(message, dict):
        raise InvalidInput(f"{path} must be an object")
    role = message.get("role")
    if not isinstance(role, str) or not role:
        raise InvalidInput(f"{path}.role must be a non-empty string")
    out = dict(message)
    as_json = role in _RESULT_ROLES
    content = out.get("content")
    if isinstance(content, str):
        _text(plan, out, "content", f"{path}.content", as_json, max_depth)
    elif isinstance(content, list):
        out["content"] = [_part(plan, part, f"{path}.content[{i}]", as_json, max_depth)
                          for i, part in enumerate(content)]
    elif content is not None:
        raise InvalidInput(f"{path}.content must be a string, a list of parts or null")
    if isinstance(out.get("refusal"), str):
        _text(plan, out, "refusal", f"{path}.refusal", False, max_depth)
    if "tool_calls" in out and out["tool_calls"] is not None:
        out["tool_calls"] = _tool_calls(plan, out["tool_calls"], f"{path}.tool_calls", max_depth)
    if "function_call" in out and out["function_call"] is not None:
        out["function_call"] = _function(plan, out["function_call"], f"{path}.function_call", max_depth)
    return out


def _part(plan: _Plan, part: JSON, path: str, as_json: bool, max_depth: int) -> dict[str, JSON]:
    """A content part: its text fields are walked; image and audio data are left alone."""
    if not isinstance(part, dict):
        raise InvalidInput(f"{path} must be an object")
    out = dict(part)
    for key in _TEXT_FIELDS:
        if key in out and out[key] is not None:
            if not isinstance(out[key], str):
                raise InvalidInput(f"{path}.{key} must be a string")
            _text(plan, out, key, f"{path}.{key}", as_json, max_depth)
    return out


def _tool_calls(plan: _Plan, calls: JSON, path: str, max_depth: int) -> list[JSON]:
    if not isinstance(calls, list):
        raise InvalidInput(f"{path} must be a list")
    out = []
    for i, call in enumerate(calls):
        if not isinstance(call, dict):
            raise InvalidInput(f"{path}[{i}] must be an object")
        copy = dict(call)
        if copy.get("function") is not None:
            copy["function"] = _function(plan, copy["function"], f"{path}[{i}].function", max_depth)
        out.append(copy)
    return out


def _function(plan: _Plan, function: JSON, path: str, max_depth: int) -> dict[str, JSON]:
    """A function call: the arguments are walked as JSON, the name is kept."""
    if not isinstance(function, dict):
        raise InvalidInput(f"{path} must be an object")
    out = dict(function)
    if out.get("arguments") is not None:
        if not isinstance(out["arguments"], str):
            raise InvalidInput(f"{path}.arguments must be a string")
        _text(plan, out, "arguments", f"{path}.arguments", True, max_depth)
    return out


def _text(plan: _Plan, holder: dict[str, JSON], key: str, path: str, as_json: bool, max_depth: int) -> None:
    """Plan ``holder[key]``: as JSON when asked and it parses to an object or array, else as text."""
    text = holder[key]
    document = _parse(text) if as_json else None
    if document is None:
        plan.add(text, partial(setitem, holder, key))
        return
    start = len(plan.texts)
    copy = _walk(plan, document, path, 0, max_depth)
    end = len(plan.texts)

    def write_back() -> None:
        if plan.changed(start, end):  # untouched JSON keeps its exact text
            holder[key] = json.dumps(copy, ensure_ascii=False)

    plan.then(write_back)


def _parse(text: str) -> JSON:
    """The object or array ``text`` holds, or None (a bare number or string is read as text)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict | list) else None


def _walk(plan: _Plan, node: JSON, path: str, depth: int, max_depth: int) -> JSON:
    """A copy of a JSON object or array whose string values are planned (the path names the field only)."""
    if depth >= max_depth:
        raise InvalidInput(f"{path} is nested deeper than {max_depth} levels")
    copy: JSON = dict(node) if isinstance(node, dict) else list(node)
    for key, value in (node.items() if isinstance(node, dict) else enumerate(node)):
        if isinstance(value, str):
            plan.add(value, partial(setitem, copy, key))
        elif isinstance(value, dict | list):
            copy[key] = _walk(plan, value, path, depth + 1, max_depth)
    return copy


# -- restoring the answer ----------------------------------------------------------------


def restore_response(body: JSON, session: PseudonymSession, *,
                     max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, JSON]:
    """A copy of a non-streamed answer with ``session``'s tags restored in every choice.

    Restores ``message.content`` (and ``refusal``) and the arguments of its tool and
    function calls; a body without ``choices`` (an upstream error) is returned as is.
    """
    if not isinstance(body, dict):
        raise UpstreamError("upstream response must be a JSON object")
    out = dict(body)
    choices = body.get("choices")
    if choices is None:
        return out
    if not isinstance(choices, list):
        raise UpstreamError("upstream response choices must be a list")
    out["choices"] = [_restore_choice(choice, f"choices[{i}]", session, max_depth)
                      for i, choice in enumerate(choices)]
    return out


def _restore_choice(choice: JSON, path: str, session: PseudonymSession, max_depth: int) -> JSON:
    if not isinstance(choice, dict):
        raise UpstreamError(f"upstream response {path} must be an object")
    message = choice.get("message")
    if message is None:
        return dict(choice)
    if not isinstance(message, dict):
        raise UpstreamError(f"upstream response {path}.message must be an object")
    restored = dict(message)
    for key in ("content", "refusal"):
        if isinstance(restored.get(key), str):
            restored[key] = restore_text(session, restored[key])
    calls = restored.get("tool_calls")
    if isinstance(calls, list):
        restored["tool_calls"] = [_restore_call(call, session, max_depth) for call in calls]
    if isinstance(restored.get("function_call"), dict):
        restored["function_call"] = _restore_function(restored["function_call"], session, max_depth)
    return {**choice, "message": restored}


def _restore_call(call: JSON, session: PseudonymSession, max_depth: int) -> JSON:
    if not isinstance(call, dict) or not isinstance(call.get("function"), dict):
        return call
    return {**call, "function": _restore_function(call["function"], session, max_depth)}


def _restore_function(function: dict[str, JSON], session: PseudonymSession, max_depth: int) -> JSON:
    arguments = function.get("arguments")
    if not isinstance(arguments, str):
        return dict(function)
    return {**function, "arguments": _restore_arguments(arguments, session, max_depth)}


def _restore_arguments(text: str, session: PseudonymSession, max_depth: int) -> str:
    """Restored value by value when the arguments are JSON: an original may hold a quote."""
    document = _parse(text)
    if document is None:
        return restore_text(session, text)
    plan = _Plan()
    try:
        copy = _walk(plan, document, "arguments", 0, max_depth)
    except InvalidInput:  # too deep to walk: still restore, as text
        return restore_text(session, text)
    plan.fill(restore_text(session, value) for value in plan.texts)
    return json.dumps(copy, ensure_ascii=False) if plan.changed(0, len(plan.texts)) else text


# -- conversation sessions ---------------------------------------------------------------


class SessionStore(Protocol):
    """One ``PseudonymSession`` per conversation id.

    The id comes from the caller (a header); scope it to the authenticated principal
    (``f"{principal}:{header}"``), or whoever guesses an id can have its tags restored.
    """

    def get(self, session_id: str) -> PseudonymSession:
        """The conversation's session, started on first use."""
        ...

    def end(self, session_id: str) -> None:
        """Forget the conversation and its originals now."""
        ...


class MemorySessions:
    """Sessions in this process: at most ``max_sessions``, each dropped after ``idle``.

    Least recently used sessions go first when full; a session holding more than
    ``max_entries`` tags starts afresh on its next request, which renumbers
    consistently because the client resends the whole history. So memory stays
    bounded by ``max_sessions * max_entries`` values (plus sessions that requests
    still in flight hold). ``end`` clears a session's originals at once.
    """

    def __init__(self, *, max_sessions: int = DEFAULT_MAX_SESSIONS, idle: timedelta = DEFAULT_IDLE,
                 max_entries: int = DEFAULT_MAX_ENTRIES, clock: Clock | None = None) -> None:
        if not isinstance(max_sessions, int) or max_sessions < 1:
            raise InvalidInput("max_sessions must be a positive integer")
        if not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidInput("max_entries must be a positive integer")
        if not isinstance(idle, timedelta) or idle <= timedelta(0):
            raise InvalidInput("idle must be a positive timedelta")
        self._max_sessions = max_sessions
        self._max_entries = max_entries
        self._idle = idle
        self._clock = clock if clock is not None else SystemClock()
        self._sessions: OrderedDict[str, tuple[datetime, PseudonymSession]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemorySessions(sessions={len(self._sessions)}, max_sessions={self._max_sessions})"

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock.now())
            return len(self._sessions)

    def get(self, session_id: str) -> PseudonymSession:
        _check_id(session_id)
        now = self._clock.now()
        with self._lock:
            self._expire(now)
            entry = self._sessions.pop(session_id, None)
            session = entry[1] if entry is not None else PseudonymSession()
            if len(session) > self._max_entries:  # replaced, not cleared: a stream in flight still restores
                session = PseudonymSession()
            self._sessions[session_id] = (now, session)
            while len(self._sessions) > self._max_sessions:
                self._sessions.popitem(last=False)
            return session

    def end(self, session_id: str) -> None:
        _check_id(session_id)
        with self._lock:
            entry = self._sessions.pop(session_id, None)
        if entry is not None:
            entry[1].clear()

    def _expire(self, now: datetime) -> None:
        """Drop idle sessions: the oldest are first, so this stops at the first live one."""
        while self._sessions:
            used, _ = next(iter(self._sessions.values()))
            if now - used < self._idle:
                return
            self._sessions.popitem(last=False)


def _check_id(session_id: object) -> None:
    if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SESSION_ID_LENGTH:
        raise InvalidInput(f"session id must be a string of 1 to {MAX_SESSION_ID_LENGTH} characters")
