from __future__ import annotations

import pytest

from veil.crypto import Ed25519Signer, verify_signature
from veil.errors import InvalidInput

# RFC 8032 section 7.1, test 1 (empty message).
RFC8032_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_signer_matches_rfc8032_vector() -> None:
    signer = Ed25519Signer(RFC8032_SEED)
    assert signer.public_key() == RFC8032_PUBLIC
    assert signer.sign(b"") == RFC8032_SIGNATURE
    assert verify_signature(RFC8032_PUBLIC, b"", RFC8032_SIGNATURE)


def test_sign_then_verify_round_trips() -> None:
    signer = Ed25519Signer.generate()
    signature = signer.sign(b"tree head 7")
    assert len(signature) == 64
    assert verify_signature(signer.public_key(), b"tree head 7", signature)


def test_seed_rebuilds_the_same_signer() -> None:
    signer = Ed25519Signer.generate()
    assert len(signer.seed()) == 32
    assert Ed25519Signer(signer.seed()).public_key() == signer.public_key()
    assert Ed25519Signer.generate().public_key() != signer.public_key()


def test_verify_is_false_for_another_message_key_or_signature() -> None:
    signer = Ed25519Signer.generate()
    signature = signer.sign(b"tree head 7")
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify_signature(signer.public_key(), b"tree head 8", signature)
    assert not verify_signature(Ed25519Signer.generate().public_key(), b"tree head 7", signature)
    assert not verify_signature(signer.public_key(), b"tree head 7", tampered)


@pytest.mark.parametrize(
    ("public_key", "message", "signature"),
    [
        (b"", b"m", b"s" * 64),
        (b"k" * 31, b"m", b"s" * 64),
        (RFC8032_PUBLIC, b"", b""),
        (RFC8032_PUBLIC, b"", RFC8032_SIGNATURE[:63]),
        ("not bytes", b"", RFC8032_SIGNATURE),
        (RFC8032_PUBLIC, "not bytes", RFC8032_SIGNATURE),
        (RFC8032_PUBLIC, b"", None),
    ],
)
def test_verify_returns_false_instead_of_raising_on_bad_input(
    public_key: object, message: object, signature: object
) -> None:
    assert verify_signature(public_key, message, signature) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [b"", b"s" * 31, b"s" * 33, "s" * 32])
def test_signer_refuses_seeds_that_are_not_32_bytes(seed: object) -> None:
    with pytest.raises(InvalidInput):
        Ed25519Signer(seed)  # type: ignore[arg-type]


def test_repr_shows_the_public_key_but_not_the_seed() -> None:
    signer = Ed25519Signer(RFC8032_SEED)
    assert RFC8032_SEED.hex() not in repr(signer)
    assert repr(RFC8032_SEED) not in repr(signer)
    assert RFC8032_PUBLIC.hex() in repr(signer)
