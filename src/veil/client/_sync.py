"""``Client``: the service's REST API and gateway from Python, over ``httpx``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

from veil.client import _calls as calls
from veil.client._base import (
    DEFAULT_TIMEOUT,
    BaseClient,
    answer_of,
    load_httpx,
    raise_for_status,
    unreachable,
)
from veil.detect import Finding

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


class Client(BaseClient):
    """``Client("http://localhost:8000", token)``; a non-2xx answer raises its ``VeilError`` subclass.

    ``transport`` is an ``httpx`` transport for the client made here; ``http`` an ``httpx.Client``
    to use instead (``fastapi.testclient.TestClient`` in tests), which ``close`` leaves open.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None,
                 http: httpx.Client | None = None) -> None:  # fmt: skip
        httpx = load_httpx("veil.Client")
        super().__init__(base_url, token, timeout=timeout)
        self._http = http if http is not None else httpx.Client(transport=transport, timeout=timeout)
        self._owns_http = http is None
        self._errors: tuple[type[Exception], ...] = (httpx.TransportError,)

    def health(self) -> dict[str, Any]:
        return self._run(calls.health())

    def ready(self) -> dict[str, Any]:
        return self._run(calls.ready())

    def detect(self, text: str) -> list[Finding]:
        """Findings in ``text`` (offsets, types, scores), like ``veil.detect(text)``."""
        return self._run(calls.detect(text))

    def redact(self, text: str) -> str:
        """``text`` with personal data and secrets replaced by tags, like ``veil.redact(text)``."""
        return self._run(calls.redact(text))

    def redact_json(self, value: Any, paths: Iterable[str] | None = None) -> Any:
        """``value`` with its strings redacted (only at ``paths`` such as ``user.email`` when given)."""
        return self._run(calls.redact_json(value, paths))

    def audit_head(self, sign: bool = False) -> dict[str, Any]:
        """The latest signed tree head; ``sign=True`` signs the current tree first."""
        return self._run(calls.audit_head(sign))

    def audit_entries(self, *, after: int = -1, page_size: int = calls.DEFAULT_PAGE_SIZE,
                      **filters: Unpack[calls.AuditFilters]) -> Iterator[dict[str, Any]]:  # fmt: skip
        """Every entry matching ``filters`` (``action="gateway.chat"``...) in order after index ``after``,
        fetched a page at a time."""
        while True:
            page = self._run(calls.audit_page(filters, after, page_size))
            yield from page.entries
            if page.next_after is None or len(page.entries) < page_size:
                return
            after = page.next_after

    def inclusion_proof(self, index: int) -> dict[str, Any]:
        """Entry ``index``'s inclusion bundle (check it with ``veil.audit.verify_inclusion_bundle``)."""
        return self._run(calls.inclusion_proof(index))

    def consistency_proof(self, old: int) -> dict[str, Any]:
        """Proof that the signed head of size ``old`` is a prefix of a fresh one."""
        return self._run(calls.consistency_proof(old))

    def chat(self, body: Mapping[str, Any], session: str | None = None) -> dict[str, Any]:
        """A chat completion through the gateway; ``session`` keeps tags across a conversation's turns."""
        return self._run(calls.chat(body, session, stream=False))

    def chat_stream(self, body: Mapping[str, Any], session: str | None = None) -> Iterator[dict[str, Any]]:
        """The completion's stream events, restored; the request is made (and refused) before this returns."""
        response = self._send(calls.chat(body, session, stream=True), stream=True)
        raise_for_status(response)
        return self._events(response)

    def request(self, method: str, path: str, json: Any = None,
                params: calls.Params | None = None) -> Any:  # fmt: skip
        """Any route (``/v1/...``) without a helper: its parsed JSON answer."""
        return self._run(calls.generic(method, path, json, params))

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        self.close()

    def _run(self, call: calls.Call[T]) -> T:
        return call.read(answer_of(self._send(call)))

    def _send(self, call: calls.Call[Any], *, stream: bool = False) -> httpx.Response:
        try:
            response = self._http.send(self._build(self._http, call), stream=stream)
            if stream and not response.is_success:  # an error's body is read now, for its code
                try:
                    response.read()
                finally:
                    response.close()
        except self._errors as exc:
            raise unreachable(exc) from None
        return response

    def _events(self, response: httpx.Response) -> Iterator[dict[str, Any]]:
        reader = calls.EventReader()
        try:
            for line in response.iter_lines():
                event = reader.line(line)
                if reader.done:
                    return
                if event is not None:
                    yield event
            last = reader.end()
            if last is not None:
                yield last
        except self._errors as exc:
            raise unreachable(exc) from None
        finally:
            response.close()
