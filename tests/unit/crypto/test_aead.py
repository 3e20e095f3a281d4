from __future__ import annotations

import hashlib
import hmac

import pytest

from veil.crypto import KEY_SIZE, NONCE_SIZE, Aead, derive_key, new_key, unwrap_key, wrap_key
from veil.errors import DecryptionFailed, InvalidInput

AD = b"record-7/email"


@pytest.fixture
def aead() -> Aead:
    return Aead(new_key())


def test_seal_then_open_round_trips(aead: Aead) -> None:
    sealed = aead.seal(b"ana@example.org", AD)
    assert aead.open(sealed, AD) == b"ana@example.org"
    assert aead.open(aead.seal(b"", b""), b"") == b""


def test_sealed_is_nonce_then_ciphertext_and_tag_with_a_fresh_nonce_each_time(aead: Aead) -> None:
    first, second = aead.seal(b"x" * 100, AD), aead.seal(b"x" * 100, AD)
    assert len(first) == NONCE_SIZE + 100 + 16
    assert first[:NONCE_SIZE] != second[:NONCE_SIZE]
    assert b"x" * 100 not in first


def test_open_with_other_associated_data_fails(aead: Aead) -> None:
    sealed = aead.seal(b"ana@example.org", AD)
    with pytest.raises(DecryptionFailed):
        aead.open(sealed, b"record-8/email")


@pytest.mark.parametrize("position", [0, NONCE_SIZE - 1, NONCE_SIZE, NONCE_SIZE + 5, -1])
def test_a_flipped_bit_anywhere_fails(aead: Aead, position: int) -> None:
    sealed = bytearray(aead.seal(b"ana@example.org", AD))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        aead.open(bytes(sealed), AD)


@pytest.mark.parametrize("sealed", [b"", b"short", b"\x00" * (NONCE_SIZE + 15), "text"])
def test_too_short_or_non_bytes_input_fails_without_a_reason(aead: Aead, sealed: object) -> None:
    with pytest.raises(DecryptionFailed) as caught:
        aead.open(sealed, AD)  # type: ignore[arg-type]
    assert str(caught.value) == "decryption failed"


def test_another_key_cannot_open(aead: Aead) -> None:
    with pytest.raises(DecryptionFailed):
        Aead(new_key()).open(aead.seal(b"secret", AD), AD)


@pytest.mark.parametrize("key", [b"", b"k" * 16, b"k" * 31, b"k" * 33, "k" * 32, bytearray(32)])
def test_aead_refuses_keys_that_are_not_32_bytes(key: object) -> None:
    with pytest.raises(InvalidInput):
        Aead(key)  # type: ignore[arg-type]


def test_repr_does_not_show_the_key() -> None:
    key = new_key()
    text = repr(Aead(key))
    assert key.hex() not in text
    assert repr(key) not in text
    assert "AES-256-GCM" in text


def test_aead_keeps_no_instance_dict() -> None:
    with pytest.raises(AttributeError):
        Aead(new_key()).extra = 1  # type: ignore[attr-defined]


def test_new_key_is_32_fresh_bytes() -> None:
    assert len(new_key()) == KEY_SIZE
    assert new_key() != new_key()


def test_wrapped_key_round_trips_under_its_context(aead: Aead) -> None:
    data_key = new_key()
    wrapped = wrap_key(aead, data_key, b"subject/42")
    assert data_key not in wrapped
    assert unwrap_key(aead, wrapped, b"subject/42") == data_key


def test_wrapped_key_is_bound_to_its_context(aead: Aead) -> None:
    wrapped = wrap_key(aead, new_key(), b"subject/42")
    with pytest.raises(DecryptionFailed):
        unwrap_key(aead, wrapped, b"subject/43")
    # Domain separation: a wrapped key is not a plain seal under the bare context.
    with pytest.raises(DecryptionFailed):
        aead.open(wrapped, b"subject/42")


def test_unwrap_under_another_kek_fails(aead: Aead) -> None:
    wrapped = wrap_key(aead, new_key(), b"subject/42")
    with pytest.raises(DecryptionFailed):
        unwrap_key(Aead(new_key()), wrapped, b"subject/42")


def test_unwrap_refuses_a_result_of_the_wrong_length(aead: Aead) -> None:
    forged = aead.seal(b"k" * 16, b"veil/wrap/v1\x00" + b"subject/42")
    with pytest.raises(DecryptionFailed):
        unwrap_key(aead, forged, b"subject/42")


@pytest.mark.parametrize("key", [b"k" * 16, b"k" * 33, "k" * 32])
def test_wrap_refuses_keys_that_are_not_32_bytes(aead: Aead, key: object) -> None:
    with pytest.raises(InvalidInput):
        wrap_key(aead, key, b"subject/42")  # type: ignore[arg-type]


def _hkdf_sha256_reference(master: bytes, info: bytes) -> bytes:
    """RFC 5869 with no salt and one output block, written with the standard library."""
    prk = hmac.new(b"\x00" * 32, master, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


def test_derive_key_is_hkdf_sha256_with_a_veil_label() -> None:
    master = bytes(range(32))
    assert derive_key(master, "signing") == _hkdf_sha256_reference(master, b"veil/signing")


def test_derived_keys_differ_by_label_and_master() -> None:
    master = new_key()
    assert len(derive_key(master, "blind-index")) == KEY_SIZE
    assert derive_key(master, "blind-index") == derive_key(master, "blind-index")
    assert derive_key(master, "blind-index") != derive_key(master, "signing")
    assert derive_key(master, "signing") != derive_key(new_key(), "signing")


@pytest.mark.parametrize(("master", "label"), [(b"", "x"), ("key", "x"), (b"key", "")])
def test_derive_key_refuses_empty_or_mistyped_input(master: object, label: str) -> None:
    with pytest.raises(InvalidInput):
        derive_key(master, label)  # type: ignore[arg-type]
