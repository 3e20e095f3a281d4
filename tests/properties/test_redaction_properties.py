"""Invariants of redaction over texts of random fillers with planted personal data."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veil.detect import default_detector
from veil.redact import Hash, Mask, Operator, Pseudonymize, PseudonymSession, Redactor, Tag

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FILLER_WORDS = st.sampled_from(
    ["the", "meeting", "notes", "Ana", "wrote", "about", "a", "report", "to", "see", "by", "and",
     "data", "from", "was", "sent", "-", "(", ")", ":", "!", "?", "é", "naïve", "日本", "x.y", "a/b"]
)
FILLERS = st.lists(st.one_of(FILLER_WORDS, st.text(alphabet="abcdefghijklmnop .,;:'\"-", max_size=8)),
                   max_size=6).map(" ".join)
SEPARATORS = st.sampled_from([" ", ", ", "\n", " (", ") ", "; ", ": ", "\t"])


def _luhn_completed(body: str) -> str:
    total = 0
    for offset, char in enumerate(reversed(body)):
        digit = int(char) * (2 if offset % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return body + str((10 - total % 10) % 10)


EMAILS = st.builds(
    "{}{}@{}.{}".format,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", max_size=6).map(
        lambda s: re.sub(r"[._]+$", "", re.sub(r"[._]{2,}", ".", s))),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10),
    st.sampled_from(["com", "org", "net", "io", "de", "co.uk"]),
)
CARDS = st.builds(
    lambda digits, spaced: " ".join(re.findall("....", digits)) if spaced else digits,
    st.text(alphabet="0123456789", min_size=14, max_size=14).map(lambda d: _luhn_completed("4" + d)),
    st.booleans(),
).filter(lambda card: len(set(card.replace(" ", ""))) > 1)
IPS = st.tuples(*[st.integers(0, 255)] * 4).map(lambda parts: ".".join(map(str, parts)))
SSNS = st.builds(
    "{:03d}-{:02d}-{:04d}".format,
    st.integers(1, 899).filter(lambda area: area != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
).filter(lambda ssn: ssn not in {"123-45-6789", "078-05-1120", "219-09-9999"})
TAGS = st.builds("<{}_{}>".format, st.sampled_from(["EMAIL_ADDRESS", "PERSON", "CREDIT_CARD"]),
                 st.integers(1, 20))
PLANTED = st.one_of(EMAILS, CARDS, IPS, SSNS)


@st.composite
def texts(draw: st.DrawFn, planted: st.SearchStrategy[str] = PLANTED) -> str:
    parts = [draw(FILLERS)]
    for value in draw(st.lists(planted, max_size=5)):
        parts += [draw(SEPARATORS), value, draw(SEPARATORS), draw(FILLERS)]
    return "".join(parts)


REDACTORS: list[Operator] = [Tag(), Mask(), Hash(b"property-test-key!")]


@pytest.mark.parametrize("operator", REDACTORS, ids=lambda op: op.name)
@SETTINGS
@given(text=texts(st.one_of(PLANTED, TAGS)))
def test_redaction_is_idempotent(operator: Operator, text: str) -> None:
    redactor = Redactor(default=operator)
    once = redactor.redact(text)
    assert redactor.redact(once) == once


@SETTINGS
@given(text=texts())
def test_tag_redaction_leaves_no_detected_entity_behind(text: str) -> None:
    once = Redactor().redact(text)
    assert default_detector().detect(once) == []


@SETTINGS
@given(values=st.lists(st.one_of(EMAILS, CARDS, SSNS), min_size=1, max_size=4), filler=FILLERS)
def test_planted_emails_cards_and_ssns_never_survive(values: list[str], filler: str) -> None:
    text = f"{filler} " + " and ".join(values) + f" {filler}"
    once = Redactor().redact(text)
    for value in values:
        assert value not in once


@pytest.mark.parametrize("operator", REDACTORS, ids=lambda op: op.name)
@SETTINGS
@given(text=texts())
def test_replacement_offsets_are_consistent(operator: Operator, text: str) -> None:
    result = Redactor(default=operator).apply(text)
    cursor = new_cursor = 0
    for replacement in result.replacements:
        assert text[cursor:replacement.start] == result.text[new_cursor:replacement.new_start]
        new = result.text[replacement.new_start:replacement.new_end]
        old = text[replacement.start:replacement.end]
        if isinstance(operator, Tag):
            assert re.fullmatch(rf"<{replacement.entity}_\d+>", new)
        elif isinstance(operator, Mask):
            assert new == "*" * len(old)
        else:
            assert re.fullmatch(rf"<{replacement.entity}:[0-9a-f]{{16}}>", new)
        cursor, new_cursor = replacement.end, replacement.new_end
    assert text[cursor:] == result.text[new_cursor:]


@SETTINGS
@given(text=texts())
def test_pseudonymize_then_restore_gives_back_the_original(text: str) -> None:
    session = PseudonymSession()
    hidden = Redactor(default=Pseudonymize(session)).redact(text)
    assert session.restore(hidden) == text
    assert session.restore(hidden.lower()) == text.lower() or hidden.lower() != hidden
