from __future__ import annotations

import base64
import hashlib

import pytest

from veil.audit._checkpoint import (
    Checkpoint,
    cosign,
    key_id,
    open_checkpoint,
    open_note,
    parse_verifier_key,
    sign_note,
    verifier_key,
)
from veil.crypto import Ed25519Signer
from veil.errors import IntegrityError, InvalidInput

# Known answers from the documentation of golang.org/x/mod/sumdb/note (package note's doc comment
# and its Open example, https://pkg.go.dev/golang.org/x/mod/sumdb/note).
GO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
GO_NOTE = (
    "This is an example message.\n\n"
    "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz": 0x01 || seed
NEUMANN_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
NEUMANN_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
NEUMANN_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
NEUMANN_LINE = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_LINE = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

ORIGIN = "veil.example/audit"
URLSAFE = base64.urlsafe_b64encode(bytes([0xFF]) * 32).decode()
ROOT = hashlib.sha256(b"root").digest()
SIGNER = Ed25519Signer(bytes(range(32)))
VKEY = verifier_key(ORIGIN, SIGNER.public_key())
WITNESS = Ed25519Signer(bytes(range(1, 33)))
WITNESS_VKEY = verifier_key("witness.example", WITNESS.public_key())


def _head(size: int = 7, *extensions: str) -> str:
    return sign_note(Checkpoint(ORIGIN, size, ROOT, extensions).text(), ORIGIN, SIGNER)


def test_go_known_answer_opens() -> None:
    assert open_note(GO_NOTE, GO_VKEY) == "This is an example message.\n"


def test_go_known_answer_with_a_changed_text_byte_fails() -> None:
    with pytest.raises(IntegrityError, match=r"^signature does not verify$"):
        open_note(GO_NOTE.replace("example message", "example massage"), GO_VKEY)


def test_go_signer_key_signs_the_documented_note_byte_for_byte() -> None:
    signer = Ed25519Signer(NEUMANN_SEED)
    assert verifier_key("PeterNeumann", signer.public_key()) == NEUMANN_VKEY
    assert sign_note(NEUMANN_TEXT, "PeterNeumann", signer) == NEUMANN_TEXT + "\n" + NEUMANN_LINE


def test_go_cosigned_note_opens_and_the_unknown_witness_line_is_ignored() -> None:
    note = NEUMANN_TEXT + "\n" + NEUMANN_LINE + ENOCH_LINE
    assert open_note(note, NEUMANN_VKEY) == NEUMANN_TEXT


def test_key_id_and_verifier_key_format() -> None:
    public = SIGNER.public_key()
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    assert key_id(ORIGIN, public) == expected
    encoded = base64.b64encode(b"\x01" + public).decode()
    assert "+" in encoded  # the key's base64 holds a plus sign: only the first two split the key
    assert f"{ORIGIN}+{expected.hex()}+{encoded}" == VKEY
    assert parse_verifier_key(VKEY) == (ORIGIN, public)


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "no-plus-signs",
        "name+530d903a",
        "a+b+c+d",
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # ids are lower-case hex
        "example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # not base64
        "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k=",  # a 32-byte blob
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # algorithm 2
        "exa mple+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(InvalidInput):
        parse_verifier_key(vkey)


def test_a_verifier_key_whose_id_does_not_match_its_key_is_refused() -> None:
    with pytest.raises(IntegrityError):
        parse_verifier_key("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    with pytest.raises(IntegrityError):
        parse_verifier_key("example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")


@pytest.mark.parametrize("name", ["", "a+b", "a b", "tab\there", "new\nline"])
def test_key_names_must_be_plain(name: str) -> None:
    with pytest.raises(InvalidInput):
        verifier_key(name, SIGNER.public_key())
    with pytest.raises(InvalidInput):
        sign_note("text\n", name, SIGNER)


def test_checkpoint_text_and_parse_round_trip() -> None:
    checkpoint = Checkpoint(ORIGIN, 12345, ROOT, ("extension one", "two"))
    text = checkpoint.text()
    assert text == f"{ORIGIN}\n12345\n{base64.b64encode(ROOT).decode()}\nextension one\ntwo\n"
    assert Checkpoint.parse(text) == checkpoint
    assert Checkpoint.parse(Checkpoint(ORIGIN, 0, ROOT).text()).size == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "origin\n1\n",
        f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}",  # no final newline
        f"{ORIGIN}\n01\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n+1\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n١\n{base64.b64encode(ROOT).decode()}\n",  # a non-ASCII digit
        f"{ORIGIN}\n{2**64}\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n",
        f"{ORIGIN}\n1\n{URLSAFE}\n",  # not std base64
        f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode().rstrip('=')}\n",  # unpadded
        f"\n1\n{base64.b64encode(ROOT).decode()}\n",
        f"two words\n1\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n1\n{base64.b64encode(ROOT).decode()}\n\nblank extension\n",
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(IntegrityError, match=r"^malformed checkpoint$"):
        Checkpoint.parse(text)


def test_checkpoint_fields_are_checked_when_built() -> None:
    with pytest.raises(InvalidInput, match="root"):
        Checkpoint(ORIGIN, 1, b"short")
    with pytest.raises(InvalidInput, match="size"):
        Checkpoint(ORIGIN, -1, ROOT)
    with pytest.raises(InvalidInput, match="extensions"):
        Checkpoint(ORIGIN, 1, ROOT, ("two\nlines",))


def test_sign_then_open_round_trips() -> None:
    note = _head(7, "ext")
    assert note.endswith("\n")
    assert "\n\n— " + ORIGIN + " " in note
    assert open_checkpoint(note, VKEY, origin=ORIGIN) == Checkpoint(ORIGIN, 7, ROOT, ("ext",))


@pytest.mark.parametrize("text", ["no newline", "", "\n", "blank\n\nline\n", "ctrl\x07\n"])
def test_sign_note_refuses_text_a_note_cannot_carry(text: str) -> None:
    with pytest.raises(InvalidInput):
        sign_note(text, ORIGIN, SIGNER)


def test_cosign_keeps_both_signatures_valid() -> None:
    note = cosign(_head(), "witness.example", WITNESS)
    assert note.count("\n— ") == 2
    assert open_checkpoint(note, VKEY).size == 7
    assert open_checkpoint(note, WITNESS_VKEY).size == 7
    assert cosign(note, "witness.example", WITNESS) == note  # cosigning twice changes nothing


def test_cosign_refuses_a_note_with_a_forged_line_of_its_own_key() -> None:
    forged = sign_note(Checkpoint(ORIGIN, 8, ROOT).text(), ORIGIN, SIGNER).split("\n\n")[1]
    note = _head() + forged
    with pytest.raises(IntegrityError):
        cosign(note, ORIGIN, SIGNER)


def test_a_note_signed_by_another_key_is_refused() -> None:
    with pytest.raises(IntegrityError, match=f"^note is not signed by {ORIGIN}$"):
        open_note(sign_note("text\n", "witness.example", WITNESS), VKEY)
    other = Ed25519Signer(bytes(32))  # same name, other key: its lines are another key's
    with pytest.raises(IntegrityError, match="not signed by"):
        open_note(sign_note("text\n", ORIGIN, other), VKEY)


def test_a_bad_signature_of_the_known_key_fails_even_beside_a_good_one() -> None:
    good = _head()
    bad_line = sign_note("other text\n", ORIGIN, SIGNER).split("\n\n")[1]
    with pytest.raises(IntegrityError, match=r"^signature does not verify$"):
        open_note(good + bad_line, VKEY)


def test_a_changed_checkpoint_fails() -> None:
    note = _head(7)
    with pytest.raises(IntegrityError, match=r"^signature does not verify$"):
        open_checkpoint(note.replace(f"{ORIGIN}\n7\n", f"{ORIGIN}\n8\n"), VKEY)


def test_open_checkpoint_checks_the_origin() -> None:
    with pytest.raises(IntegrityError, match="origin"):
        open_checkpoint(_head(), VKEY, origin="another.example/log")


def test_a_signed_note_that_is_no_checkpoint_is_refused() -> None:
    with pytest.raises(IntegrityError, match=r"^malformed checkpoint$"):
        open_checkpoint(sign_note("just text\n", ORIGIN, SIGNER), VKEY)


def _malformed_notes() -> list[str]:
    good = _head()
    text, block = good.split("\n\n")
    return [
        "",
        text,  # no signature block
        text + "\n\n",  # an empty one
        good[:-1],  # no final newline
        text + "\n\n" + block.replace("— ", "- "),  # a hyphen, not an em dash
        text + "\n\n" + block.replace("— ", "—"),
        text + "\n\n" + block.replace(" ", "  ", 2),
        text + "\n\n" + block.replace("=", ""),  # unpadded base64
        text + "\n\n" + block + "\n",  # a blank line after the signatures
        text + "\n\n" + "— " + ORIGIN + " AAAA\n",  # no room for a signature after the key id
        text + "\n\n" + "— a+b " + block.split(" ")[2],  # a name with a plus
        text.replace("\n", "\r\n", 1) + "\n\n" + block,
        "\x00" + good,
        "\n\n" + block,  # no text
        good.replace("\n", "\ud800\n", 1),  # a lone surrogate is not UTF-8
        text + "\n\n" + block * 101,
        good + "x" * (1 << 20),
    ]


@pytest.mark.parametrize("note", _malformed_notes(), ids=range(len(_malformed_notes())))
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(IntegrityError, match=r"^malformed note$"):
        open_note(note, VKEY)


def test_a_note_with_many_unknown_signers_still_opens_up_to_the_cap() -> None:
    note = _head()
    for number in range(99):
        note = cosign(note, f"w{number}", Ed25519Signer(bytes([number]) * 32))
    assert open_checkpoint(note, VKEY).size == 7
    with pytest.raises(InvalidInput):
        cosign(note, "one-too-many", WITNESS)
