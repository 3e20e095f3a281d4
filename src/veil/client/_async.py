"""``AsyncClient``: ``Client``'s methods, awaited (same calls, same answers, same errors)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
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


class AsyncClient(BaseClient):
    """``AsyncClient("http://localhost:8000", token)``; ``http`` an ``httpx.AsyncClient`` to use instead."""

    def __init__(self, base_url: str, token: str, *, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.AsyncBaseTransport | None = None,
                 http: httpx.AsyncClient | None = None) -> None:  # fmt: skip
        httpx = load_httpx("veil.AsyncClient")
        super().__init__(base_url, token, timeout=timeout)
        self._http = http if http is not None else httpx.AsyncClient(transport=transport, timeout=timeout)
        self._owns_http = http is None
        self._errors: tuple[type[Exception], ...] = (httpx.TransportError,)

    async def health(self) -> dict[str, Any]:
        return await self._run(calls.health())

    async def ready(self) -> dict[str, Any]:
        return await self._run(calls.ready())

    async def detect(self, text: str) -> list[Finding]:
        return await self._run(calls.detect(text))

    async def redact(self, text: str) -> str:
        return await self._run(calls.redact(text))

    async def redact_json(self, value: Any, paths: Iterable[str] | None = None) -> Any:
        return await self._run(calls.redact_json(value, paths))

    async def audit_head(self, sign: bool = False) -> dict[str, Any]:
        return await self._run(calls.audit_head(sign))

    async def audit_entries(self, *, after: int = -1, page_size: int = calls.DEFAULT_PAGE_SIZE,
                            **filters: Unpack[calls.AuditFilters]) -> AsyncIterator[dict[str, Any]]:
        while True:
            page = await self._run(calls.audit_page(filters, after, page_size))
            for entry in page.entries:
                yield entry
            if page.next_after is None or len(page.entries) < page_size:
                return
            after = page.next_after

    async def inclusion_proof(self, index: int) -> dict[str, Any]:
        return await self._run(calls.inclusion_proof(index))

    async def consistency_proof(self, old: int) -> dict[str, Any]:
        return await self._run(calls.consistency_proof(old))

    async def chat(self, body: Mapping[str, Any], session: str | None = None) -> dict[str, Any]:
        return await self._run(calls.chat(body, session, stream=False))

    async def chat_stream(self, body: Mapping[str, Any],
                          session: str | None = None) -> AsyncIterator[dict[str, Any]]:  # fmt: skip
        """``async for event in await client.chat_stream(body)``: refused, if at all, before it returns."""
        response = await self._send(calls.chat(body, session, stream=True), stream=True)
        raise_for_status(response)
        return self._events(response)

    async def request(self, method: str, path: str, json: Any = None,
                      params: calls.Params | None = None) -> Any:  # fmt: skip
        return await self._run(calls.generic(method, path, json, params))

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        trace: TracebackType | None) -> None:  # fmt: skip
        await self.aclose()

    async def _run(self, call: calls.Call[T]) -> T:
        return call.read(answer_of(await self._send(call)))

    async def _send(self, call: calls.Call[Any], *, stream: bool = False) -> httpx.Response:
        try:
            response = await self._http.send(self._build(self._http, call), stream=stream)
            if stream and not response.is_success:  # an error's body is read now, for its code
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except self._errors as exc:
            raise unreachable(exc) from None
        return response

    async def _events(self, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
        reader = calls.EventReader()
        try:
            async for line in response.aiter_lines():
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
            await response.aclose()
