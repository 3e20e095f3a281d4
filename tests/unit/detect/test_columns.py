from __future__ import annotations

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _columns

from ._table import found

DETECTOR = Detector(recognizers=_columns.RECOGNIZERS)

TABLE = [
    ("id,name,email\n1,Clara Mitschke,c@x.org\n2,\"Sean Davis\",s@x.org",
     [("Clara Mitschke", "PERSON"), ("Sean Davis", "PERSON")]),
    ("name;city;country\nPeter Schüler;Berchtesgaden;Peru",
     [("Peter Schüler", "PERSON"), ("Berchtesgaden", "LOCATION"), ("Peru", "LOCATION")]),
    ("full_name\tcity\nAna Lima\tLisbon\n", [("Ana Lima", "PERSON"), ("Lisbon", "LOCATION")]),
    # no named column, numbers under a named one, or prose: nothing
    ("sku,qty\nA-1,3", []),
    ("id,name\n1,12345", []),
    ("Hello, world\nhow are you", []),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_named_columns_of_delimited_tables(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(DETECTOR, text) == expected
