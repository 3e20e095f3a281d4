from __future__ import annotations

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _finance, _network, _us

from ._table import found

DETECTOR = Detector(recognizers=_network.RECOGNIZERS + _finance.RECOGNIZERS + _us.RECOGNIZERS)

TABLE = [
    # IP addresses are parsed, not matched loosely
    ("from 192.168.1.10 at noon", [("192.168.1.10", "IP_ADDRESS")]),
    ("peer 2001:db8::8a2e:370:7334.", [("2001:db8::8a2e:370:7334", "IP_ADDRESS")]),
    ("bind ::1 and 10.0.0.0/8", [("::1", "IP_ADDRESS"), ("10.0.0.0/8", "IP_ADDRESS")]),
    ("at 12:30:45 sharp", []),
    ("mapped ::ffff:192.0.2.128 here", [("::ffff:192.0.2.128", "IP_ADDRESS")]),
    ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334 ok", [("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IP_ADDRESS")]),
    ("999.1.1.1 is not an address", []),
    ("version 1.2.3.4 released", []),
    ("mac 00:1A:2B:3C:4D:5E up", [("00:1A:2B:3C:4D:5E", "MAC_ADDRESS")]),
    # cards: Luhn plus issuer range
    ("card 4111 1111 1111 1111 ok", [("4111 1111 1111 1111", "CREDIT_CARD")]),
    ("amex 3782-822463-10005", [("3782-822463-10005", "CREDIT_CARD")]),
    ("paid with 5555555555554444", [("5555555555554444", "CREDIT_CARD")]),
    ("Luhn-invalid 4111 1111 1111 1112", []),
    ("reference 4532015112830366 in ledger", []),
    ("0000 0000 0000 0000", []),
    # IBAN: per-country length and mod-97, even when capitals follow
    ("IBAN DE89 3704 0044 0532 0130 00 IBAN", [("DE89 3704 0044 0532 0130 00", "IBAN_CODE")]),
    ("to GB82WEST12345698765432.", [("GB82WEST12345698765432", "IBAN_CODE")]),
    ("bad GB82WEST12345698765433", []),
    # SSN: dashed alone, plain only with context, invalid areas never
    ("SSN: 123-45-6780", [("123-45-6780", "US_SSN")]),
    ("ssn 219099998 on file", [("219099998", "US_SSN")]),
    ("order 219099998 shipped", []),
    ("bad 666-12-3456 and 000-12-3456", []),
    ("ITIN 912-70-1234", [("912-70-1234", "US_ITIN")]),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_network_finance_us_table(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(DETECTOR, text) == expected


def test_card_is_never_a_phone_number() -> None:
    from veil.detect.recognizers import _contact

    detector = Detector(recognizers=_contact.RECOGNIZERS + _finance.RECOGNIZERS)
    text = "card 4111 1111 1111 1111 or IBAN DE89 3704 0044 0532 0130 00"
    assert {entity for _, entity in found(detector, text)} == {"CREDIT_CARD", "IBAN_CODE"}
