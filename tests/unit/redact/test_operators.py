from __future__ import annotations

import re

import pytest

from veil.detect import Entity, Finding
from veil.errors import InvalidInput
from veil.redact import Generalize, Hash, Mask, Redactor
from veil.redact._generalize import generalize

KEY = b"0123456789abcdef"


@pytest.mark.parametrize(("mask", "value", "expected"), [
    (Mask(), "4111 1111 1111 1111", "*******************"),
    (Mask(char="#", keep_last=4), "4111 1111 1111 1111", "###############1111"),
    (Mask(keep_last=4), "12345", "***45"),  # never more than half is kept
    (Mask(keep_last=4), "1", "*"),
])
def test_mask_hides_all_but_at_most_half_of_keep_last(mask: Mask, value: str, expected: str) -> None:
    redactor = Redactor(policy={Entity.CREDIT_CARD: mask})
    finding = Finding(0, len(value), Entity.CREDIT_CARD, 1.0, "manual")
    assert redactor.redact_findings(value, [finding]).text == expected


@pytest.mark.parametrize("options", [{"char": "**"}, {"char": ""}, {"keep_last": -1}])
def test_mask_refuses_bad_options(options: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        Mask(**options)  # type: ignore[arg-type]


def test_hash_is_stable_for_one_key_and_differs_across_keys() -> None:
    text = "mail ana@example.org"
    first = Redactor(default=Hash(KEY)).redact(text)
    assert re.fullmatch(r"mail <EMAIL_ADDRESS:[0-9a-f]{16}>", first)
    assert Redactor(default=Hash(KEY)).redact(text) == first
    assert Redactor(default=Hash(b"f" * 16)).redact(text) != first


def test_hash_key_never_shows_and_must_be_long_enough() -> None:
    assert "0123" not in repr(Hash(KEY))
    with pytest.raises(InvalidInput, match="16 bytes") as caught:
        Hash(b"short")
    assert "short" not in str(caught.value)


@pytest.mark.parametrize(("entity", "value", "expected"), [
    ("DATE_TIME", "2024-03-05", "2024"),
    ("DATE_OF_BIRTH", "05/03/1990", "1990"),
    ("DATE_TIME", "March 5, 2024 10:30", "2024"),
    ("DATE_TIME", "2024", "2024"),
    ("IP_ADDRESS", "192.168.1.20", "192.168.1.0/24"),
    ("IP_ADDRESS", "192.168.1.0/24", "192.168.1.0/24"),
    ("IP_ADDRESS", "10.0.0.0/8", "10.0.0.0/8"),
    ("IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::/48"),
    ("DATE_TIME", "5 March", None),
    ("IP_ADDRESS", "not an ip", None),
    ("EMAIL_ADDRESS", "ana@example.org", None),
])
def test_generalize_keeps_the_year_or_the_network(entity: str, value: str, expected: str | None) -> None:
    assert generalize(entity, value) == expected


def test_generalize_tags_what_has_no_coarser_form_and_is_idempotent() -> None:
    redactor = Redactor(default=Generalize())
    text = "from 10.1.2.3 on 2024-03-05, mail ana@example.org"
    once = redactor.redact(text)
    assert once == "from 10.1.2.0/24 on 2024, mail <EMAIL_ADDRESS_1>"
    assert redactor.redact(once) == once


def test_operators_are_frozen_values() -> None:
    assert Mask(keep_last=4) == Mask(keep_last=4)
    with pytest.raises(AttributeError):
        Mask().char = "#"  # type: ignore[misc]
