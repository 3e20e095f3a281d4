"""The whole gateway pipeline over a stream split at every offset: the upstream's answer carries the
prompt's tags and an e-mail address the user never gave; whatever the events, the client gets its own
values back exactly and not one character of the unsupplied address (or of a tag)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veil.access import Token
from veil.gateway import Gateway

TOKEN = Token("0" * 32, "tester", frozenset({"inference"}), None, datetime(2026, 1, 1, tzinfo=UTC),
              datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=1), None)  # fmt: skip
USER_VALUES = ["ana@example.org", "+44 20 7946 0958", "zoe.o-neil@example.co.uk", "219-09-9998"]
STRANGER = "carl.stranger@example.net"  # what the model invents: the user never sent it


class SplitUpstream:
    """Answers with the prompt it received (tags and all) plus a stranger's address, in given pieces."""

    def __init__(self, cuts: list[int]) -> None:
        self.cuts = cuts
        self.received: list[dict[str, Any]] = []

    def answer(self, body: dict[str, Any]) -> str:
        return f"{body['messages'][-1]['content']} Also write to {STRANGER} today."

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the stream test does not complete")

    async def stream(self, body: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        self.received.append(body)
        text = self.answer(body)
        bounds = [0, *sorted({c % (len(text) + 1) for c in self.cuts}), len(text)]
        for start, end in itertools.pairwise(bounds):
            yield {"choices": [{"index": 0, "delta": {"content": text[start:end]}}]}
        yield {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}

    async def aclose(self) -> None:
        return None


def _run(prompt: str, cuts: list[int]) -> tuple[list[str], SplitUpstream]:
    upstream = SplitUpstream(cuts)
    gateway = Gateway(upstream)
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": prompt}]}

    async def collect() -> list[str]:
        events = await gateway.stream(body, token=TOKEN)
        return [c["delta"].get("content", "") for e in [e async for e in events] for c in e["choices"]]

    return asyncio.run(collect()), upstream


def _expected(prompt: str) -> str:
    return f"{prompt} Also write to [EMAIL_ADDRESS] today."


def _check(prompt: str, pieces: list[str], upstream: SplitUpstream) -> None:
    assert "".join(pieces) == _expected(prompt)
    sent = json.dumps(upstream.received)
    assert not [value for value in USER_VALUES if value in sent]
    for piece in pieces:  # no fragment of a tag, and nothing of the stranger's address but what we wrote
        assert "<" not in piece
        assert "_ADDRESS_" not in piece
        assert "stranger" not in piece


PROMPT = "Mail ana@example.org or call +44 20 7946 0958, please."


def test_every_two_event_split_of_a_fixed_answer() -> None:
    length = len(_expected(PROMPT)) + 60  # the tagged answer is longer than the restored one
    for cut in range(length):
        pieces, upstream = _run(PROMPT, [cut])
        _check(PROMPT, pieces, upstream)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.sampled_from(USER_VALUES), min_size=1, max_size=3),
    glue=st.sampled_from([" and ", ", then ", " / ", "; "]),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_any_split_of_any_answer(values: list[str], glue: str, cuts: list[int]) -> None:
    prompt = "Contact " + glue.join(values) + " soon."
    pieces, upstream = _run(prompt, cuts)
    _check(prompt, pieces, upstream)
