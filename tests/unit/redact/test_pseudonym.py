from __future__ import annotations

import pytest

from tests.unit.redact._support import small_detector
from veil.detect import Entity
from veil.redact import Pseudonymize, PseudonymSession, Redactor


def _hidden(session: PseudonymSession, text: str) -> str:
    return Redactor(small_detector(), default=Pseudonymize(session)).redact(text)


def test_pseudonymize_round_trips_through_restore() -> None:
    session = PseudonymSession()
    text = "Ana Lima (EMP-123456) met Bo Chen and Ana Lima"
    hidden = _hidden(session, text)
    assert hidden == "<PERSON_1> (<EMPLOYEE_ID_1>) met <PERSON_2> and <PERSON_1>"
    assert session.restore(hidden) == text


@pytest.mark.parametrize("variant", ["<person_1>", "<Person_1>", "< PERSON_1 >", "<PERSON_1 >"])
def test_restore_accepts_the_case_and_spacing_variants_models_write(variant: str) -> None:
    session = PseudonymSession()
    _hidden(session, "Ana Lima")
    assert session.restore(f"Hello {variant}!") == "Hello Ana Lima!"


def test_restore_never_reads_a_short_tag_inside_a_longer_one() -> None:
    session = PseudonymSession()
    for number in range(1, 11):
        session.pseudonym(Entity.PERSON, f"person {number}")
    assert session.restore("<PERSON_10> <PERSON_1> <PERSON_100> <PERSON_01>") == (
        "person 10 person 1 <PERSON_100> <PERSON_01>"
    )


def test_restore_leaves_unknown_tags_and_other_sessions_tags_alone() -> None:
    mine, other = PseudonymSession(), PseudonymSession()
    _hidden(mine, "Ana Lima")
    _hidden(other, "Bo Chen")
    assert mine.restore("<PERSON_1> <EMAIL_ADDRESS_1>") == "Ana Lima <EMAIL_ADDRESS_1>"
    assert other.restore("<PERSON_1>") == "Bo Chen"


def test_sessions_are_isolated_and_number_on_their_own() -> None:
    first, second = PseudonymSession(), PseudonymSession()
    assert _hidden(first, "Ana Lima") == _hidden(second, "Bo Chen") == "<PERSON_1>"
    assert first.original("<PERSON_1>") == "Ana Lima"
    assert second.original("<person_1>") == "Bo Chen"
    assert first.original("<PERSON_2>") is None


def test_repr_shows_a_count_never_an_original() -> None:
    session = PseudonymSession()
    _hidden(session, "Ana Lima EMP-123456")
    assert repr(session) == "PseudonymSession(entries=2)"
    assert "Ana" not in repr(Pseudonymize(session))
    assert len(session) == 2


def test_clear_forgets_every_original() -> None:
    session = PseudonymSession()
    hidden = _hidden(session, "Ana Lima")
    session.clear()
    assert session.restore(hidden) == hidden
    assert len(session) == 0


@pytest.mark.parametrize(("entity", "tag"), [("employee id", "<employee_id_1>"), ("EMP-ID", "<EMP_ID_1>"),
                                             ("9LIVES", "<E_9LIVES_1>"), ("", "<E__1>")])
def test_custom_entity_names_become_tags_that_restore(entity: str, tag: str) -> None:
    session = PseudonymSession()
    assert session.pseudonym(entity, "Ana Lima") == tag
    assert session.restore(f"hi {tag}") == "hi Ana Lima"
