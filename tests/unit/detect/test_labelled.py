from __future__ import annotations

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _labelled

from ._table import found

DETECTOR = Detector(recognizers=_labelled.RECOGNIZERS)

TABLE = [
    ("Cardholder: Kendra Williams\nCard number", [("Kendra Williams", "PERSON")]),
    ('user_id=1084 name="Jason Kirby" updated', [("Jason Kirby", "PERSON")]),
    ('{"display_name": "Rosa María", "city": "Nagpur"}', [("Rosa María", "PERSON"), ("Nagpur", "LOCATION")]),
    ("Best regards, James Pierce\nCustomer Care", [("James Pierce", "PERSON")]),
    ("City: Lacombe Phone: 07 76 69 94", [("Lacombe", "LOCATION")]),
    ("APPLICANT: Océane Weber D.O.B.", [("Océane Weber", "PERSON")]),
    ("updated shipping_city=Teresastad 2024", [("Teresastad", "LOCATION")]),
    ("DOB | 2005 State | Bihar", [("Bihar", "LOCATION")]),
    ("[Thérèse]: ok!", [("Thérèse", "PERSON")]),
    ("hey it's Claus again", [("Claus", "PERSON")]),
    ("I am Happy to help", []),
    ("Customer: Hi, this is Maria Keller.\nCustomer: Yes. The card", [("Maria Keller", "PERSON")]),
    ('{"customer": "Ana Lima"} user=Bo Chen', [("Ana Lima", "PERSON"), ("Bo Chen", "PERSON")]),
    # greetings to no one in particular, and lower-case values, are not names
    ("Hi there, Dear Support Team", []),
    ('{"name": "widget", "status": "ok"}', []),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_labelled_names_and_places(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(DETECTOR, text) == expected
