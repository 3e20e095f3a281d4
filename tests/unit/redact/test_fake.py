from __future__ import annotations

import re

from tests.unit.redact._support import small_detector
from veil.detect import Entity, detect
from veil.detect._validators import credit_card
from veil.redact import Fake, Redactor

TEXT = ("Mail ana@example.org, call +1 415 555 0100, card 4111 1111 1111 1111, "
        "ip 192.168.1.20, ssn 536-90-4399, on 2024-03-05")


def _shape(value: str) -> str:
    return re.sub(r"[A-Z]", "A", re.sub(r"[a-z]", "a", re.sub(r"\d", "9", value)))


def test_fake_gives_the_same_surrogate_for_the_same_original() -> None:
    redactor = Redactor(default=Fake())
    once = redactor.redact("ana@example.org and ana@example.org")
    first, second = once.split(" and ")
    assert first == second != "ana@example.org"
    assert redactor.redact("ana@example.org") == first


def test_a_seed_makes_surrogates_reproducible_across_redactors() -> None:
    assert Redactor(default=Fake(seed=7)).redact(TEXT) == Redactor(default=Fake(seed=7)).redact(TEXT)
    assert Redactor(default=Fake(seed=7)).redact(TEXT) != Redactor(default=Fake(seed=8)).redact(TEXT)


def test_fake_keeps_the_format_of_numbers() -> None:
    redactor = Redactor(default=Fake(seed=1))
    result = redactor.apply(TEXT)
    for replacement in result.replacements:
        if replacement.entity in {Entity.PHONE_NUMBER, Entity.CREDIT_CARD, Entity.US_SSN}:
            old = TEXT[replacement.start:replacement.end]
            new = result.text[replacement.new_start:replacement.new_end]
            assert _shape(new) == _shape(old)
            assert new != old


def test_fake_surrogates_look_like_what_they_replace() -> None:
    result = Redactor(default=Fake(seed=3)).apply(TEXT)
    found = {str(f.entity): result.text[f.start:f.end] for f in detect(result.text)}
    assert re.fullmatch(r"[^@\s]+@example\.(?:com|org|net)", found["EMAIL_ADDRESS"])
    assert credit_card(found["CREDIT_CARD"])
    assert found["CREDIT_CARD"].startswith("4111 ")
    assert re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", found["IP_ADDRESS"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", found["DATE_TIME"])
    assert "ana@example.org" not in result.text
    assert "555 0100" not in result.text


def test_fake_names_are_names() -> None:
    redacted = Redactor(small_detector(), default=Fake(seed=5)).redact("Ana Lima and Bo Chen")
    first, second = redacted.split(" and ")
    assert re.fullmatch(r"[A-Z][\w.' -]+ [A-Z][\w.'-]+", first)
    assert first != second
    assert "Ana" not in redacted


def test_fake_keeps_letters_and_digits_of_unknown_entities() -> None:
    redacted = Redactor(small_detector(), default=Fake(seed=9)).redact("id EMP-123456")
    assert re.fullmatch(r"id [A-Z]{3}-\d{6}", redacted)
    assert redacted != "id EMP-123456"

