"""``veil redact``: operators, formats, fields, streaming, bad input."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import veil
from tests.conftest import Canary

from ._helpers import ROOT, Invoke, jsonl, one_line, write

TEXT = "Mail ana@example.org, card 4111 1111 1111 1111, from 203.0.113.42 on 2024-03-18.\n"
KEY = "a-test-key-of-at-least-16-bytes"


def test_sample_redaction_leaves_no_planted_value(veil_cli: Invoke) -> None:
    sample = (ROOT / "examples/sample.txt").read_text(encoding="utf-8")
    planted = [sample[f.start:f.end] for f in veil.detect(sample)]
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "DATE_OF_BIRTH",
            "STREET_ADDRESS", "GENERIC_SECRET"} <= {str(f.entity) for f in veil.detect(sample)}
    result = veil_cli("redact", str(ROOT / "examples/sample.txt"))
    assert result.exit_code == 0
    assert not [value for value in planted if value in result.stdout]
    assert "<EMAIL_ADDRESS_1>" in result.stdout
    assert result.stdout.count("\n") == sample.count("\n")


def test_tag_is_the_default_and_reads_stdin(veil_cli: Invoke) -> None:
    result = veil_cli("redact", input="Mail ana@example.org or ana@example.org\n")
    assert (result.exit_code, result.stdout) == (0, "Mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_1>\n")


def test_output_file_gets_the_redacted_text(veil_cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = veil_cli("redact", "-", "-o", str(out), input="ana@example.org\r\nnext\r\n")
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_bytes() == b"<EMAIL_ADDRESS_1>\r\nnext\r\n"  # line ends kept as written


def test_output_over_its_own_input_is_refused(veil_cli: Invoke, tmp_path: Path) -> None:
    path = write(tmp_path / "in.txt", TEXT)
    result = veil_cli("redact", path, "-o", path)
    assert result.exit_code == 2
    assert Path(path).read_text(encoding="utf-8") == TEXT


@pytest.mark.parametrize(("operator", "expected"), [
    ("mask", "Mail ***************, card"),
    ("drop", "Mail , card , from  on ."),
    ("generalize", "from 203.0.113.0/24 on 2024."),
])
def test_operators(veil_cli: Invoke, operator: str, expected: str) -> None:
    result = veil_cli("redact", "--operator", operator, input=TEXT)
    assert result.exit_code == 0
    assert expected in result.stdout


def test_fake_keeps_the_shape_and_drops_the_value(veil_cli: Invoke) -> None:
    out = veil_cli("redact", "--operator", "fake", input=TEXT).stdout
    assert "ana@example.org" not in out
    assert "4111 1111 1111 1111" not in out
    assert out.startswith("Mail ")
    assert "@" in out


def test_hash_reads_its_key_from_the_named_variable(veil_cli: Invoke) -> None:
    first = veil_cli("redact", "--operator", "hash", "--key-env", "VEIL_TEST_KEY", input=TEXT,
                     env={"VEIL_TEST_KEY": KEY})
    again = veil_cli("redact", "--operator", "hash", "--key-env", "VEIL_TEST_KEY", input=TEXT,
                     env={"VEIL_TEST_KEY": KEY})
    assert first.exit_code == 0
    assert first.stdout == again.stdout
    assert "<EMAIL_ADDRESS:" in first.stdout
    assert KEY not in first.stdout


@pytest.mark.parametrize(("args", "env"), [
    (("--operator", "hash"), {}),
    (("--operator", "hash", "--key-env", "VEIL_TEST_KEY"), {"VEIL_TEST_KEY": ""}),
    (("--operator", "tag", "--key-env", "VEIL_TEST_KEY"), {"VEIL_TEST_KEY": KEY}),
])
def test_hash_key_problems_are_usage_errors(veil_cli: Invoke, args: tuple[str, ...], env: dict[str, str]) -> None:
    result = veil_cli("redact", *args, input=TEXT, env=env)
    assert result.exit_code == 2
    assert one_line(result.stderr).startswith("error: ")


def test_a_short_hash_key_is_refused_without_showing_it(veil_cli: Invoke) -> None:
    result = veil_cli("redact", "--operator", "hash", "--key-env", "K", input=TEXT, env={"K": "short-secret"})
    assert result.exit_code == 1
    assert "short-secret" not in result.output


def test_entities_and_threshold_narrow_what_is_redacted(veil_cli: Invoke) -> None:
    out = veil_cli("redact", "--entities", "EMAIL_ADDRESS", "--threshold", "0.6", input=TEXT).stdout
    assert out.startswith("Mail <EMAIL_ADDRESS_1>, card 4111 1111 1111 1111")


def test_custom_recognizers_are_redacted(veil_cli: Invoke) -> None:
    result = veil_cli("redact", "--recognizers", str(ROOT / "tests/fixtures/recognizers.yaml"),
                      input="staff id EMP-123456\n")
    assert result.stdout == "staff id <EMPLOYEE_ID_1>\n"


def test_long_text_is_streamed_in_pieces_with_one_numbering(veil_cli: Invoke, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("veil.cli._io.CHUNK_CHARS", 100)
    paragraphs = [f"Paragraph {i} filler text here.\nwrite to user{i % 3}@example.org\n\n" for i in range(60)]
    result = veil_cli("redact", write(tmp_path / "long.txt", "".join(paragraphs)))
    expected = "".join(p.replace(f"user{i % 3}@example.org", f"<EMAIL_ADDRESS_{i % 3 + 1}>")
                       for i, p in enumerate(paragraphs))
    assert result.stdout == expected


def test_empty_input_gives_no_output(veil_cli: Invoke, tmp_path: Path) -> None:
    for name in ("empty.txt", "empty.json", "empty.jsonl", "empty.csv"):
        result = veil_cli("redact", write(tmp_path / name, ""))
        assert (name, result.exit_code, result.stdout) == (name, 0, "")


# --- structured formats -----------------------------------------------------------------------------------


def test_json_by_extension_with_paths(veil_cli: Invoke, tmp_path: Path) -> None:
    record = {"user": {"email": "ana@example.org", "age": 41}, "note": "call +44 20 7946 0958"}
    result = veil_cli("redact", write(tmp_path / "r.json", json.dumps(record)), "--fields", "user.email")
    assert json.loads(result.stdout) == {"user": {"email": "<EMAIL_ADDRESS_1>", "age": 41},
                                         "note": "call +44 20 7946 0958"}


def test_json_format_option_overrides_the_extension(veil_cli: Invoke) -> None:
    result = veil_cli("redact", "--format", "json", input='{"a": ["ana@example.org"]}')
    assert json.loads(result.stdout) == {"a": ["<EMAIL_ADDRESS_1>"]}


def test_deep_json_is_refused_on_one_line(veil_cli: Invoke, tmp_path: Path) -> None:
    deep = write(tmp_path / "deep.json", "[" * 100 + '"ana@example.org"' + "]" * 100)
    result = veil_cli("redact", deep)
    assert result.exit_code == 1
    assert one_line(result.stderr) == "error: JSON nested deeper than 64 levels"


def test_json_too_deep_for_the_parser_is_refused(veil_cli: Invoke, tmp_path: Path) -> None:
    deep = write(tmp_path / "deeper.json", "[" * 200_000 + "]" * 200_000)
    result = veil_cli("redact", deep)
    assert result.exit_code == 1
    assert one_line(result.stderr) == f"error: {deep}: JSON nested too deeply"


def test_invalid_json_names_line_and_column(veil_cli: Invoke, tmp_path: Path, canary_pii: Canary) -> None:
    bad = write(tmp_path / "bad.json", '{"a": 1,\n "b": ' + canary_pii.email + "}")
    result = veil_cli("redact", bad)
    assert one_line(result.stderr) == f"error: {bad}: not valid JSON (line 2, column 7)"
    canary_pii.assert_absent(result.output)


def test_jsonl_fields(veil_cli: Invoke, tmp_path: Path) -> None:
    lines = [{"id": 1, "text": "ana@example.org", "other": "ana@example.org"}, {"id": 2, "text": "ok"}]
    source = write(tmp_path / "r.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n")
    out = jsonl(veil_cli("redact", source, "--fields", "text").stdout)
    assert out == [{"id": 1, "text": "<EMAIL_ADDRESS_1>", "other": "ana@example.org"}, {"id": 2, "text": "ok"}]


def test_csv_columns(veil_cli: Invoke, tmp_path: Path) -> None:
    source = write(tmp_path / "r.csv", "name,email,note\nAna,ana@example.org,call +44 20 7946 0958\n")
    out = veil_cli("redact", source, "--fields", "email").stdout
    assert list(csv.reader(io.StringIO(out))) == [["name", "email", "note"],
                                                  ["Ana", "<EMAIL_ADDRESS_1>", "call +44 20 7946 0958"]]


def test_parquet_round_trip(veil_cli: Invoke, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(pa.table({"id": [1, 2], "text": ["ana@example.org", "fine"]}), source)
    result = veil_cli("redact", str(source), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert pq.read_table(out).to_pydict() == {"id": [1, 2], "text": ["<EMAIL_ADDRESS_1>", "fine"]}


@pytest.mark.parametrize("args", [("--format", "parquet"), ("--format", "parquet", "x.parquet")])
def test_parquet_needs_paths_in_and_out(veil_cli: Invoke, tmp_path: Path, args: tuple[str, ...]) -> None:
    write(tmp_path / "x.parquet", b"PAR1")
    result = veil_cli("redact", *(str(tmp_path / a) if a.endswith(".parquet") else a for a in args))
    assert result.exit_code == 2


def test_fields_on_plain_text_is_a_usage_error(veil_cli: Invoke) -> None:
    assert veil_cli("redact", "--fields", "a", input=TEXT).exit_code == 2


# --- bad input --------------------------------------------------------------------------------------------


def test_invalid_utf8_strict_and_replace(veil_cli: Invoke, tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.txt", b"ana@example.org \xff\n")
    strict = veil_cli("redact", bad)
    assert strict.exit_code == 1
    assert one_line(strict.stderr) == f"error: {bad}: invalid UTF-8 at byte 16 (--errors replace decodes it anyway)"
    replaced = veil_cli("redact", bad, "--errors", "replace")
    assert (replaced.exit_code, replaced.stdout) == (0, "<EMAIL_ADDRESS_1> \ufffd\n")


def test_binary_input_is_skipped(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("redact", write(tmp_path / "x.bin", b"\x00\x01ana@example.org"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert one_line(result.stderr).startswith("skipped ")


def test_missing_input_is_a_usage_error(veil_cli: Invoke, tmp_path: Path) -> None:
    result = veil_cli("redact", str(tmp_path / "nope.txt"))
    assert result.exit_code == 2
    assert one_line(result.stderr).endswith("nope.txt: no such file")


def test_failing_redactions_never_echo_planted_values(veil_cli: Invoke, canary_pii: Canary,
                                                       tmp_path: Path) -> None:
    text = canary_pii.text()
    runs = [
        veil_cli("redact", write(tmp_path / "a.txt", text.encode() + b"\xc3")),
        veil_cli("redact", write(tmp_path / "a.jsonl", '{"text": "' + text + '"\n')),
        veil_cli("redact", write(tmp_path / "a.csv", 'x\n"' + text + '\n'), "--fields", "missing"),
        veil_cli("redact", "--format", "json", input="[" * 80 + json.dumps(text) + "]" * 80),
    ]
    assert all(run.exit_code == 1 for run in runs), [run.stderr for run in runs]
    canary_pii.assert_absent(*(run.stderr for run in runs))


def test_failure_part_way_leaves_the_previous_output_untouched(veil_cli: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("previous good output\n", encoding="utf-8")
    bad = write(tmp_path / "bad.txt", b"ana@example.org\n" * 10 + b"\xff\xfe broken\n")
    result = veil_cli("redact", bad, "-o", str(out))
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8") == "previous good output\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []
