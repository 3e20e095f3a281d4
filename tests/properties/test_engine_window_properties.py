"""Long texts are scanned chunk by chunk: the findings must equal a plain ``re`` pass over the whole.

Secrets and personal data are planted across chunk boundaries (and the overlap before each
chunk), in ASCII and non-ASCII filler, so a match cut by a boundary would show as a difference.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.scan._fakes import aws_pair, github_token
from veil.detect import Detector
from veil.detect._engine import CHUNK, OVERLAP, hyperscan_available

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="chunked scanning needs Hyperscan")

_KEY_ID, _SECRET = aws_pair()
PLANTS = [
    github_token(), f"aws_secret_access_key = {_SECRET}", f"{_KEY_ID}:{_SECRET}",
    "postgres://app:Zx81-kq.Pw@db.internal:5432/main", "write to ana.lopez@example.org",
    'password = "Q7v!rT2#mL9@xW4$"', "card 4111 1111 1111 1111", "call +44 20 7946 0958",
]
FILLERS = ["def f(x):\n    return x + 1\n", "ünïcödé tëxt — ", "lorem ipsum dolor ", "a" * 50 + "\n",
           "key_id = config.get('name')\n"]


@cache
def _detectors() -> tuple[Detector, Detector]:
    return Detector(), Detector(use_hyperscan=False)


@st.composite
def long_texts(draw: st.DrawFn) -> str:
    size = draw(st.integers(3 * CHUNK, 6 * CHUNK))
    filler = draw(st.sampled_from(FILLERS))
    text = list((filler * (size // len(filler) + 1))[:size])
    for _ in range(draw(st.integers(1, 6))):
        plant = draw(st.sampled_from(PLANTS))
        boundary = draw(st.integers(1, size // CHUNK - 1)) * CHUNK
        shift = draw(st.sampled_from([0, OVERLAP]))
        at = max(0, boundary - shift + draw(st.integers(-len(plant), 2)))
        text[at:at + len(plant)] = f" {plant} "
    return "".join(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_texts())
def test_chunked_scanning_finds_what_a_whole_text_pass_finds(text: str) -> None:
    chunked, whole = _detectors()
    assert chunked.detect(text) == whole.detect(text)


@pytest.mark.parametrize("offset", [-20, -1, 0, 1, -OVERLAP - 10, -OVERLAP + 5])
def test_a_token_across_a_chunk_boundary_is_found(offset: int) -> None:
    token = github_token()
    text = list("x = 1\n" * (4 * CHUNK // 6))
    at = 2 * CHUNK + offset
    text[at:at + len(token) + 2] = f" {token} "
    joined = "".join(text)
    chunked, _ = _detectors()
    assert [joined[f.start:f.end] for f in chunked.detect(joined)] == [token]
