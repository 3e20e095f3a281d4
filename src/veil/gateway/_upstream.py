"""Where the gateway sends a request: any OpenAI-compatible server, or the built-in echo.

An upstream takes the already pseudonymized request body and gives back the parsed response, or
the parsed ``data:`` events of its stream. Nothing here sees an original value. The HTTP upstream
shares one ``httpx.AsyncClient`` (its connection pool) across all requests of a process.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from veil.errors import DependencyMissing, InvalidInput, UpstreamError

if TYPE_CHECKING:
    import httpx

JSON = dict[str, Any]
#: How many characters the echo upstream puts in one streamed event: small, so that tags are split.
ECHO_CHUNK = 7


class Upstream(Protocol):
    """An OpenAI-compatible chat completion endpoint."""

    async def complete(self, body: JSON) -> JSON: ...

    def stream(self, body: JSON) -> AsyncIterator[JSON]: ...

    async def aclose(self) -> None: ...


class EchoUpstream:
    """Answers with the request it received, so a user sees exactly what would have left the machine.

    The answer's content is the last user message as received (the gateway restores its tags on
    the way back); ``echo.received`` holds the whole body as it arrived, tags and all, and is
    returned untouched.
    """

    async def complete(self, body: JSON) -> JSON:
        text = _last_user_text(body)
        choices = [
            {"index": n, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            for n in range(_choices(body))
        ]
        return {**_envelope(body, "chat.completion"), "choices": choices, "echo": {"received": body},
                "usage": _usage(body, text)}  # fmt: skip

    async def stream(self, body: JSON) -> AsyncIterator[JSON]:
        text, envelope = _last_user_text(body), _envelope(body, "chat.completion.chunk")
        for n in range(_choices(body)):
            yield {**envelope, "choices": [{"index": n, "delta": {"role": "assistant", "content": ""}}]}
            for start in range(0, len(text), ECHO_CHUNK):
                piece = text[start : start + ECHO_CHUNK]
                yield {**envelope, "choices": [{"index": n, "delta": {"content": piece}}]}
            yield {**envelope, "choices": [{"index": n, "delta": {}, "finish_reason": "stop"}]}

    async def aclose(self) -> None:
        return None


class OpenAICompatible:
    """``POST {base_url}/chat/completions`` on a hosted API, vLLM, Ollama or any such server."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 120.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        try:
            import httpx
        except ModuleNotFoundError:
            raise DependencyMissing("server", "the gateway's HTTP upstream") from None
        if not base_url.startswith(("http://", "https://")):
            raise InvalidInput("the upstream URL must start with http:// or https://")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0))
        self._owns_client = client is None
        self._errors: tuple[type[Exception], ...] = (httpx.HTTPError,)

    def __repr__(self) -> str:
        return f"OpenAICompatible({self.url!r})"  # never the key

    async def complete(self, body: JSON) -> JSON:
        try:
            response = await self._client.post(self.url, json=body, headers=self._headers)
        except self._errors as exc:
            raise UpstreamError(f"the upstream could not be reached ({type(exc).__name__})") from None
        if response.status_code >= 400:
            raise UpstreamError(f"the upstream answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError:
            raise UpstreamError("the upstream's answer is not JSON") from None
        if not isinstance(answer, dict):
            raise UpstreamError("the upstream's answer is not a JSON object")
        return answer

    async def stream(self, body: JSON) -> AsyncIterator[JSON]:
        try:
            async with self._client.stream("POST", self.url, json=body, headers=self._headers) as response:
                if response.status_code >= 400:
                    raise UpstreamError(f"the upstream answered HTTP {response.status_code}")
                async for line in response.aiter_lines():
                    event = _sse_data(line)
                    if event is None:
                        continue
                    if event == "[DONE]":
                        return
                    yield _event(event)
        except self._errors as exc:
            raise UpstreamError(f"the upstream stream failed ({type(exc).__name__})") from None

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _sse_data(line: str) -> str | None:
    """The payload of a ``data:`` line; None for comments, other fields and blank separators."""
    if not line.startswith("data:"):
        return None
    return line[5:].strip()


def _event(data: str) -> JSON:
    try:
        event = json.loads(data)
    except ValueError:
        raise UpstreamError("the upstream sent a stream event that is not JSON") from None
    if not isinstance(event, dict):
        raise UpstreamError("the upstream sent a stream event that is not a JSON object")
    return event


def _last_user_text(body: JSON) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _choices(body: JSON) -> int:
    n = body.get("n", 1)
    return n if isinstance(n, int) and 1 <= n <= 16 else 1


def _envelope(body: JSON, kind: str) -> JSON:
    return {"id": "chatcmpl-echo", "object": kind, "created": int(time.time()),
            "model": str(body.get("model", "echo"))}  # fmt: skip


def _usage(body: JSON, text: str) -> JSON:
    prompt = sum(len(json.dumps(m)) // 4 for m in body.get("messages") or [])
    return {"prompt_tokens": prompt, "completion_tokens": len(text) // 4,
            "total_tokens": prompt + len(text) // 4}  # fmt: skip
