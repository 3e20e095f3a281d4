from __future__ import annotations

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _documents, _national

from ._table import assert_linear_time, found

DETECTORS = {
    "hyperscan": Detector(recognizers=_documents.RECOGNIZERS),
    "re": Detector(recognizers=_documents.RECOGNIZERS, use_hyperscan=False),
}

TABLE = [
    # passports: only next to a word naming the document
    ("passport no. C03005988 issued", [("C03005988", "PASSPORT")]),
    ("Passport Number: 912803456", [("912803456", "PASSPORT")]),
    ("travel document AB1234567", [("AB1234567", "PASSPORT")]),
    ("Reisepass C01234567", [("C01234567", "PASSPORT")]),
    ("customer C03005988 paid", []),
    ("912803456", []),
    ("passport 000000000", []),
    ("passport number for order C03005988", []),
    ("passport ABC1234567 has three letters", []),
    # driver's licences: US state shapes, GB shape, only with context
    ("driver's license: D1234567", [("D1234567", "DRIVER_LICENSE")]),
    ("Drivers Licence # A123456789012", [("A123456789012", "DRIVER_LICENSE")]),
    ("DL W426-545-30-761-0 (FL)", [("W426-545-30-761-0", "DRIVER_LICENSE")]),
    ("NY driver license 123456789", [("123456789", "DRIVER_LICENSE")]),
    ("driving licence MORGA657054SM9IJ", [("MORGA657054SM9IJ", "DRIVER_LICENSE")]),
    ("license number WA12345678", [("WA12345678", "DRIVER_LICENSE")]),
    ("product D1234567 in stock", []),
    ("D1234567", []),
    ("driver's license tracking D1234567", []),
    ("driver's license D1234567890123 is too long", []),
]


@pytest.mark.parametrize("backend", sorted(DETECTORS))
@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_document_number_table(text: str, expected: list[tuple[str, str]], backend: str) -> None:
    assert found(DETECTORS[backend], text) == expected


def test_document_recognizers_require_context() -> None:
    assert all(r.requires_context for r in _documents.RECOGNIZERS)
    assert Detector(recognizers=_documents.RECOGNIZERS, threshold=0.0).detect("X1234567") == []


def test_passport_wins_over_driver_license_when_both_are_named() -> None:
    text = "passport or driver's license: X1234567"
    assert found(DETECTORS["re"], text) == [("X1234567", "PASSPORT")]


def test_validated_national_id_wins_over_passport_shape() -> None:
    detector = Detector(recognizers=_documents.RECOGNIZERS + _national.RECOGNIZERS)
    assert found(detector, "passport and BSN 111222333") == [("111222333", "NL_BSN")]


ADVERSARIAL_UNITS = {
    "digits": "1",
    "letters": "A",
    "capitals_digits": "AB12",
    "dashed": "1-",
    "context_words": "passport DL ",
}
@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(DETECTORS))
@pytest.mark.parametrize("name", sorted(ADVERSARIAL_UNITS))
def test_two_megabyte_single_line_takes_linear_time(name: str, backend: str) -> None:
    assert_linear_time(DETECTORS[backend], ADVERSARIAL_UNITS[name])
