from __future__ import annotations

import itertools

import pytest

import veil
from veil.detect import Detector, Entity, Finding, Pattern, Recognizer, detect
from veil.detect._resolve import resolve_overlaps
from veil.errors import InvalidInput

NINE_DIGITS = Recognizer(
    name="nine",
    entity=Entity.US_SSN,
    patterns=(Pattern("nine", r"(?<!\d)\d{9}(?!\d)", 0.3),),
    context=("ssn",),
    negative_context=("order",),
)


def test_context_word_moves_a_weak_candidate_over_the_default_threshold() -> None:
    detector = Detector(recognizers=[NINE_DIGITS])
    assert detector.detect("id 219099998") == []
    assert [f.score for f in detector.detect("SSN 219099998")] == [pytest.approx(0.65)]


def test_negative_context_lowers_the_score() -> None:
    detector = Detector(recognizers=[NINE_DIGITS], threshold=0.0)
    (plain,) = detector.detect("x 219099998")
    (order,) = detector.detect("order 219099998")
    assert order.score < plain.score


def test_requires_context_drops_candidates_without_a_context_word() -> None:
    passport = Recognizer("p", Entity.PASSPORT, (Pattern("p", r"\b[A-Z]\d{8}\b", 0.6),),
                          context=("passport",), requires_context=True)
    detector = Detector(recognizers=[passport])
    assert detector.detect("code X12345678") == []
    assert len(detector.detect("passport X12345678")) == 1


def test_allow_list_suppresses_exact_values() -> None:
    detector = Detector(allow=["support@veil.example"])
    assert detector.detect("mail support@veil.example or ana@example.org") == [
        Finding(29, 44, Entity.EMAIL_ADDRESS, 1.0, "email")
    ]


def test_deny_list_always_reports_its_terms() -> None:
    detector = Detector(recognizers=[], deny={"Project Nightingale": "CODENAME", "Ana Lima": Entity.PERSON})
    found = detector.detect("Ana Lima leads Project Nightingale.")
    assert [(f.entity, f.score) for f in found] == [(Entity.PERSON, 1.0), ("CODENAME", 1.0)]


def test_entities_restricts_what_is_reported() -> None:
    text = "ana@example.org from 10.0.0.1"
    assert [f.entity for f in Detector(entities=[Entity.IP_ADDRESS]).detect(text)] == [Entity.IP_ADDRESS]


def test_threshold_outside_unit_interval_is_refused() -> None:
    with pytest.raises(InvalidInput, match="threshold"):
        Detector(threshold=1.5)


def test_non_string_input_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="str"):
        detect(b"bytes")  # type: ignore[arg-type]


def test_empty_text_has_no_findings() -> None:
    assert detect("") == []


def test_offsets_are_code_points_not_bytes() -> None:
    text = "Grüße 🙂 an ana@example.org"
    (finding,) = detect(text)
    assert text[finding.start:finding.end] == "ana@example.org"


def test_findings_never_overlap_and_are_sorted() -> None:
    text = "https://example.com/?u=ana@example.org 4111 1111 1111 1111 on 2024-01-15"
    found = detect(text)
    assert found == sorted(found)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_url_containing_an_email_is_reported_whole() -> None:
    text = "go to https://example.com/?u=ana@example.org now"
    assert [(text[f.start:f.end], f.entity) for f in detect(text)] == [
        ("https://example.com/?u=ana@example.org", Entity.URL)
    ]


def test_resolution_prefers_priority_then_length() -> None:
    low = Finding(0, 10, Entity.PHONE_NUMBER, 0.9, "phone")
    high = Finding(2, 8, Entity.CREDIT_CARD, 0.6, "card")
    priority = {"phone": 50, "card": 90}
    assert resolve_overlaps([low, high], lambda f: priority[f.recognizer]) == [high]


def test_finding_repr_holds_no_value() -> None:
    text = "ana@example.org"
    (finding,) = detect(text)
    assert "ana" not in repr(finding)
    assert finding.to_dict() == {"start": 0, "end": 15, "label": "EMAIL_ADDRESS",
                                 "score": 0.95, "recognizer": "email"}


def test_veil_detect_is_callable_as_function_and_package() -> None:
    import veil.detect as package

    assert veil.detect("ana@example.org") == package("ana@example.org")


def test_hyperscan_and_plain_re_backends_agree() -> None:
    text = ("Ana (ana@example.org, +44 20 7946 0958) paid 4111 1111 1111 1111 from 10.1.2.3 "
            "on 2024-01-15; IBAN DE89 3704 0044 0532 0130 00; SSN 123-45-6780")
    assert Detector(use_hyperscan=False).detect(text) == Detector().detect(text)


def test_veil_detect_stays_the_package_for_attribute_access() -> None:
    import veil.detect as package

    assert package.Detector is Detector


def test_a_name_found_once_is_found_wherever_its_parts_stand_alone() -> None:
    text = "Customer: Hi, this is Maria Keller.\nAgent: Sorry about that, Maria. Marianne?"
    found = [(text[f.start:f.end], f.recognizer) for f in detect(text) if f.entity == Entity.PERSON]
    assert found == [("Maria Keller", "labelled_person"), ("Maria", "name_echo")]


def test_name_echoes_respect_the_threshold() -> None:
    text = "Maria Keller called. Sorry, Maria."
    deny = {"Maria Keller": Entity.PERSON}
    assert [text[f.start:f.end] for f in Detector(deny=deny).detect(text)] == ["Maria Keller", "Maria"]
    assert [text[f.start:f.end] for f in Detector(deny=deny, threshold=0.65).detect(text)] == ["Maria Keller"]


def test_a_secret_inside_a_url_is_reported_as_the_secret() -> None:
    key = "AIza" + "Sy" + "B1x9Kq3LmN7pR2tV5wY8zA4cE6gH0jK2m"  # 39 characters
    text = f"GET https://maps.example.com/api?key={key} 200"
    assert Entity.GCP_API_KEY in [f.entity for f in detect(text)]
