"""``private_openai``: an openai-shaped fake records what it was sent.

No planted canary is sent; the caller gets its values back, whole and streamed; the tags are
exactly those the gateway would send (``pseudonymize_request`` on the same messages).
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from tests.conftest import Canary
from veil.client import PrivateOpenAI, private_openai
from veil.errors import InvalidInput
from veil.gateway import MemorySessions, pseudonymize_request
from veil.redact import PseudonymSession

# -- openai's shapes, as far as the wrapper reads them ------------------------------------------


class Function(BaseModel):
    name: str
    arguments: str


class ToolCall(BaseModel):
    id: str
    type: str = "function"
    function: Function


class Message(BaseModel):
    role: str
    content: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(BaseModel):
    index: int
    message: Message
    finish_reason: str


class Completion(BaseModel):
    id: str
    model: str
    choices: list[Choice]


class Delta(BaseModel):
    role: str | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: Delta
    finish_reason: str | None = None


class Chunk(BaseModel):
    id: str
    model: str
    choices: list[ChunkChoice]


class FakeStream:
    """Like ``openai.Stream``: iterable, closable."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks, self.closed = chunks, False

    def __iter__(self) -> Iterator[Chunk]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


class FakeCompletions:
    """Echoes the last user message as it arrived, 3 characters a chunk when streaming (tags split)."""

    def __init__(self, *, finish: bool = True) -> None:
        self.sent: list[dict[str, Any]] = []
        self.finish = finish

    def create(self, **kwargs: Any) -> Any:
        self.sent.append(kwargs)
        text, n = kwargs["messages"][-1]["content"], kwargs.get("n", 1)
        if kwargs.get("stream"):
            return FakeStream(self._chunks(text, n))
        message = Message(role="assistant", content=text)
        if kwargs.get("tools"):
            message.tool_calls = [ToolCall(id="c1", function=Function(name="mail", arguments=json.dumps({"to": text})))]
        return Completion(id="cmpl-1", model=kwargs["model"],
                          choices=[Choice(index=i, message=message, finish_reason="stop") for i in range(n)])  # fmt: skip

    def _chunks(self, text: str, n: int) -> list[Chunk]:
        chunks = []
        for i in range(n):
            chunks.append(Chunk(id="c", model="m", choices=[ChunkChoice(index=i, delta=Delta(role="assistant"))]))
            for start in range(0, len(text), 3):
                choice = ChunkChoice(index=i, delta=Delta(content=text[start : start + 3]))
                chunks.append(Chunk(id="c", model="m", choices=[choice]))
            if self.finish:
                done = ChunkChoice(index=i, delta=Delta(), finish_reason="stop")
                chunks.append(Chunk(id="c", model="m", choices=[done]))
        return chunks


class FakeChat:
    def __init__(self, completions: Any) -> None:
        self.completions = completions


class FakeOpenAI:
    def __init__(self, completions: Any = None) -> None:
        self.chat = FakeChat(completions or FakeCompletions())

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.chat.completions.sent  # type: ignore[no-any-return]


def _messages(text: str) -> list[dict[str, Any]]:
    return [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]


def _joined(chunks: Iterator[Any]) -> dict[int, str]:
    texts: dict[int, str] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    return texts


# -- whole answers ------------------------------------------------------------------------------


def test_no_canary_is_sent_and_the_answer_comes_back_whole(canary_pii: Canary) -> None:
    fake = FakeOpenAI()
    answer = private_openai(fake).chat.completions.create(model="m", messages=_messages(canary_pii.text()))
    canary_pii.assert_absent(json.dumps(fake.sent))
    assert isinstance(answer, Completion)
    assert answer.id == "cmpl-1"
    assert answer.choices[0].message.content == canary_pii.text()


def test_the_tags_are_the_gateways(canary_pii: Canary) -> None:
    fake = FakeOpenAI()
    messages = _messages(canary_pii.text())
    private_openai(fake).chat.completions.create(model="m", messages=messages)
    gateway = pseudonymize_request({"model": "m", "messages": messages}, PseudonymSession())
    assert fake.sent[0]["messages"] == gateway.body["messages"]
    assert messages == _messages(canary_pii.text())  # the caller's list is not modified


def test_tool_call_arguments_are_restored(canary_pii: Canary) -> None:
    fake = FakeOpenAI()
    answer = private_openai(fake).chat.completions.create(model="m", messages=_messages(canary_pii.email),
                                                           tools=[{"type": "function"}])  # fmt: skip
    assert json.loads(answer.choices[0].message.tool_calls[0].function.arguments) == {"to": canary_pii.email}


def test_a_previous_answers_message_can_be_sent_back(canary_pii: Canary) -> None:
    fake = FakeOpenAI()
    private = private_openai(fake)
    first = private.chat.completions.create(model="m", messages=_messages(canary_pii.email), session="c")
    history = [*_messages(canary_pii.email), first.choices[0].message, {"role": "user", "content": "and?"}]
    private.chat.completions.create(model="m", messages=history, session="c")
    assert fake.sent[1]["messages"][2] == {"role": "assistant", "content": "<EMAIL_ADDRESS_1>"}
    canary_pii.assert_absent(json.dumps(fake.sent))


# -- conversations ------------------------------------------------------------------------------


def test_a_session_keeps_tags_across_turns_and_the_header_is_not_sent_on() -> None:
    fake = FakeOpenAI()
    create = private_openai(fake, session_store=MemorySessions()).chat.completions.create
    create(model="m", messages=_messages("ada@example.org"), session="one")
    create(model="m", messages=_messages("bob@example.org"), extra_headers={"X-Veil-Session": "one", "x-a": "1"})
    create(model="m", messages=_messages("bob@example.org"))  # no session: a fresh one
    assert [s["messages"][1]["content"] for s in fake.sent] == ["<EMAIL_ADDRESS_1>", "<EMAIL_ADDRESS_2>",
                                                               "<EMAIL_ADDRESS_1>"]  # fmt: skip
    assert fake.sent[1]["extra_headers"] == {"x-a": "1"}
    assert "session" not in fake.sent[0]


def test_two_different_session_names_are_refused() -> None:
    fake = FakeOpenAI()
    with pytest.raises(InvalidInput):
        private_openai(fake).chat.completions.create(model="m", messages=_messages("hi"), session="a",
                                                     extra_headers={"x-veil-session": "b"})  # fmt: skip
    with pytest.raises(InvalidInput):
        private_openai(fake).chat.completions.create(model="m", messages="hi")
    assert fake.sent == []


# -- streams ------------------------------------------------------------------------------------


def test_a_stream_is_restored_per_choice(canary_pii: Canary) -> None:
    fake = FakeOpenAI()
    with private_openai(fake).chat.completions.create(model="m", messages=_messages(canary_pii.text()),
                                                      stream=True, n=2) as stream:  # fmt: skip
        assert _joined(stream) == {0: canary_pii.text(), 1: canary_pii.text()}
    canary_pii.assert_absent(json.dumps(fake.sent))


def test_held_text_goes_out_with_the_finish_or_at_the_end() -> None:
    text = "mail ada@example.org <"  # a possible tag start: held until the choice ends
    for finish in (True, False):
        fake = FakeOpenAI(FakeCompletions(finish=finish))
        chunks = list(private_openai(fake).chat.completions.create(model="m", messages=_messages(text),
                                                                   stream=True))  # fmt: skip
        assert _joined(iter(chunks)) == {0: text}
        assert chunks[-1].choices[0].delta.content.endswith("<")
        assert chunks[-1].choices[0].finish_reason == ("stop" if finish else None)


def test_repr_names_the_client_type_only() -> None:
    assert repr(PrivateOpenAI(FakeOpenAI())) == "PrivateOpenAI(FakeOpenAI)"


# -- an async client ----------------------------------------------------------------------------


class FakeAsyncStream:
    def __init__(self, chunks: list[Chunk]) -> None:
        self.chunks = chunks

    def __aiter__(self) -> AsyncIterator[Chunk]:
        return self._each()

    async def _each(self) -> AsyncIterator[Chunk]:
        for chunk in self.chunks:
            yield chunk

    async def close(self) -> None:
        return None


class FakeAsyncCompletions(FakeCompletions):
    async def create(self, **kwargs: Any) -> Any:
        answer = super().create(**kwargs)
        return FakeAsyncStream(answer.chunks) if isinstance(answer, FakeStream) else answer


def test_an_async_client_is_wrapped_too(canary_pii: Canary) -> None:
    fake = FakeOpenAI(FakeAsyncCompletions())
    create = private_openai(fake).chat.completions.create

    async def scenario() -> tuple[Any, dict[int, str]]:
        whole = await create(model="m", messages=_messages(canary_pii.text()))
        texts: dict[int, str] = {}
        async with await create(model="m", messages=_messages(canary_pii.text()), stream=True) as stream:
            async for chunk in stream:
                for choice in chunk.choices:
                    texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
        return whole, texts

    whole, texts = asyncio.run(scenario())
    assert whole.choices[0].message.content == texts[0] == canary_pii.text()
    canary_pii.assert_absent(json.dumps(fake.sent))


# -- the real openai package, when installed, over a fake HTTP transport -------------------------


def test_the_real_openai_client(canary_pii: Canary) -> None:
    openai = pytest.importorskip("openai")
    # the httpx flavour this openai release is built on (httpx, or a fork of it)
    http = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.split(".")[0])
    received: list[dict[str, Any]] = []

    def answer(request: Any) -> Any:
        body = json.loads(request.content)
        received.append(body)
        text = body["messages"][-1]["content"]
        if body.get("stream"):
            events = [{"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                       "choices": [{"index": 0, "delta": {"content": text[i : i + 4]}, "finish_reason": None}]}
                      for i in range(0, len(text), 4)]  # fmt: skip
            data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            return http.Response(200, content=data.encode(), headers={"content-type": "text/event-stream"})
        return http.Response(200, json={"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                                        "choices": [{"index": 0, "finish_reason": "stop",
                                                     "message": {"role": "assistant", "content": text}}]})  # fmt: skip

    client = openai.OpenAI(api_key="sk-test", base_url="http://upstream.test/v1", max_retries=0,
                           http_client=openai.DefaultHttpxClient(transport=http.MockTransport(answer)))  # fmt: skip
    private = private_openai(client)
    whole = private.chat.completions.create(model="m", messages=_messages(canary_pii.text()))
    assert whole.choices[0].message.content == canary_pii.text()
    streamed = private.chat.completions.create(model="m", messages=_messages(canary_pii.text()), stream=True)
    assert _joined(iter(streamed)) == {0: canary_pii.text()}
    canary_pii.assert_absent(json.dumps(received))
