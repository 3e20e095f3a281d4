"""Streamed answers of the ``openai`` client, restored chunk by chunk.

Each choice index has its own ``StreamRestorer``; the text it still holds (a possible tag start)
goes out in the chunk that carries the choice's ``finish_reason``, or in one last chunk for
choices the stream never finished. Chunks are pydantic models: changed ones are ``model_copy``s.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

from veil.gateway import StreamRestorer
from veil.redact import PseudonymSession


class ChunkRestorer:
    """The restoring half of a stream, the same for sync and async iteration."""

    def __init__(self, session: PseudonymSession) -> None:
        self._session = session
        self._open: dict[int, StreamRestorer] = {}
        self._seen: dict[int, Any] = {}  # each open choice as last seen: the shape of a final chunk
        self._last: Any = None

    def chunk(self, chunk: Any) -> Any:
        self._last = chunk
        choices = getattr(chunk, "choices", None)
        if not choices:
            return chunk
        return chunk.model_copy(update={"choices": [self._choice(choice) for choice in choices]})

    def rest(self) -> Any | None:
        """A last chunk with what unfinished choices still hold, or None when nothing is held."""
        held = [(self._seen[i], restorer.flush()) for i, restorer in self._open.items()]
        self._open.clear()
        choices = [_with_content(choice, text, finish_reason=None) for choice, text in held if text]
        return self._last.model_copy(update={"choices": choices}) if choices else None

    def _choice(self, choice: Any) -> Any:
        index, content = choice.index, _content(choice)
        restored = self._restorer(index).feed(content) if isinstance(content, str) else content
        if choice.finish_reason is not None and index in self._open:
            self._seen.pop(index, None)
            rest = self._open.pop(index).flush()
            restored = (restored or "") + rest if rest else restored
        elif isinstance(content, str):
            self._seen[index] = choice
        return choice if restored == content else _with_content(choice, restored)

    def _restorer(self, index: int) -> StreamRestorer:
        if index not in self._open:
            self._open[index] = StreamRestorer(self._session)
        return self._open[index]


def _content(choice: Any) -> Any:
    delta = getattr(choice, "delta", None)
    return getattr(delta, "content", None)


def _with_content(choice: Any, content: str | None, **changes: Any) -> Any:
    delta = choice.delta.model_copy(update={"content": content})
    return choice.model_copy(update={"delta": delta, **changes})


class RestoredStream:
    """Wraps ``openai.Stream``: iterate it (or use it as a context manager) as the original."""

    def __init__(self, stream: Any, session: PseudonymSession) -> None:
        self._stream = stream
        self._iterator = self._restored(ChunkRestorer(session))

    @property
    def response(self) -> Any:
        return self._stream.response

    def __iter__(self) -> Iterator[Any]:
        return self._iterator

    def __next__(self) -> Any:
        return next(self._iterator)

    def __enter__(self) -> RestoredStream:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        self.close()

    def close(self) -> None:
        self._stream.close()

    def _restored(self, restorer: ChunkRestorer) -> Iterator[Any]:
        for chunk in self._stream:
            yield restorer.chunk(chunk)
        rest = restorer.rest()
        if rest is not None:
            yield rest


class AsyncRestoredStream:
    """Wraps ``openai.AsyncStream`` the same way."""

    def __init__(self, stream: Any, session: PseudonymSession) -> None:
        self._stream = stream
        self._iterator = self._restored(ChunkRestorer(session))

    @property
    def response(self) -> Any:
        return self._stream.response

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._iterator

    async def __anext__(self) -> Any:
        return await anext(self._iterator)

    async def __aenter__(self) -> AsyncRestoredStream:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        trace: TracebackType | None) -> None:  # fmt: skip
        await self.close()

    async def close(self) -> None:
        await self._stream.close()

    async def _restored(self, restorer: ChunkRestorer) -> AsyncIterator[Any]:
        async for chunk in self._stream:
            yield restorer.chunk(chunk)
        rest = restorer.rest()
        if rest is not None:
            yield rest
