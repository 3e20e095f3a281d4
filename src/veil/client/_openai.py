"""``private_openai(client)``: the official ``openai`` client, pseudonymized in-process like the gateway.

``.chat.completions.create(**kwargs)`` replaces personal data in ``messages`` with the tags the
gateway would send (``pseudonymize_request``), calls the wrapped client and restores the answer,
whole or streamed. One ``PseudonymSession`` per conversation, named by ``session="..."`` or by the
``x-veil-session`` header in ``extra_headers`` (kept here, never sent on); without either, a fresh one.

``openai`` is never imported: anything shaped like ``openai.OpenAI`` or ``openai.AsyncOpenAI``
works. Only chat completions are wrapped; the rest of the client is reachable, deliberately, as
``.wrapped``. No output filter runs here (the gateway's ``OutputPolicy`` is the service's).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Iterable, Mapping
from typing import Any

from veil.client._calls import SESSION_HEADER
from veil.client._openai_stream import AsyncRestoredStream, RestoredStream
from veil.detect import Detector
from veil.errors import InvalidInput
from veil.gateway import MemorySessions, SessionStore, pseudonymize_request, restore_response
from veil.redact import PseudonymSession


class PrivateOpenAI:
    """``openai_client`` behind Veil: use ``.chat.completions.create`` exactly as on the original."""

    def __init__(self, openai_client: Any, *, session_store: SessionStore | None = None,
                 detector: Detector | None = None) -> None:  # fmt: skip
        self.wrapped = openai_client
        sessions = session_store if session_store is not None else MemorySessions()
        self.chat = PrivateChat(PrivateCompletions(openai_client.chat.completions, sessions, detector))

    def __repr__(self) -> str:
        return f"PrivateOpenAI({type(self.wrapped).__name__})"  # the client's repr may show its key


class PrivateChat:
    def __init__(self, completions: PrivateCompletions) -> None:
        self.completions = completions


class PrivateCompletions:
    """``create`` pseudonymizes, forwards and restores; with an async client it returns an awaitable.

    Detection runs in the calling thread, before the wrapped client is called, async or not.
    """

    def __init__(self, completions: Any, sessions: SessionStore, detector: Detector | None) -> None:
        self._completions = completions
        self._sessions = sessions
        self._detector = detector

    def create(self, *, session: str | None = None, **kwargs: Any) -> Any:
        conversation = self._session(session, kwargs)
        kwargs["messages"] = self._pseudonymized(kwargs.get("messages"), conversation)
        stream = kwargs.get("stream") is True
        answer = self._completions.create(**kwargs)
        if inspect.isawaitable(answer):
            return _restored_later(answer, conversation, stream=stream)
        return RestoredStream(answer, conversation) if stream else restore_completion(answer, conversation)

    def _session(self, named: str | None, kwargs: dict[str, Any]) -> PseudonymSession:
        headers = kwargs.get("extra_headers")
        if isinstance(headers, Mapping):
            given = [value for key, value in headers.items() if key.lower() == SESSION_HEADER]
            if given:
                # the conversation id is Veil's: the model provider gets none
                kwargs["extra_headers"] = {k: v for k, v in headers.items() if k.lower() != SESSION_HEADER}
                if named is not None and named != given[0]:
                    raise InvalidInput(f"session and the {SESSION_HEADER} header name two conversations")
                named = given[0]
        return self._sessions.get(named) if named is not None else PseudonymSession()

    def _pseudonymized(self, messages: Any, session: PseudonymSession) -> list[Any]:
        if isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable):
            raise InvalidInput("messages must be a list of messages")
        plain = [_plain(message) for message in messages]
        sent = pseudonymize_request({"messages": plain}, session, detector=self._detector)
        return list(sent.body["messages"])


def private_openai(openai_client: Any, *, session_store: SessionStore | None = None,
                   detector: Detector | None = None) -> PrivateOpenAI:  # fmt: skip
    """``openai_client`` (``openai.OpenAI()`` or ``AsyncOpenAI()``) with Veil's pseudonymization."""
    return PrivateOpenAI(openai_client, session_store=session_store, detector=detector)


def restore_completion(answer: Any, session: PseudonymSession) -> Any:
    """A copy of a whole answer (an openai ``ChatCompletion`` or its dict) with the originals back."""
    if isinstance(answer, dict):
        return restore_response(answer, session)
    choices = getattr(answer, "choices", None)
    if not choices or len(session) == 0:
        return answer
    # only the fields the answer set: a None put in would be sent back if the message is resent
    restored = restore_response({"choices": [c.model_dump(exclude_unset=True) for c in choices]}, session)
    rebuilt = [type(c).model_validate(r) for c, r in zip(choices, restored["choices"], strict=True)]
    return answer.model_copy(update={"choices": rebuilt})


async def _restored_later(answer: Awaitable[Any], session: PseudonymSession, *, stream: bool) -> Any:
    result = await answer
    return AsyncRestoredStream(result, session) if stream else restore_completion(result, session)


def _plain(message: Any) -> Any:
    """A message as the JSON openai would send: its own pydantic models (a previous answer's message) too."""
    if hasattr(message, "model_dump"):
        return message.model_dump(exclude_unset=True, mode="json")
    return message
