"""Invariants of sealing, wrapping and signing over random plaintexts, associated data and contexts."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from veil.crypto import NONCE_SIZE, Aead, Ed25519Signer, new_key, unwrap_key, verify_signature, wrap_key
from veil.errors import DecryptionFailed

SETTINGS = settings(max_examples=200, deadline=None)
AEAD = Aead(new_key())
SIGNER = Ed25519Signer.generate()


@SETTINGS
@given(plaintext=st.binary(max_size=4096), associated_data=st.binary(max_size=256))
def test_open_inverts_seal(plaintext: bytes, associated_data: bytes) -> None:
    sealed = AEAD.seal(plaintext, associated_data)
    assert len(sealed) == NONCE_SIZE + len(plaintext) + 16
    assert AEAD.open(sealed, associated_data) == plaintext


@SETTINGS
@given(plaintext=st.binary(max_size=512), associated_data=st.binary(max_size=64), other=st.binary(max_size=64))
def test_open_under_other_associated_data_always_fails(plaintext: bytes, associated_data: bytes,
                                                       other: bytes) -> None:
    assume(other != associated_data)
    sealed = AEAD.seal(plaintext, associated_data)
    with pytest.raises(DecryptionFailed):
        AEAD.open(sealed, other)


@SETTINGS
@given(plaintext=st.binary(max_size=512), data=st.data())
def test_any_flipped_bit_fails(plaintext: bytes, data: st.DataObject) -> None:
    sealed = bytearray(AEAD.seal(plaintext, b"ad"))
    sealed[data.draw(st.integers(0, len(sealed) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(DecryptionFailed):
        AEAD.open(bytes(sealed), b"ad")


@SETTINGS
@given(key=st.binary(min_size=32, max_size=32), context=st.binary(max_size=64), other=st.binary(max_size=64))
def test_unwrap_inverts_wrap_only_under_the_same_context(key: bytes, context: bytes, other: bytes) -> None:
    assume(other != context)
    wrapped = wrap_key(AEAD, key, context)
    assert unwrap_key(AEAD, wrapped, context) == key
    with pytest.raises(DecryptionFailed):
        unwrap_key(AEAD, wrapped, other)


@SETTINGS
@given(message=st.binary(max_size=1024), other=st.binary(max_size=1024))
def test_a_signature_verifies_for_its_message_only(message: bytes, other: bytes) -> None:
    signature = SIGNER.sign(message)
    assert verify_signature(SIGNER.public_key(), message, signature)
    assert verify_signature(SIGNER.public_key(), other, signature) == (other == message)
