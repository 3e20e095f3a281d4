"""``veil detect``: formats, options, exit statuses, stdin, batch mode."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ._helpers import ROOT, Invoke, jsonl, one_line, write

TEXT = "Mail ana@example.org or call +44 20 7946 0958.\nCard 4111 1111 1111 1111\n"
EMAIL = "ana@example.org"


@pytest.fixture
def ticket(tmp_path: Path) -> str:
    return write(tmp_path / "ticket.txt", TEXT)


def test_findings_are_jsonl_with_offsets_and_no_values_by_default(veil_cli: Invoke, ticket: str) -> None:
    result = veil_cli("detect", ticket)
    assert result.exit_code == 1  # findings found
    rows = jsonl(result.stdout)
    assert [(r["label"], TEXT[r["start"]:r["end"]]) for r in rows] == [
        ("EMAIL_ADDRESS", EMAIL), ("PHONE_NUMBER", "+44 20 7946 0958"), ("CREDIT_CARD", "4111 1111 1111 1111"),
    ]
    assert {r["source"] for r in rows} == {ticket}
    assert all(set(r) == {"source", "start", "end", "label", "score", "recognizer"} for r in rows)
    assert EMAIL not in result.stdout
    assert "4111" not in result.stdout


def test_show_values_adds_the_matched_value(veil_cli: Invoke, ticket: str) -> None:
    rows = jsonl(veil_cli("detect", ticket, "--show-values").stdout)
    assert rows[0]["value"] == EMAIL


def test_clean_input_exits_zero_with_no_output(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("detect", write(tmp_path / "clean.txt", "The meeting moved to the afternoon.\n"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_empty_input_is_fine(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("detect", write(tmp_path / "empty.txt", ""))
    assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize("args", [(), ("-",)])
def test_stdin_is_read_without_a_path_or_with_dash(veil_cli: Invoke, args: tuple[str, ...]) -> None:
    result = veil_cli("detect", *args, input=TEXT)
    assert result.exit_code == 1
    assert [r["source"] for r in jsonl(result.stdout)] == ["<stdin>"] * 3


def test_json_format_is_one_array(veil_cli: Invoke, ticket: str) -> None:
    result = veil_cli("detect", ticket, "--format", "json")
    document = json.loads(result.stdout)
    assert [row["label"] for row in document] == ["EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"]


def test_json_format_of_clean_input_is_an_empty_array(veil_cli: Invoke) -> None:
    result = veil_cli("detect", "--format", "json", input="nothing here\n")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_table_format_lists_findings_without_values(veil_cli: Invoke, ticket: str) -> None:
    result = veil_cli("detect", ticket, "--format", "table")
    assert result.exit_code == 1
    assert "3 findings" in result.stdout
    assert "EMAIL_ADDRESS" in result.stdout
    assert EMAIL not in result.stdout


def test_table_with_show_values_has_a_value_column(veil_cli: Invoke) -> None:
    result = veil_cli("detect", "--format", "table", "--show-values", input="write to ana@example.org\n")
    assert "value" in result.stdout
    assert EMAIL in result.stdout


def test_offsets_count_code_points_across_lines_and_chunks(veil_cli: Invoke, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("veil.cli._io.CHUNK_CHARS", 64)
    text = "ünïcödé line\n\n" * 20 + "mail ana@example.org\n\n" + "more text\n" * 20
    rows = jsonl(veil_cli("detect", write(tmp_path / "long.txt", text)).stdout)
    assert [text[r["start"]:r["end"]] for r in rows] == [EMAIL]


def test_entities_option_limits_the_types(veil_cli: Invoke, ticket: str) -> None:
    rows = jsonl(veil_cli("detect", ticket, "--entities", "EMAIL_ADDRESS, CREDIT_CARD").stdout)
    assert [r["label"] for r in rows] == ["EMAIL_ADDRESS", "CREDIT_CARD"]


def test_unknown_entity_is_a_usage_error(veil_cli: Invoke, ticket: str) -> None:
    result = veil_cli("detect", ticket, "--entities", "EMAIL_ADRESS")
    assert result.exit_code == 2
    assert one_line(result.stderr) == "error: unknown entity type 'EMAIL_ADRESS' (see veil.detect.Entity)"


def test_threshold_drops_lower_scores(veil_cli: Invoke) -> None:
    text = "the value 2024-03-18 09:42 and ana@example.org\n"
    low = {r["label"] for r in jsonl(veil_cli("detect", input=text).stdout)}
    high = {r["label"] for r in jsonl(veil_cli("detect", "--threshold", "0.9", input=text).stdout)}
    assert "DATE_TIME" in low
    assert high == {"EMAIL_ADDRESS"}


def test_threshold_out_of_range_is_a_usage_error(veil_cli: Invoke, ticket: str) -> None:
    assert veil_cli("detect", ticket, "--threshold", "1.5").exit_code == 2


def test_allowed_values_are_not_reported(veil_cli: Invoke, ticket: str) -> None:
    rows = jsonl(veil_cli("detect", ticket, "--allow", EMAIL, "--allow", "4111 1111 1111 1111").stdout)
    assert [r["label"] for r in rows] == ["PHONE_NUMBER"]


def test_custom_recognizers_file_adds_an_entity(veil_cli: Invoke) -> None:
    result = veil_cli("detect", "--recognizers", str(ROOT / "tests/fixtures/recognizers.toml"),
                      "--entities", "EMPLOYEE_ID", input="staff number EMP-123456\n")
    assert [r["label"] for r in jsonl(result.stdout)] == ["EMPLOYEE_ID"]


def test_missing_recognizers_file_is_a_usage_error(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("detect", "--recognizers", str(tmp_path / "none.toml"), input="x\n")
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith("error: ")
    assert "no such recognizer file" in result.stderr


def test_bad_recognizers_file_is_one_error_line(veil_cli: Invoke, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.toml", "[[recognizer]]\nname = 3\n")
    result = veil_cli("detect", "--recognizers", bad, input="x\n")
    assert result.exit_code == 1
    assert one_line(result.stderr).startswith("error: bad.toml")


def test_ner_without_spacy_is_one_line_naming_the_extra(veil_cli: Invoke, ticket: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "spacy", None)  # import fails as if the extra were missing
    result = veil_cli("detect", ticket, "--ner")
    assert result.exit_code == 1
    assert "pip install 'veil[ner]'" in one_line(result.stderr)


@pytest.mark.ner
def test_ner_finds_names_in_batch_mode(veil_cli: Invoke, tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    records = write(tmp_path / "r.jsonl", json.dumps({"id": 1, "text": "John Smith flew to Lisbon."}) + "\n")
    result = veil_cli("detect", "--ner", "--batch", records)
    if result.exit_code == 1 and "error:" in result.stderr:
        pytest.skip("no spaCy model installed")
    assert {p["label"] for p in jsonl(result.stdout)[0]["pred"]} >= {"PERSON"}


# --- batch mode -------------------------------------------------------------------------------------------


def test_batch_writes_one_id_and_pred_line_per_record(veil_cli: Invoke) -> None:
    result = veil_cli("detect", "--batch", str(ROOT / "examples/sample.jsonl"),
                      "--text-field", "text", "--id-field", "id")
    assert result.exit_code == 1
    lines = jsonl(result.stdout)
    records = jsonl((ROOT / "examples/sample.jsonl").read_text(encoding="utf-8"))
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    for line, record in zip(lines, records, strict=True):
        assert set(line) == {"id", "pred"}
        for pred in line["pred"]:
            assert set(pred) == {"start", "end", "label", "score"}
            assert 0 <= pred["start"] < pred["end"] <= len(record["text"])
    assert any(line["pred"] == [] for line in lines)


def test_batch_custom_fields_and_output_file(veil_cli: Invoke, tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", '{"key": "a", "body": "mail ana@example.org"}\n\n'
                   '{"key": "b", "body": "nothing"}\n')
    out = tmp_path / "out.jsonl"
    result = veil_cli("detect", "--batch", source, "--text-field", "body", "--id-field", "key", "-o", str(out))
    assert (result.exit_code, result.stdout) == (1, "")
    (first, second) = jsonl(out.read_text(encoding="utf-8"))
    (pred,) = first["pred"]
    assert first["id"] == "a"
    assert pred.pop("score") > 0.5
    assert pred == {"start": 5, "end": 20, "label": "EMAIL_ADDRESS"}
    assert second == {"id": "b", "pred": []}


def test_batch_spans_more_than_one_detection_batch(veil_cli: Invoke, tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, "text": f"user{i}@example.org" if i % 2 else "none"}) for i in range(150)]
    result = veil_cli("detect", "--batch", write(tmp_path / "many.jsonl", "\n".join(lines)))
    out = jsonl(result.stdout)
    assert [o["id"] for o in out] == list(range(150))
    assert [bool(o["pred"]) for o in out] == [bool(i % 2) for i in range(150)]


def test_batch_record_without_the_text_field_names_the_line(veil_cli: Invoke, tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", '{"id": 1, "text": "ok"}\n{"id": 2, "body": "ana@example.org"}\n')
    result = veil_cli("detect", "--batch", source)
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: {source}: line 2 has no string field 'text'"


def test_batch_invalid_json_line_is_named(veil_cli: Invoke, tmp_path: Path) -> None:
    source = write(tmp_path / "in.jsonl", '{"id": 1, "text": "ana@example.org"\n')
    result = veil_cli("detect", "--batch", source)
    assert one_line(result.stderr) == f"error: {source}: line 1 is not valid JSON"


def test_batch_with_paths_is_a_usage_error(veil_cli: Invoke, ticket: str) -> None:
    result = veil_cli("detect", "--batch", str(ROOT / "examples/sample.jsonl"), ticket)
    assert result.exit_code == 2


def test_batch_file_missing_is_a_usage_error(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("detect", "--batch", str(tmp_path / "none.jsonl"))
    assert result.exit_code == 2
    assert one_line(result.stderr).endswith("no such file")
