"""The LLM privacy gateway: pseudonymize requests, restore answers, filter what comes back.

``Gateway`` runs one chat completion through all of it, in front of an ``Upstream``
(``OpenAICompatible`` for any such server, ``EchoUpstream`` to see what would leave).

``pseudonymize_request`` replaces personal data in a chat completion request with
the conversation's tags (one ``PseudonymSession`` per conversation, kept by a
``SessionStore`` such as ``MemorySessions``); ``restore_response`` puts the
originals back into every choice of a whole answer.

``restore_text`` puts a ``PseudonymSession``'s originals back into a whole answer;
``StreamRestorer`` does the same for a streamed one, delta by delta (one per choice
when ``n > 1``).

``filter_text`` and ``StreamFilter`` mask (or block, per ``OutputPolicy``) personal
data and secrets in an answer that the user did not supply.
"""

from __future__ import annotations

from veil.gateway._filter import OutputAction, OutputPolicy, StreamFilter, filter_text
from veil.gateway._gateway import Exchange, Gateway
from veil.gateway._limits import Limiter, MemoryLimiter, RateLimits, RedisLimiter
from veil.gateway._messages import (
    MemorySessions,
    PseudonymizedRequest,
    SessionStore,
    pseudonymize_request,
    restore_response,
)
from veil.gateway._restore import StreamRestorer, restore_text
from veil.gateway._upstream import EchoUpstream, OpenAICompatible, Upstream

__all__ = [
    "EchoUpstream",
    "Exchange",
    "Gateway",
    "Limiter",
    "MemoryLimiter",
    "MemorySessions",
    "OpenAICompatible",
    "OutputAction",
    "OutputPolicy",
    "PseudonymizedRequest",
    "RateLimits",
    "RedisLimiter",
    "SessionStore",
    "StreamFilter",
    "StreamRestorer",
    "Upstream",
    "filter_text",
    "pseudonymize_request",
    "restore_response",
    "restore_text",
]
