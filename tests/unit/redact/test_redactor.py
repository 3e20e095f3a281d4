from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import pytest

import veil.redact
from tests.unit.redact._support import HEX16, ListNer, small_detector
from veil.detect import Detector, Entity, Finding, default_detector
from veil.errors import InvalidInput
from veil.redact import Drop, Hash, Mask, Pseudonymize, PseudonymSession, Redactor, Tag


def test_tags_are_numbered_per_entity_in_order_of_first_appearance() -> None:
    redactor = Redactor(small_detector())
    text = "EMP-000002 and Bo Chen, then EMP-000001, Ana Lima, EMP-000002"
    assert redactor.redact(text) == (
        "<EMPLOYEE_ID_1> and <PERSON_1>, then <EMPLOYEE_ID_2>, <PERSON_2>, <EMPLOYEE_ID_1>"
    )


def test_numbering_restarts_with_each_call_without_a_session() -> None:
    redactor = Redactor(small_detector())
    assert redactor.redact("EMP-000002") == "<EMPLOYEE_ID_1>"
    assert redactor.redact("EMP-000003") == "<EMPLOYEE_ID_1>"


def test_a_session_keeps_tags_consistent_across_calls_and_restores_them() -> None:
    session = PseudonymSession()
    redactor = Redactor(small_detector(), session=session)
    first, second = redactor.redact("Ana Lima"), redactor.redact("Bo Chen and Ana Lima")
    assert (first, second) == ("<PERSON_1>", "<PERSON_2> and <PERSON_1>")
    assert session.restore(second) == "Bo Chen and Ana Lima"


def test_replacements_map_old_and_new_offsets_without_values() -> None:
    text = "hi Ana Lima, id EMP-123456."
    result = Redactor(small_detector()).apply(text)
    assert result.text == "hi <PERSON_1>, id <EMPLOYEE_ID_1>."
    spans = [(text[r.start:r.end], result.text[r.new_start:r.new_end]) for r in result.replacements]
    assert spans == [("Ana Lima", "<PERSON_1>"), ("EMP-123456", "<EMPLOYEE_ID_1>")]
    assert [r.operator for r in result.replacements] == ["tag", "tag"]
    assert "Ana" not in repr(result.replacements)


def test_drop_removes_the_value_and_reports_an_empty_new_span() -> None:
    result = Redactor(small_detector(), default=Drop()).apply("id EMP-123456!")
    assert result.text == "id !"
    (only,) = result.replacements
    assert (only.start, only.end, only.new_start, only.new_end, only.operator) == (3, 13, 3, 3, "drop")


def test_policy_picks_the_operator_per_entity_by_enum_or_name() -> None:
    redactor = Redactor(small_detector(), policy={Entity.PERSON: Mask(), "EMPLOYEE_ID": Drop()})
    assert redactor.redact("Ana Lima EMP-123456") == "******** "
    assert redactor.operator_for("PERSON") == Mask()
    assert redactor.operator_for("OTHER") == Tag()


def test_policy_values_must_be_operators() -> None:
    with pytest.raises(InvalidInput, match="Operator"):
        Redactor(policy={Entity.PERSON: "mask"})  # type: ignore[dict-item]


def test_findings_inside_tokens_veil_wrote_are_ignored() -> None:
    redactor = Redactor(Detector(recognizers=[HEX16]))
    text = "<EMAIL_ADDRESS:0123456789abcdef> and 0123456789abcdef"
    assert redactor.redact(text) == "<EMAIL_ADDRESS:0123456789abcdef> and <HEX_1>"


def test_new_tags_skip_numbers_already_used_in_the_text() -> None:
    redactor = Redactor(small_detector())
    assert redactor.redact("<EMPLOYEE_ID_1> met EMP-123456") == "<EMPLOYEE_ID_1> met <EMPLOYEE_ID_2>"


@pytest.mark.parametrize("operator", [Tag(), Mask(), Hash(b"k" * 16), Drop()])
def test_redacting_redacted_text_changes_nothing(operator: object) -> None:
    redactor = Redactor(default=operator)  # type: ignore[arg-type]
    text = "Mail ana@example.org, card 4111 1111 1111 1111 from 10.1.2.3; password: hunter2hunter2x9Q"
    once = redactor.redact(text)
    assert redactor.redact(once) == once
    assert "ana@example.org" not in once
    assert "4111" not in once


def test_default_redaction_leaves_no_detected_entity_behind() -> None:
    text = "Ana (ana.lima@example.org, +44 20 7946 0958) paid with 4111 1111 1111 1111 from 10.1.2.3"
    once = veil.redact.redact(text)
    assert default_detector().detect(once) == []
    assert once == "Ana (<EMAIL_ADDRESS_1>, <PHONE_NUMBER_1>) paid with <CREDIT_CARD_1> from <IP_ADDRESS_1>"


def test_redact_findings_applies_only_the_findings_given() -> None:
    finding = Finding(0, 3, Entity.PERSON, 1.0, "manual")
    assert Redactor(small_detector()).redact_findings("Ana EMP-123456", [finding]).text == "<PERSON_1> EMP-123456"


@pytest.mark.parametrize(("findings", "message"), [
    ([Finding(0, 5, Entity.PERSON, 1.0, "m"), Finding(3, 7, Entity.PERSON, 1.0, "m")], "overlap"),
    ([Finding(2, 40, Entity.PERSON, 1.0, "m")], "finding 0 is outside the text"),
])
def test_redact_findings_refuses_overlapping_or_out_of_range_findings(findings: list[Finding],
                                                                      message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        Redactor(small_detector()).redact_findings("Ana Lima is here", findings)
    assert "Ana" not in str(caught.value)


def test_redact_many_batches_detection_through_the_ner_model() -> None:
    ner = ListNer(["Ana", "Bo"])
    redactor = Redactor(Detector(recognizers=[], ner=ner))
    results = list(redactor.redact_many(["Ana met Bo", "Bo", "nobody"]))
    assert [r.text for r in results] == ["<PERSON_1> met <PERSON_2>", "<PERSON_1>", "nobody"]
    # One batch for all three texts, one for re-checking the two that changed.
    assert ner.batches == [3, 2]


def test_a_neighbour_exposed_by_a_replacement_is_redacted_too() -> None:
    # Alone, nine bare digits sit below the threshold; once the dashed SSN before them
    # becomes <US_SSN_1>, the word "SSN" is next to them and lifts them over it.
    text = "123-45-6780 219099998"
    assert [f.entity for f in default_detector().detect(text)] == [Entity.US_SSN]
    redactor = Redactor()
    once = redactor.redact(text)
    assert once == "<US_SSN_1> <US_SSN_2>"
    assert redactor.redact(once) == once


def test_redact_many_reads_its_input_lazily() -> None:
    def endless() -> Iterator[str]:
        number = 0
        while True:
            number += 1
            yield f"EMP-{number:06d}"

    firsts = list(islice(Redactor(small_detector()).redact_many(endless()), 3))
    assert [r.text for r in firsts] == ["<EMPLOYEE_ID_1>"] * 3


def test_pseudonymize_in_a_policy_restores_through_its_session() -> None:
    session = PseudonymSession()
    redactor = Redactor(small_detector(), policy={Entity.PERSON: Pseudonymize(session)})
    hidden = redactor.redact("Ana Lima, EMP-123456")
    assert hidden == "<PERSON_1>, <EMPLOYEE_ID_1>"
    assert session.restore(hidden) == "Ana Lima, <EMPLOYEE_ID_1>"


def test_redact_refuses_non_text() -> None:
    with pytest.raises(InvalidInput):
        Redactor(small_detector()).redact(b"bytes")  # type: ignore[arg-type]


def test_veil_redact_is_both_a_package_and_a_function() -> None:
    assert veil.redact("mail ana@example.org") == "mail <EMAIL_ADDRESS_1>"  # type: ignore[operator]
    assert veil.redact.redact("mail ana@example.org") == "mail <EMAIL_ADDRESS_1>"


def test_all_is_sorted_and_names_every_public_name() -> None:
    public = {n for n in vars(veil.redact) if not n.startswith("_")} - {"annotations", "make_callable"}
    assert veil.redact.__all__ == sorted(veil.redact.__all__)
    assert set(veil.redact.__all__) == public
