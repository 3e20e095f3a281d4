"""The benchmark scorer on tiny hand-made cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench.score import (
    COARSE,
    Record,
    count_record,
    load_pred,
    prf,
    score,
    score_files,
)

TEXT = "Ana Lima, ana@example.org, born 1990-01-02, lives at 5 Elm St, Porto."
PERSON = (0, 8, "PERSON")
EMAIL = (10, 25, "EMAIL_ADDRESS")
DOB = (32, 42, "DATE_OF_BIRTH")
STREET = (53, 61, "STREET_ADDRESS")
CITY = (63, 68, "LOCATION")


def test_spans_used_in_these_tests_cover_the_intended_words() -> None:
    assert [TEXT[s:e] for s, e, _ in (PERSON, EMAIL, DOB, STREET, CITY)] == [
        "Ana Lima", "ana@example.org", "1990-01-02", "5 Elm St", "Porto"]


def test_exact_span_and_label_counts_in_strict_and_overlap() -> None:
    counts = count_record([EMAIL], [EMAIL], {})["EMAIL_ADDRESS"]
    assert (counts.gold, counts.pred, counts.strict_tp) == (1, 1, 1)
    assert (counts.overlap_pred_tp, counts.overlap_gold_tp, counts.leaked) == (1, 1, 0)


def test_partial_span_counts_in_overlap_but_not_strict() -> None:
    counts = count_record([PERSON], [(0, 3, "PERSON")], {})["PERSON"]
    assert counts.strict_tp == 0
    assert (counts.overlap_pred_tp, counts.overlap_gold_tp) == (1, 1)
    m = counts.metrics()
    assert m["strict"] == {"p": 0.0, "r": 0.0, "f1": 0.0}
    assert m["overlap"] == {"p": 1.0, "r": 1.0, "f1": 1.0}


def test_wrong_label_is_a_miss_and_a_false_alarm_but_not_a_leak() -> None:
    counts = count_record([EMAIL], [(10, 25, "URL")], {})
    assert counts["EMAIL_ADDRESS"].strict_tp == 0
    assert counts["EMAIL_ADDRESS"].overlap_gold_tp == 0
    assert counts["EMAIL_ADDRESS"].leaked == 0
    assert counts["URL"].pred == 1
    assert counts["URL"].overlap_pred_tp == 0


def test_coarse_mapping_applies_to_gold_and_predictions() -> None:
    gold = [DOB, STREET]
    pred = [(32, 42, "DATE_TIME"), (53, 61, "STREET_ADDRESS")]
    counts = count_record(gold, pred, COARSE)
    assert counts["DATE_TIME"].strict_tp == 1
    assert counts["LOCATION"].strict_tp == 1
    assert "DATE_OF_BIRTH" not in counts
    native = count_record(gold, pred, {})
    assert native["DATE_OF_BIRTH"].strict_tp == 0
    assert native["DATE_TIME"].pred == 1


def test_presidio_names_map_to_veil_names() -> None:
    counts = count_record([(0, 9, "PASSPORT")], [(0, 9, "US_PASSPORT")], COARSE)
    assert counts["PASSPORT"].strict_tp == 1


def test_leak_rate_counts_gold_spans_no_prediction_overlaps() -> None:
    gold = {"a": Record(TEXT, "note", [PERSON, EMAIL, DOB, STREET])}
    pred = {"a": [(10, 20, "URL"), (0, 3, "PERSON")]}
    result = score(gold, pred)
    assert result["leak_rate"] == 0.5
    assert result["not_fully_covered_rate"] == 1.0


def test_not_fully_covered_accepts_adjacent_predictions_that_together_cover_a_span() -> None:
    gold = {"a": Record(TEXT, "note", [PERSON])}
    assert score(gold, {"a": [(0, 3, "PERSON"), (3, 8, "LOCATION")]})["not_fully_covered_rate"] == 0.0
    assert score(gold, {"a": [(0, 3, "PERSON"), (4, 8, "PERSON")]})["not_fully_covered_rate"] == 1.0


def test_pii_free_share_counts_records_without_gold_with_any_prediction() -> None:
    gold = {"a": Record("order 1", "pii_free", []), "b": Record("v1.2", "pii_free", []),
            "c": Record(TEXT, "note", [PERSON])}
    pred = {"a": [(6, 7, "PHONE_NUMBER")], "b": [], "c": []}
    free = score(gold, pred)["pii_free"]
    assert (free["records"], free["flagged"], free["share"]) == (2, 1, 0.5)
    assert free["flagged_by_label"] == {"PHONE_NUMBER": 1}


def test_core_micro_sums_only_core_labels() -> None:
    gold = {"a": Record(TEXT, "note", [PERSON, EMAIL, (0, 2, "UK_NINO")])}
    pred = {"a": [PERSON, (10, 20, "EMAIL_ADDRESS"), (30, 31, "ORGANIZATION")]}
    micro = score(gold, pred)["core_micro"]
    assert (micro["gold"], micro["pred"]) == (2, 2)
    assert micro["strict"] == {"p": 0.5, "r": 0.5, "f1": 0.5}
    assert micro["overlap"]["f1"] == 1.0


def test_duplicate_predictions_count_once() -> None:
    counts = count_record([EMAIL], [EMAIL, EMAIL], {})["EMAIL_ADDRESS"]
    assert (counts.pred, counts.strict_tp) == (1, 1)


@pytest.mark.parametrize(
    ("args", "expected"),
    [((0, 0, 0, 0), {"p": 1.0, "r": 1.0, "f1": 1.0}),
     ((0, 2, 0, 0), {"p": 0.0, "r": 0.0, "f1": 0.0}),
     ((1, 2, 1, 4), {"p": 0.5, "r": 0.25, "f1": 0.3333})],
)
def test_prf_edge_cases(args: tuple[int, int, int, int], expected: dict[str, float]) -> None:
    assert prf(*args) == expected


def test_files_round_trip_and_min_score_filters_predictions(tmp_path: Path) -> None:
    gold_path, pred_path = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    spans = [{"start": s, "end": e, "label": lbl} for s, e, lbl in (PERSON, EMAIL)]
    gold_path.write_text(json.dumps({"id": "r1", "category": "note", "text": TEXT, "spans": spans}) + "\n")
    pred = [{"start": 0, "end": 8, "label": "PERSON", "score": 0.4},
            {"start": 10, "end": 25, "label": "EMAIL_ADDRESS", "score": 0.9}]
    pred_path.write_text(json.dumps({"id": "r1", "pred": pred}) + "\n")
    assert load_pred(pred_path, min_score=0.5) == {"r1": [EMAIL]}
    result = score_files(gold_path, pred_path, min_score=0.5)
    assert result["per_label"]["EMAIL_ADDRESS"]["strict"]["f1"] == 1.0
    assert result["per_label"]["PERSON"]["strict"]["r"] == 0.0
    assert result["leak_rate"] == 0.5
    assert result["per_label_native"]["PERSON"]["leaked"] == 1


def test_missing_prediction_rows_are_counted_and_treated_as_empty() -> None:
    gold = {"a": Record(TEXT, "note", [PERSON])}
    result = score(gold, {})
    assert result["missing_predictions"] == 1
    assert result["leak_rate"] == 1.0
