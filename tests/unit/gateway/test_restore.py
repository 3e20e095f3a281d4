from __future__ import annotations

import pytest

from veil.detect import Entity
from veil.gateway import StreamRestorer, restore_text
from veil.gateway._restore import _MAX_TAG_LENGTH
from veil.redact import PseudonymSession


@pytest.fixture
def session() -> PseudonymSession:
    session = PseudonymSession()
    assert session.pseudonym(Entity.PERSON, "Ana Lima") == "<PERSON_1>"
    assert session.pseudonym(Entity.EMAIL_ADDRESS, "ana@example.org") == "<EMAIL_ADDRESS_1>"
    return session


def _streamed(session: PseudonymSession, deltas: list[str]) -> list[str]:
    restorer = StreamRestorer(session)
    return [restorer.feed(delta) for delta in deltas] + [restorer.flush()]


@pytest.mark.parametrize("variant", [
    "<PERSON_1>", "<person_1>", "<Person_1>", "< PERSON_1 >", "<PERSON_1 >", "<\tPERSON_1>",
    r"\<PERSON_1\>", r"\<PERSON\_1\>", r"\<PERSON_1>", "&lt;PERSON_1&gt;", "&LT;person_1&GT;",
])
def test_restore_text_accepts_the_variants_models_write(session: PseudonymSession, variant: str) -> None:
    assert restore_text(session, f"Hello {variant}!") == "Hello Ana Lima!"


@pytest.mark.parametrize(("wrapped", "expected"), [
    ("**<PERSON_1>**", "**Ana Lima**"), ("`<PERSON_1>`", "`Ana Lima`"), ("_<PERSON_1>_", "_Ana Lima_"),
    ("[<EMAIL_ADDRESS_1>](mailto:<EMAIL_ADDRESS_1>)", "[ana@example.org](mailto:ana@example.org)"),
])
def test_surrounding_markdown_stays_around_the_original(session: PseudonymSession, wrapped: str,
                                                        expected: str) -> None:
    assert restore_text(session, wrapped) == expected


@pytest.mark.parametrize("text", [
    "<PERSON_2>", "<EMAIL_ADDRESS_2>", "<LOCATION_1>", "<PERSON>", "<PERSON_01>", "<PERSON_1", "PERSON_1",
    "<PERSON _1>", "PERSON_1>", "<PERSΟN_1>", "<PERſON_1>", "&lt;PERSON_1&gt", "\\<PERSON_1\\",
])
def test_tags_the_session_did_not_issue_stay_as_they_are(session: PseudonymSession, text: str) -> None:
    assert restore_text(session, text) == text
    assert "".join(_streamed(session, [text])) == text


def test_a_short_tag_is_never_read_inside_a_longer_one() -> None:
    session = PseudonymSession()
    for number in range(1, 11):
        session.pseudonym(Entity.PERSON, f"person {number}")
    text = "<PERSON_10> <PERSON_1> <PERSON_100> <person_10 >"
    expected = "person 10 person 1 <PERSON_100> person 10"
    assert restore_text(session, text) == expected
    assert "".join(_streamed(session, ["<PERSON_1", "0> <PERSON_1", "> <PERSON_10", "0> <person_1", "0 >"])) == (
        expected
    )


def test_an_empty_session_restores_nothing() -> None:
    assert restore_text(PseudonymSession(), "<PERSON_1>") == "<PERSON_1>"


def test_a_tag_split_across_deltas_is_emitted_whole_once_complete(session: PseudonymSession) -> None:
    assert _streamed(session, ["Hi <PER", "SON", "_1", "> and &l", "t;email_address_1&g", "t;."]) == [
        "Hi ", "", "", "Ana Lima and ", "", "ana@example.org.", "",
    ]


def test_every_character_as_its_own_delta_gives_the_whole_restored(session: PseudonymSession) -> None:
    text = r"**< person_1 >** wrote \<EMAIL\_ADDRESS\_1\> &lt;PERSON_1&gt; <PERSON_2>"
    pieces = _streamed(session, list(text))
    assert "".join(pieces) == restore_text(session, text)
    assert "Ana Lima" in pieces  # each original comes out whole, in one piece
    assert "ana@example.org" in pieces


def test_a_stray_less_than_in_code_is_released_as_soon_as_it_cannot_be_a_tag(
        session: PseudonymSession) -> None:
    assert _streamed(session, ["if a < b:", " return"]) == ["if a < b:", " return", ""]
    assert _streamed(session, ["if a <", " b", ":\n"]) == ["if a ", "", "< b:\n", ""]
    assert _streamed(session, ["x &", "amp; y \\", "n"]) == ["x ", "&amp; y ", "\\n", ""]


def test_an_open_bracket_is_held_no_longer_than_a_tag_body_can_be(session: PseudonymSession) -> None:
    restorer = StreamRestorer(session)
    held_back = "<" + "a" * 64
    assert "".join(restorer.feed(char) for char in held_back) == ""
    assert restorer.feed("a") == held_back + "a"  # 65 letters: no tag is that long
    assert restorer.feed("a" * _MAX_TAG_LENGTH) == "a" * _MAX_TAG_LENGTH
    assert restorer.flush() == ""


def test_a_long_delta_is_restored_and_only_its_open_tail_held(session: PseudonymSession) -> None:
    body = "word <PERSON_1> " * 5_000
    restorer = StreamRestorer(session)
    assert restorer.feed(body + "<EMAIL_ADD") == "word Ana Lima " * 5_000
    assert restorer.feed("RESS_1>") == "ana@example.org"
    assert restorer.flush() == ""


def test_empty_deltas_emit_nothing_and_change_nothing(session: PseudonymSession) -> None:
    assert _streamed(session, ["", "<PERSON", "", "", "_1>", ""]) == ["", "", "", "", "Ana Lima", "", ""]
    assert _streamed(session, []) == [""]


@pytest.mark.parametrize("original", ["José Ñúñez", "李雷", "Zoë 🙂 O'Neil", "<PERSON_1>", "a\\<b"])
def test_unicode_and_tag_like_originals_come_back_verbatim(original: str) -> None:
    session = PseudonymSession()
    tag = session.pseudonym(Entity.PERSON, original)
    text = f"« {tag} » &lt;{tag[1:-1]}&gt;"
    assert restore_text(session, text) == f"« {original} » {original}"
    assert "".join(_streamed(session, [text[:4], text[4:9], text[9:]])) == f"« {original} » {original}"


def test_repr_shows_a_length_never_the_held_text(session: PseudonymSession) -> None:
    restorer = StreamRestorer(session)
    restorer.feed("hello <PERS")
    assert repr(restorer) == "StreamRestorer(held=5)"
