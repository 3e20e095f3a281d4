from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Canary
from veil._clock import FixedClock
from veil.detect import Entity
from veil.errors import InvalidInput, UpstreamError
from veil.gateway import (
    MemorySessions,
    PseudonymizedRequest,
    SessionStore,
    pseudonymize_request,
    restore_response,
)
from veil.redact import PseudonymSession

ANA = "ana.lima@example.org"
BO = "bo.chen@example.com"
PHONE = "+44 20 7946 0958"


def _request(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-test", "messages": list(messages), **extra}


def _user(content: Any) -> dict[str, Any]:
    return {"role": "user", "content": content}


def _call(arguments: str, name: str = "send_mail") -> dict[str, Any]:
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]}


def _hidden(*messages: dict[str, Any], session: PseudonymSession | None = None) -> PseudonymizedRequest:
    return pseudonymize_request(_request(*messages), session if session is not None else PseudonymSession())


# -- message shapes ----------------------------------------------------------------------


def test_string_content_is_pseudonymized_and_every_other_field_kept() -> None:
    tools = [{"type": "function", "function": {"name": "send_mail", "parameters": {"type": "object"}}}]
    body = _request({"role": "system", "content": "Be brief."},
                    {"role": "user", "content": f"Mail {ANA} or call {PHONE}", "name": "ana"},
                    temperature=0.2, tools=tools, stream=False)
    before = copy.deepcopy(body)
    result = pseudonymize_request(body, PseudonymSession())
    assert result.body == {**before, "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Mail <EMAIL_ADDRESS_1> or call <PHONE_NUMBER_1>", "name": "ana"},
    ]}
    assert body == before  # the input is never modified
    assert result.counts == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}


def test_text_parts_are_pseudonymized_and_image_and_audio_data_left_alone() -> None:
    image = {"type": "image_url", "image_url": {"url": f"https://img.example.org/{ANA}.png", "detail": "low"}}
    audio = {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
    result = _hidden(_user([{"type": "text", "text": f"Who is {ANA}?"}, image, audio]))
    assert result.body["messages"][0]["content"] == [
        {"type": "text", "text": "Who is <EMAIL_ADDRESS_1>?"}, image, audio]


def test_the_whole_history_is_pseudonymized_with_one_numbering() -> None:
    result = _hidden(_user(f"I am {ANA}"), {"role": "assistant", "content": f"Hello {ANA}, and {BO}?"},
                     {"role": "assistant", "content": None, "refusal": f"I won't mail {BO}"},
                     _user(f"Yes, {BO}"))
    assert [m.get("content") for m in result.body["messages"]] == [
        "I am <EMAIL_ADDRESS_1>", "Hello <EMAIL_ADDRESS_1>, and <EMAIL_ADDRESS_2>?", None,
        "Yes, <EMAIL_ADDRESS_2>"]
    assert result.body["messages"][2]["refusal"] == "I won't mail <EMAIL_ADDRESS_2>"
    assert result.counts == {"EMAIL_ADDRESS": 5}


def test_json_tool_arguments_are_walked_value_by_value() -> None:
    arguments = json.dumps({"to": [ANA], "subject": f"Call {PHONE}", "urgent": True, "retries": 3, ANA: None})
    result = _hidden(_call(arguments))
    function = result.body["messages"][0]["tool_calls"][0]["function"]
    assert function["name"] == "send_mail"
    assert json.loads(function["arguments"]) == {
        "to": ["<EMAIL_ADDRESS_1>"], "subject": "Call <PHONE_NUMBER_1>", "urgent": True, "retries": 3,
        ANA: None}  # keys are kept, as redact_json keeps them


def test_arguments_that_are_not_json_are_pseudonymized_as_text() -> None:
    result = _hidden(_call(f"to={ANA}, {{broken"))
    assert result.body["messages"][0]["tool_calls"][0]["function"]["arguments"] == "to=<EMAIL_ADDRESS_1>, {broken"


def test_json_without_personal_data_keeps_its_exact_text() -> None:
    arguments = '{"units":"metric" ,  "days":3}'
    result = _hidden(_call(arguments), {"role": "tool", "tool_call_id": "call_1", "content": '[1,  2]'})
    assert result.body["messages"][0]["tool_calls"][0]["function"]["arguments"] == arguments
    assert result.body["messages"][1]["content"] == "[1,  2]"


@pytest.mark.parametrize(("content", "expected"), [
    (json.dumps({"status": "sent", "to": ANA}), json.dumps({"status": "sent", "to": "<EMAIL_ADDRESS_1>"})),
    (f"sent to {ANA}", "sent to <EMAIL_ADDRESS_1>"),
    (json.dumps(ANA), '"<EMAIL_ADDRESS_1>"'),  # a bare JSON string is read as text
])
def test_tool_results_are_walked_as_json_when_they_parse(content: str, expected: str) -> None:
    result = _hidden({"role": "tool", "tool_call_id": "call_1", "content": content})
    assert result.body["messages"][0]["content"] == expected


def test_tool_result_parts_are_walked_as_json_too() -> None:
    result = _hidden({"role": "tool", "tool_call_id": "c", "content": [{"type": "text", "text": json.dumps([ANA])}]})
    assert result.body["messages"][0]["content"] == [{"type": "text", "text": '["<EMAIL_ADDRESS_1>"]'}]


def test_legacy_function_call_and_function_results_are_pseudonymized() -> None:
    result = _hidden({"role": "assistant", "content": None,
                      "function_call": {"name": "lookup", "arguments": json.dumps({"email": ANA})}},
                     {"role": "function", "name": "lookup", "content": json.dumps({"phone": PHONE})})
    messages = result.body["messages"]
    assert messages[0]["function_call"] == {"name": "lookup", "arguments": '{"email": "<EMAIL_ADDRESS_1>"}'}
    assert messages[1] == {"role": "function", "name": "lookup", "content": '{"phone": "<PHONE_NUMBER_1>"}'}


def test_supplied_holds_the_original_texts_but_the_repr_does_not(canary_pii: Canary) -> None:
    result = _hidden(_user(canary_pii.text()), _call(json.dumps({"to": canary_pii.email})))
    assert result.supplied == (canary_pii.text(), canary_pii.email)
    canary_pii.assert_absent(repr(result), json.dumps(result.body), str(result.counts))


def test_a_request_of_many_texts_runs_detection_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from veil.detect import Detector

    batches: list[int] = []
    real = Detector.detect_many

    def counting(self: Detector, texts: Any, batch_size: int = 64) -> Any:
        texts = list(texts)
        batches.append(len(texts))
        return real(self, texts, batch_size)

    monkeypatch.setattr(Detector, "detect_many", counting)
    _hidden(*[_user(f"message {i}") for i in range(10)])
    assert batches == [10]


# -- sessions across turns ---------------------------------------------------------------


def test_a_value_keeps_its_tag_across_turns_of_one_session() -> None:
    sessions = MemorySessions()
    first = pseudonymize_request(_request(_user(f"I am {ANA}")), sessions.get("conv-1"))
    second = pseudonymize_request(
        _request(_user(f"I am {ANA}"), {"role": "assistant", "content": f"Hi {ANA}"}, _user(f"And {BO}")),
        sessions.get("conv-1"))
    assert first.body["messages"][0]["content"] == "I am <EMAIL_ADDRESS_1>"
    assert [m["content"] for m in second.body["messages"]] == [
        "I am <EMAIL_ADDRESS_1>", "Hi <EMAIL_ADDRESS_1>", "And <EMAIL_ADDRESS_2>"]


def test_sessions_are_isolated_and_never_restore_each_others_tags() -> None:
    sessions = MemorySessions()
    mine = pseudonymize_request(_request(_user(f"I am {ANA}")), sessions.get("a"))
    theirs = pseudonymize_request(_request(_user(f"I am {BO}")), sessions.get("b"))
    assert mine.body["messages"][0]["content"] == theirs.body["messages"][0]["content"] == "I am <EMAIL_ADDRESS_1>"
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "<EMAIL_ADDRESS_1>"}}]}
    assert restore_response(answer, sessions.get("a"))["choices"][0]["message"]["content"] == ANA
    assert restore_response(answer, sessions.get("b"))["choices"][0]["message"]["content"] == BO
    answer_of_fresh = restore_response(answer, sessions.get("c"))
    assert answer_of_fresh["choices"][0]["message"]["content"] == "<EMAIL_ADDRESS_1>"


# -- restoring the answer ----------------------------------------------------------------


@pytest.fixture
def session() -> PseudonymSession:
    session = PseudonymSession()
    _hidden(_user(f"I am {ANA}, my colleague is {BO}"), session=session)
    assert session.pseudonym(Entity.PERSON, 'Ana "Nan" Lima') == "<PERSON_1>"
    return session


def test_every_choice_of_an_answer_is_restored(session: PseudonymSession) -> None:
    answer = {"id": "cmpl-1", "object": "chat.completion", "usage": {"total_tokens": 9}, "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Mail <EMAIL_ADDRESS_1>"}},
        {"index": 1, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": None, "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "send", "arguments": '{"to": ["<email_address_2>"], "name": "<PERSON_1>"}'}},
                {"id": "c2", "type": "function", "function": {"name": "note", "arguments": "cc \\<EMAIL\\_ADDRESS\\_1\\>"}},
            ]}},
        {"index": 2, "finish_reason": "stop", "message": {"role": "assistant", "content": "**&lt;EMAIL_ADDRESS_2&gt;**"}},
    ]}
    before = copy.deepcopy(answer)
    restored = restore_response(answer, session)
    assert answer == before
    assert {k: v for k, v in restored.items() if k != "choices"} == {
        k: v for k, v in before.items() if k != "choices"}
    first, second, third = (choice["message"] for choice in restored["choices"])
    assert first["content"] == f"Mail {ANA}"
    calls = second["tool_calls"]
    assert json.loads(calls[0]["function"]["arguments"]) == {"to": [BO], "name": 'Ana "Nan" Lima'}
    assert calls[1]["function"] == {"name": "note", "arguments": f"cc {ANA}"}
    assert third["content"] == f"**{BO}**"
    assert [c["finish_reason"] for c in restored["choices"]] == ["stop", "tool_calls", "stop"]


def test_legacy_function_call_and_refusal_are_restored(session: PseudonymSession) -> None:
    answer = {"choices": [{"index": 0, "message": {
        "role": "assistant", "content": None, "refusal": "not <EMAIL_ADDRESS_1>",
        "function_call": {"name": "f", "arguments": '{"a": "<EMAIL_ADDRESS_2>"}'}}}]}
    message = restore_response(answer, session)["choices"][0]["message"]
    assert message["refusal"] == f"not {ANA}"
    assert message["function_call"] == {"name": "f", "arguments": json.dumps({"a": BO})}


def test_an_answer_without_choices_is_returned_as_it_is(session: PseudonymSession) -> None:
    error = {"error": {"message": "rate limited <EMAIL_ADDRESS_1>", "type": "rate_limit"}}
    assert restore_response(error, session) == error


@pytest.mark.parametrize(("body", "path"), [
    ([], "upstream response must be"),
    ({"choices": {"0": {}}}, "choices must be a list"),
    ({"choices": ["text"]}, "choices[0] must be an object"),
    ({"choices": [{"message": "text"}]}, "choices[0].message must be an object"),
])
def test_a_malformed_answer_is_an_upstream_error(session: PseudonymSession, body: Any, path: str) -> None:
    with pytest.raises(UpstreamError) as caught:
        restore_response(body, session)
    assert path in str(caught.value)


# -- bad input -----------------------------------------------------------------------------


def _nested(depth: int, leaf: Any) -> Any:
    for _ in range(depth):
        leaf = {"a": leaf}
    return leaf


def _bad_requests(canary: Canary) -> list[tuple[Any, str]]:
    ok = _user(canary.text())
    return [
        ([ok], "request body must be a JSON object"),
        ({"model": canary.email}, "messages must be a list"),
        ({"messages": {"0": ok}}, "messages must be a list"),
        (_request(ok, canary.email), "messages[1] must be an object"),
        (_request(ok, {"content": canary.email}), "messages[1].role"),
        (_request({"role": 7, "content": canary.email}), "messages[0].role"),
        (_request({"role": "user", "content": {"text": canary.email}}), "messages[0].content must be"),
        (_request({"role": "user", "content": 5, "name": canary.email}), "messages[0].content must be"),
        (_request(_user([canary.email])), "messages[0].content[0] must be an object"),
        (_request(_user([{"type": "text", "text": [canary.email]}])), "messages[0].content[0].text"),
        (_request({"role": "assistant", "tool_calls": {"id": canary.email}}), "messages[0].tool_calls must"),
        (_request({"role": "assistant", "tool_calls": [canary.email]}), "messages[0].tool_calls[0] must"),
        (_request({"role": "assistant", "tool_calls": [{"function": canary.email}]}),
         "messages[0].tool_calls[0].function must"),
        (_request(_call({"to": canary.email})), "messages[0].tool_calls[0].function.arguments must"),  # type: ignore[arg-type]
        (_request({"role": "assistant", "function_call": {"arguments": 1}}), "messages[0].function_call.arguments"),
        (_request(ok, _call(json.dumps(_nested(40, canary.email)))),
         "messages[1].tool_calls[0].function.arguments is nested deeper than 32 levels"),
        (_request({"role": "tool", "content": json.dumps([_nested(40, {canary.email: canary.ssn})])}),
         "messages[0].content is nested deeper than 32 levels"),
    ]


@pytest.mark.parametrize("index", range(17))
def test_bad_input_names_the_field_path_never_a_value(canary_pii: Canary, index: int) -> None:
    cases = _bad_requests(canary_pii)
    assert len(cases) == 17
    body, message = cases[index]
    with pytest.raises(InvalidInput) as caught:
        pseudonymize_request(body, PseudonymSession())
    assert message in str(caught.value)
    canary_pii.assert_absent(str(caught.value), repr(caught.value))


def test_json_nested_within_the_bound_is_walked() -> None:
    result = _hidden(_call(json.dumps(_nested(31, ANA))))
    assert "<EMAIL_ADDRESS_1>" in result.body["messages"][0]["tool_calls"][0]["function"]["arguments"]
    with pytest.raises(InvalidInput):
        pseudonymize_request(_request(_call(json.dumps(_nested(31, ANA)))), PseudonymSession(), max_depth=8)


@pytest.mark.parametrize("max_depth", [0, 257, "8"])
def test_the_depth_bound_itself_is_bounded(max_depth: Any) -> None:
    with pytest.raises(InvalidInput, match="max_depth"):
        pseudonymize_request(_request(_user("hi")), PseudonymSession(), max_depth=max_depth)


def test_the_session_must_be_a_pseudonym_session() -> None:
    with pytest.raises(InvalidInput):
        pseudonymize_request(_request(_user("hi")), {})  # type: ignore[arg-type]


# -- MemorySessions ------------------------------------------------------------------------

START = datetime(2025, 1, 1, tzinfo=UTC)


def test_memory_sessions_is_a_session_store() -> None:
    store: SessionStore = MemorySessions()
    assert store.get("x") is store.get("x")


def test_the_least_recently_used_session_goes_first_when_full() -> None:
    store = MemorySessions(max_sessions=2)
    a, b = store.get("a"), store.get("b")
    assert store.get("a") is a  # "b" is now the oldest
    store.get("c")
    assert len(store) == 2
    assert store.get("a") is a
    assert store.get("b") is not b


def test_an_idle_session_expires_by_the_injected_clock() -> None:
    clock = FixedClock(START)
    store = MemorySessions(idle=timedelta(minutes=10), clock=clock)
    session = store.get("a")
    session.pseudonym(Entity.EMAIL_ADDRESS, ANA)
    clock.advance(timedelta(minutes=9, seconds=59))
    assert store.get("a") is session  # use resets the idle time
    store.get("b")
    clock.advance(timedelta(minutes=10))
    assert len(store) == 0
    fresh = store.get("a")
    assert fresh is not session
    assert len(fresh) == 0


def test_expiry_frees_only_the_idle_sessions() -> None:
    clock = FixedClock(START)
    store = MemorySessions(idle=timedelta(minutes=10), clock=clock)
    store.get("old")
    clock.advance(timedelta(minutes=6))
    recent = store.get("recent")
    clock.advance(timedelta(minutes=5))
    assert len(store) == 1
    assert store.get("recent") is recent


def test_a_session_past_its_entry_bound_starts_afresh() -> None:
    store = MemorySessions(max_entries=3)
    session = store.get("a")
    for number in range(3):
        session.pseudonym(Entity.EMAIL_ADDRESS, f"u{number}@example.org")
    assert store.get("a") is session
    session.pseudonym(Entity.EMAIL_ADDRESS, "u4@example.org")
    fresh = store.get("a")
    assert fresh is not session
    assert len(fresh) == 0
    assert session.original("<EMAIL_ADDRESS_1>") == "u0@example.org"  # a stream in flight still restores


def test_ending_a_session_forgets_its_originals() -> None:
    store = MemorySessions()
    session = store.get("a")
    session.pseudonym(Entity.EMAIL_ADDRESS, ANA)
    store.end("a")
    store.end("never-started")
    assert len(session) == 0
    assert len(store) == 0
    assert store.get("a") is not session


@pytest.mark.parametrize("session_id", ["", "x" * 257, None, 7])
def test_a_bad_session_id_is_invalid_input_and_not_echoed(session_id: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        MemorySessions().get(session_id)
    assert "x" * 20 not in str(caught.value)


@pytest.mark.parametrize("options", [{"max_sessions": 0}, {"max_entries": -1}, {"idle": timedelta(0)},
                                     {"idle": 30}])
def test_bounds_must_be_positive(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        MemorySessions(**options)


def test_the_repr_shows_counts_never_ids_or_originals() -> None:
    store = MemorySessions()
    store.get("secret-conversation-id").pseudonym(Entity.EMAIL_ADDRESS, ANA)
    assert repr(store) == "MemorySessions(sessions=1, max_sessions=10000)"
