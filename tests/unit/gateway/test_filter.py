from __future__ import annotations

import random
from typing import Any

import pytest

from tests.conftest import Canary
from veil.detect import Entity
from veil.errors import InvalidInput, OutputBlocked, VeilError
from veil.gateway import (
    OutputAction,
    OutputPolicy,
    StreamFilter,
    filter_text,
    pseudonymize_request,
    restore_response,
)
from veil.redact import PseudonymSession

AWS_KEY = "AKIAZ7QW3RT5YU8IOPLK"  # made up; the shape the AWS access key recognizer knows
BLOCK_SECRETS = OutputPolicy(secrets=OutputAction.BLOCK)


def _answer(email: str) -> str:
    return (f"Sure! Write to {email} and use key {AWS_KEY} for the bucket, "
            "see https://docs.example.org on 2024-05-01. Done.")


def _streamed(deltas: list[str], supplied: list[str] | None = None, policy: OutputPolicy | None = None,
              window: int = 64) -> tuple[str, dict[str, int]]:
    stream = StreamFilter(supplied or [], policy, window=window)
    pieces = []
    for delta in deltas:
        pieces.append(stream.feed(delta))
        assert stream.held <= window
    pieces.append(stream.flush())
    assert stream.held == 0
    return "".join(pieces), stream.counts


# -- filter_text ---------------------------------------------------------------------------


def test_by_default_unsupplied_personal_data_and_secrets_are_masked(canary_pii: Canary) -> None:
    text, counts = filter_text(_answer(canary_pii.email), [])
    assert text == ("Sure! Write to [EMAIL_ADDRESS] and use key [AWS_ACCESS_KEY] for the bucket, "
                    "see https://docs.example.org on 2024-05-01. Done.")  # dates and links pass by default
    assert counts == {"EMAIL_ADDRESS": 1, "AWS_ACCESS_KEY": 1}


def test_values_the_user_supplied_pass_in_any_case(canary_pii: Canary) -> None:
    prompt = f"My mail is {canary_pii.email.upper()}, my key {AWS_KEY}"
    text, counts = filter_text(_answer(canary_pii.email), ["Be brief.", prompt])
    assert text == _answer(canary_pii.email)
    assert counts == {}


def test_a_value_only_partly_supplied_is_masked() -> None:
    text, _ = filter_text("Call +44 20 7946 0958", ["my number ends in 0958"])
    assert text == "Call [PHONE_NUMBER]"


def test_a_blocked_secret_raises_naming_the_type_never_the_value(canary_pii: Canary) -> None:
    with pytest.raises(OutputBlocked) as caught:
        filter_text(f"{canary_pii.text()} key={AWS_KEY}", [canary_pii.text()], BLOCK_SECRETS)
    assert "AWS_ACCESS_KEY" in str(caught.value)
    assert AWS_KEY not in str(caught.value)
    canary_pii.assert_absent(str(caught.value), repr(caught.value))


def test_a_supplied_secret_is_never_blocked() -> None:
    assert filter_text(f"key {AWS_KEY}", [f"my key is {AWS_KEY}"], BLOCK_SECRETS) == (f"key {AWS_KEY}", {})


def test_output_blocked_has_a_stable_code_and_a_server_side_status() -> None:
    error = OutputBlocked("the answer carries a value of type US_SSN that the user did not supply")
    assert isinstance(error, VeilError)
    assert (error.code, error.http_status) == ("output_blocked", 502)


@pytest.mark.parametrize(("policy", "expected"), [
    (OutputPolicy(rules={Entity.EMAIL_ADDRESS: OutputAction.ALLOW}),
     "Mail ana@example.org, SSN [US_SSN], key [AWS_ACCESS_KEY]"),
    (OutputPolicy(pii=OutputAction.ALLOW), "Mail ana@example.org, SSN 219-09-9998, key [AWS_ACCESS_KEY]"),
    (OutputPolicy(pii=OutputAction.ALLOW, secrets=OutputAction.ALLOW),
     f"Mail ana@example.org, SSN 219-09-9998, key {AWS_KEY}"),
    (OutputPolicy(pii="allow", rules={"US_SSN": "mask"}),  # type: ignore[arg-type]
     "Mail ana@example.org, SSN [US_SSN], key [AWS_ACCESS_KEY]"),
])
def test_the_policy_decides_per_entity_type(policy: OutputPolicy, expected: str) -> None:
    assert filter_text(f"Mail ana@example.org, SSN 219-09-9998, key {AWS_KEY}", [], policy)[0] == expected


@pytest.mark.parametrize("policy", [OutputPolicy(pii=OutputAction.BLOCK),
                                    OutputPolicy(rules={Entity.US_SSN: OutputAction.BLOCK})])
def test_personal_data_can_be_blocked_too(policy: OutputPolicy) -> None:
    with pytest.raises(OutputBlocked, match="US_SSN"):
        filter_text("SSN 219-09-9998", [], policy)


def test_rules_replace_the_default_leniency_for_dates_and_links() -> None:
    policy = OutputPolicy(rules={Entity.URL: OutputAction.MASK})
    assert filter_text("see https://docs.example.org on 2024-05-01", [], policy)[0] == (
        "see [URL] on [DATE_TIME]")


def test_session_tags_are_not_flagged_so_the_filter_runs_before_restore() -> None:
    session = PseudonymSession()
    request = pseudonymize_request({"messages": [{"role": "user", "content": "I am ana@example.org"}]}, session)
    upstream = "Hi <EMAIL_ADDRESS_1>, I told bo@example.com about you."
    text, counts = filter_text(upstream, request.supplied)
    assert counts == {"EMAIL_ADDRESS": 1}
    answer = restore_response({"choices": [{"message": {"role": "assistant", "content": text}}]}, session)
    assert answer["choices"][0]["message"]["content"] == "Hi ana@example.org, I told [EMAIL_ADDRESS] about you."


@pytest.mark.parametrize(("options", "field"), [
    ({"pii": "drop"}, "pii"), ({"secrets": None}, "secrets"), ({"rules": {"US_SSN": "erase"}}, "rules[US_SSN]"),
    ({"rules": ["US_SSN"]}, "rules"),
])
def test_a_bad_policy_is_invalid_input(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput, match=field.replace("[", r"\[")):
        OutputPolicy(**options)


@pytest.mark.parametrize("supplied", ["a prompt", [b"bytes"], [None]])
def test_supplied_values_must_be_strings(supplied: Any) -> None:
    with pytest.raises(InvalidInput):
        filter_text("text", supplied)
    with pytest.raises(InvalidInput):
        StreamFilter(supplied)


def test_bad_arguments_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        filter_text(b"text", [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        filter_text("text", [], {"pii": "allow"})  # type: ignore[arg-type]
    for window in (0, -1, True, 1.5):
        with pytest.raises(InvalidInput):
            StreamFilter([], window=window)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        StreamFilter([]).feed(None)  # type: ignore[arg-type]


# -- StreamFilter --------------------------------------------------------------------------


@pytest.mark.parametrize("window", [64, 28])
def test_every_split_of_the_stream_matches_the_whole_text(canary_pii: Canary, window: int) -> None:
    answer = _answer(canary_pii.email)
    whole = filter_text(answer, [])
    for offset in range(len(answer) + 1):
        assert _streamed([answer[:offset], answer[offset:]], window=window) == whole, offset


def test_a_stream_of_single_characters_and_of_random_chunks_matches_the_whole_text(canary_pii: Canary) -> None:
    answer = _answer(canary_pii.email) * 3
    whole = filter_text(answer, [])
    assert _streamed(list(answer)) == whole
    rng = random.Random(7)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(answer)), 12))
        deltas = [answer[a:b] for a, b in zip([0, *cuts], [*cuts, len(answer)], strict=True)]
        assert _streamed(deltas) == whole


def test_supplied_values_pass_through_the_stream(canary_pii: Canary) -> None:
    answer = _answer(canary_pii.email)
    assert _streamed(list(answer), supplied=[f"I am {canary_pii.email}"]) == (
        answer.replace(AWS_KEY, "[AWS_ACCESS_KEY]"), {"AWS_ACCESS_KEY": 1})


def test_the_stream_holds_back_at_most_the_window() -> None:
    stream = StreamFilter([], window=16)
    assert stream.feed("x" * 16) == ""
    assert stream.held == 16
    assert stream.feed("y" * 10) == "x" * 10
    assert stream.held == 16
    assert stream.feed("z" * 100) == "x" * 6 + "y" * 10 + "z" * 84
    assert stream.held == 16
    assert stream.flush() == "z" * 16
    assert stream.flush() == ""


def test_an_entity_crossing_the_window_edge_is_masked_whole_and_emitted_at_once(canary_pii: Canary) -> None:
    stream = StreamFilter([], window=32)
    text = f"Mail {canary_pii.email} now, please, and thank you!"
    out = stream.feed(text)
    assert canary_pii.email not in out
    assert out.startswith("Mail [EMAIL_ADDRESS]")
    assert stream.held < 32


def test_a_blocked_secret_is_never_emitted_in_part(canary_pii: Canary) -> None:
    stream = StreamFilter([], BLOCK_SECRETS)
    answer = _answer(canary_pii.email)
    key_at = answer.index(AWS_KEY)
    emitted = [stream.feed(char) for char in answer[:key_at + 64]]
    assert stream.held == 64
    with pytest.raises(OutputBlocked) as caught:
        stream.feed(answer[key_at + 64])  # the window's edge passes the key's start: it is judged now
    assert "AKIA" not in "".join(emitted)
    canary_pii.assert_absent("".join(emitted), str(caught.value))


def test_the_repr_shows_sizes_never_text(canary_pii: Canary) -> None:
    stream = StreamFilter([canary_pii.email])
    stream.feed(f"Hi {canary_pii.email}")
    assert repr(stream) == f"StreamFilter(window=64, held={len(canary_pii.email) + 3})"
