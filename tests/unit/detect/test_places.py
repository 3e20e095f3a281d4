from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veil.detect import Detector
from veil.detect._wordlist import trie_regex
from veil.detect.recognizers import _places

from ._table import found

DETECTOR = Detector(recognizers=_places.RECOGNIZERS)

TABLE = [
    ("moved from New York City to Berlin, Germany", [("New York City", "LOCATION"), ("Berlin", "LOCATION"),
                                                     ("Germany", "LOCATION")]),
    ("the São Paulo office", [("São Paulo", "LOCATION")]),
    ("a New Yorker and berlin in lower case", []),
    ("Austin and Florence are left to NER", []),
    ("221 Baker Street, London. Washington Street", [("London", "LOCATION")]),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_places_table(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(DETECTOR, text) == expected


@given(st.lists(st.text(alphabet="abcAB .", min_size=1, max_size=6), min_size=1, max_size=12),
       st.text(alphabet="abcAB .", max_size=8))
def test_trie_regex_matches_exactly_the_listed_words(words: list[str], probe: str) -> None:
    pattern = re.compile(trie_regex(words))
    assert all(pattern.fullmatch(w) for w in words)
    assert (pattern.fullmatch(probe) is not None) == (probe in words)
