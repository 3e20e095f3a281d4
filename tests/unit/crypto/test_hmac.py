from __future__ import annotations

import pytest

import veil.crypto
from veil.crypto import DIGEST_SIZE, constant_time_equal, keyed_hash
from veil.errors import InvalidInput

# RFC 4231 test cases 1 and 2 (HMAC-SHA256).
RFC4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
]


@pytest.mark.parametrize(("key", "data", "expected"), RFC4231)
def test_keyed_hash_matches_rfc4231_vectors(key: bytes, data: bytes, expected: str) -> None:
    assert keyed_hash(key, data).hex() == expected


def test_keyed_hash_is_32_bytes_and_depends_on_the_key() -> None:
    first = keyed_hash(b"k" * 16, b"ana@example.org")
    assert len(first) == DIGEST_SIZE
    assert first == keyed_hash(b"k" * 16, b"ana@example.org")
    assert first != keyed_hash(b"j" * 16, b"ana@example.org")


@pytest.mark.parametrize(("key", "data"), [(b"", b"x"), ("key", b"x"), (b"key", "x")])
def test_keyed_hash_refuses_empty_keys_and_non_bytes(key: object, data: object) -> None:
    with pytest.raises(InvalidInput):
        keyed_hash(key, data)  # type: ignore[arg-type]


def test_constant_time_equal_compares_bytes() -> None:
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"abcd")
    with pytest.raises(InvalidInput):
        constant_time_equal("abc", b"abc")  # type: ignore[arg-type]


def test_all_lists_the_public_names() -> None:
    public = {name for name in vars(veil.crypto) if not name.startswith("_")} - {"annotations"}
    # CONSTANTS, then Classes, then functions: the order ruff's RUF022 keeps.
    order = sorted(veil.crypto.__all__, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    assert order == veil.crypto.__all__
    assert set(veil.crypto.__all__) == public
