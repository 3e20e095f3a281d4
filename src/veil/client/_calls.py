"""The REST API as data: each call's method, path, parameters, body and how its answer is read.

``Client`` and ``AsyncClient`` only send these, so both speak the same API by construction.
An answer of an unexpected shape is an ``UpstreamError``: the service, not the caller, is off.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar

from veil.client._errors import error_in_stream
from veil.detect import Entity, Finding
from veil.errors import InvalidInput, UpstreamError

T = TypeVar("T")
#: The header naming a conversation: ``veil.service.SESSION_HEADER`` (not imported: no FastAPI here).
SESSION_HEADER = "x-veil-session"
#: Entries asked for per page by ``audit_entries`` (the service allows up to 1000).
DEFAULT_PAGE_SIZE = 100
Params = Mapping[str, str | int]


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request and the function that turns its JSON answer into the method's result."""

    method: str
    path: str
    read: Callable[[Any], T]
    params: Params | None = None
    body: Any = None  # None: no body
    headers: Mapping[str, str] | None = None


class AuditFilters(TypedDict, total=False):
    """What ``audit_entries`` may filter on: each an exact match."""

    actor: str
    subject: str
    action: str
    purpose: str
    decision: str
    resource: str


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[dict[str, Any]]
    next_after: int | None


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/v1/health", _object)


def ready() -> Call[dict[str, Any]]:
    return Call("GET", "/v1/ready", _object)


def detect(text: str) -> Call[list[Finding]]:
    return Call("POST", "/v1/detect", _findings, body={"text": text})


def redact(text: str) -> Call[str]:
    return Call("POST", "/v1/redact", lambda answer: _field(answer, "text", str), body={"text": text})


def redact_json(value: Any, paths: Iterable[str] | None) -> Call[Any]:
    body: dict[str, Any] = {"json": value}
    if paths is not None:
        body["paths"] = list(paths)
    return Call("POST", "/v1/redact", lambda answer: _object(answer).get("json"), body=body)


def audit_head(sign: bool) -> Call[dict[str, Any]]:
    return Call("GET", "/v1/audit/head", _object, params={"sign": "true" if sign else "false"})


def audit_page(filters: AuditFilters, after: int, limit: int) -> Call[Page]:
    unknown = sorted(set(filters) - set(AuditFilters.__annotations__))
    if unknown:
        raise InvalidInput(f"audit entries cannot be filtered on {', '.join(unknown)}")
    params: dict[str, str | int] = {k: str(v) for k, v in filters.items() if v is not None}
    params.update(after=after, limit=limit)
    return Call("GET", "/v1/audit/entries", _page, params=params)


def inclusion_proof(index: int) -> Call[dict[str, Any]]:
    # operator.index: only an integer reaches the path
    return Call("GET", f"/v1/audit/proofs/inclusion/{operator.index(index)}", _object)


def consistency_proof(old: int) -> Call[dict[str, Any]]:
    return Call("GET", "/v1/audit/proofs/consistency", _object, params={"old": operator.index(old)})


def chat(body: Mapping[str, Any], session: str | None, *, stream: bool) -> Call[dict[str, Any]]:
    headers = {SESSION_HEADER: session} if session else None
    return Call("POST", "/v1/chat/completions", _object, body={**body, "stream": stream}, headers=headers)


def generic(method: str, path: str, body: Any, params: Params | None) -> Call[Any]:
    if not path.startswith("/"):
        raise InvalidInput("path must start with / (for example /v1/health)")
    return Call(method.upper(), path, lambda answer: answer, params=params, body=body)


class EventReader:
    """The lines of a server-sent event stream to the JSON events their ``data:`` fields carry."""

    __slots__ = ("_data", "done")

    def __init__(self) -> None:
        self._data: list[str] = []
        self.done = False  # set at "[DONE]": the caller stops reading

    def line(self, line: str) -> dict[str, Any] | None:
        """The event a blank line completes, or None; raises the error an error event carries."""
        if line.startswith("data:"):
            self._data.append(line[5:].removeprefix(" "))
            return None
        if line or not self._data:  # another field, a comment, or a blank line between events
            return None
        data, self._data = "\n".join(self._data), []
        if data == "[DONE]":
            self.done = True
            return None
        event = _json_object(data)
        if "error" in event:
            raise error_in_stream(event["error"])
        return event

    def end(self) -> dict[str, Any] | None:
        """The event still pending when the stream closed without a last blank line."""
        return None if self.done else self.line("")


def _json_object(data: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except (ValueError, RecursionError):
        raise UpstreamError("the Veil service sent a stream event that is not JSON") from None
    return _object(event)


def _object(answer: Any) -> dict[str, Any]:
    if not isinstance(answer, dict):
        raise UpstreamError("the Veil service's answer is not a JSON object")
    return answer


def _field(answer: Any, key: str, kind: type[T]) -> T:
    value = _object(answer).get(key)
    if not isinstance(value, kind):
        raise UpstreamError(f"the Veil service's answer has no {key} {kind.__name__}")
    return value


def _findings(answer: Any) -> list[Finding]:
    try:
        return [_finding(item) for item in _field(answer, "findings", list)]
    except (KeyError, TypeError, ValueError):
        raise UpstreamError("the Veil service's findings are malformed") from None


def _finding(item: dict[str, Any]) -> Finding:
    label = str(item["label"])
    entity = Entity(label) if label in Entity.__members__ else label  # as the detector names them
    start, end, score = int(item["start"]), int(item["end"]), float(item["score"])
    return Finding(start, end, entity, score, str(item["recognizer"]))


def _page(answer: Any) -> Page:
    entries = _field(answer, "entries", list)
    after = _object(answer).get("next_after")
    if after is not None and (not isinstance(after, int) or isinstance(after, bool)):
        raise UpstreamError("the Veil service's next_after is not an integer")
    return Page(entries, after)
