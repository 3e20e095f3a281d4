from __future__ import annotations

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _contact

from ._table import found

DETECTOR = Detector(recognizers=_contact.RECOGNIZERS)

EMAILS = [
    ("write to ana.lima@example.org today", [("ana.lima@example.org", "EMAIL_ADDRESS")]),
    ("user=alice@corp.example.com action=login", [("alice@corp.example.com", "EMAIL_ADDRESS")]),
    ("mailto:bob+tag@mail.co.uk", [("bob+tag@mail.co.uk", "EMAIL_ADDRESS")]),
    ('{"email": "x_y@sub.example.io"}', [("x_y@sub.example.io", "EMAIL_ADDRESS")]),
    ("not an address: a..b@example.com", []),
    ("twitter handle @example and foo@bar", []),
    ("Cloning git@github.com:infra/api.git", []),
]

URLS = [
    ("see https://shop.example.biz/cart?id=3.", [("https://shop.example.biz/cart?id=3", "URL")]),
    ("docs at www.example.museum/path/x", [("www.example.museum/path/x", "URL")]),
    ("visit example.io for more", [("example.io", "URL")]),
    ("(https://example.com/a)", [("https://example.com/a", "URL")]),
    # the domain inside an e-mail address is never a URL
    ("mail ana@example.biz now", [("ana@example.biz", "EMAIL_ADDRESS")]),
    # file names and code are not URLs
    ("run setup.py and self.logger.info(msg)", []),
]

PHONES = [
    ("call +44 20 7946 0958 today", [("+44 20 7946 0958", "PHONE_NUMBER")]),
    ("phone: (212) 555-0123", [("(212) 555-0123", "PHONE_NUMBER")]),
    ("tel 0049 30 1234567", [("0049 30 1234567", "PHONE_NUMBER")]),
    ("mobile +91 98765 43210", [("+91 98765 43210", "PHONE_NUMBER")]),
    ("phones: 212-555-0123 212-555-0199",
     [("212-555-0123", "PHONE_NUMBER"), ("212-555-0199", "PHONE_NUMBER")]),
    # look-alikes: IPs, dates, order numbers
    ("host 192.168.100.200 replied", []),
    ("on 2024-01-15 10:30", []),
    ("order 2125550123 shipped", []),
    ("Customer Care | 02.99.18.43.73", [("02.99.18.43.73", "PHONE_NUMBER")]),
    ("I'm Dan, 07522653184, dan@", [("07522653184", "PHONE_NUMBER")]),
    ("ts=1700585989 ok", []),
]


@pytest.mark.parametrize(("text", "expected"), EMAILS + URLS + PHONES)
def test_contact_table(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(DETECTOR, text) == expected


def test_phone_context_word_raises_score_over_plain() -> None:
    plain = DETECTOR.detect("(212) 555-0123")
    with_context = DETECTOR.detect("phone (212) 555-0123")
    assert with_context[0].score > plain[0].score


def test_phone_next_to_order_word_is_dropped_at_default_threshold() -> None:
    assert DETECTOR.detect("order (212) 555-0123") == []
