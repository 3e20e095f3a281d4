from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from tests.unit.redact._support import small_detector
from veil.errors import InvalidInput
from veil.redact import PseudonymSession, Redactor, redact_csv, redact_jsonl
from veil.redact._streams import CHUNK_ROWS


def _redactor() -> Redactor:
    return Redactor(small_detector())


class Lines:
    """A text source that counts how many lines were read so far."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.read = 0

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.read += 1
        return line


class Sink(io.StringIO):
    """A destination that notes how much of the source had been read at its first write."""

    def __init__(self, source: Lines) -> None:
        super().__init__()
        self._source = source
        self.read_at_first_write: int | None = None

    def write(self, text: str) -> int:
        if self.read_at_first_write is None:
            self.read_at_first_write = self._source.read
        return super().write(text)


def test_csv_redacts_the_chosen_columns_and_keeps_the_header() -> None:
    src = io.StringIO("name,id,note\nAna Lima,EMP-123456,Bo Chen\nBo Chen,EMP-000001,\n")
    dst = io.StringIO()
    assert redact_csv(src, dst, redactor=_redactor(), columns=["name", "id"]) == 2
    assert dst.getvalue() == (
        "name,id,note\n<PERSON_1>,<EMPLOYEE_ID_1>,Bo Chen\n<PERSON_1>,<EMPLOYEE_ID_1>,\n"
    )


def test_csv_redacts_every_column_by_default_and_quotes_as_needed() -> None:
    src = io.StringIO('a,b\n"Ana Lima, EMP-123456",x\nshort\n')
    dst = io.StringIO()
    assert redact_csv(src, dst, redactor=_redactor()) == 2
    assert dst.getvalue() == 'a,b\n"<PERSON_1>, <EMPLOYEE_ID_1>",x\nshort\n'


def test_csv_with_a_session_numbers_the_whole_file_consistently() -> None:
    session = PseudonymSession()
    dst = io.StringIO()
    redact_csv(io.StringIO("n\nBo Chen\nAna Lima\nBo Chen\n"), dst,
               redactor=Redactor(small_detector(), session=session))
    assert dst.getvalue() == "n\n<PERSON_1>\n<PERSON_2>\n<PERSON_1>\n"
    assert session.restore(dst.getvalue()) == "n\nBo Chen\nAna Lima\nBo Chen\n"


def test_csv_streams_rows_without_reading_the_whole_file() -> None:
    source = Lines(iter(["name\n", *(f"EMP-{n:06d}\n" for n in range(10 * CHUNK_ROWS))]))
    sink = Sink(source)
    assert redact_csv(source, sink, redactor=_redactor()) == 10 * CHUNK_ROWS  # type: ignore[arg-type]
    assert sink.read_at_first_write is not None
    assert sink.read_at_first_write <= 2
    assert sink.getvalue().count("<EMPLOYEE_ID_1>") == 10 * CHUNK_ROWS


def test_csv_unknown_columns_and_empty_input() -> None:
    with pytest.raises(InvalidInput, match="nope"):
        redact_csv(io.StringIO("a\nx\n"), io.StringIO(), redactor=_redactor(), columns=["nope"])
    assert redact_csv(io.StringIO(""), io.StringIO(), redactor=_redactor()) == 0


def test_malformed_csv_names_the_line_not_the_value() -> None:
    src = io.StringIO('a\nok\n"Ana Lima' + "x" * 200_000 + '"\n')
    with pytest.raises(InvalidInput, match="CSV line 3") as caught:
        redact_csv(src, io.StringIO(), redactor=_redactor())
    assert "Ana" not in str(caught.value)


def test_jsonl_redacts_fields_record_by_record() -> None:
    lines = [{"who": "Ana Lima", "id": "EMP-123456", "n": 1}, {"who": "Bo Chen", "id": "EMP-000009"}]
    src = io.StringIO("\n".join(json.dumps(x) for x in lines) + "\n\n")
    dst = io.StringIO()
    assert redact_jsonl(src, dst, redactor=_redactor(), fields=["who"]) == 2
    assert [json.loads(x) for x in dst.getvalue().splitlines()] == [
        {"who": "<PERSON_1>", "id": "EMP-123456", "n": 1}, {"who": "<PERSON_1>", "id": "EMP-000009"},
    ]


def test_jsonl_streams_records_without_reading_the_whole_file() -> None:
    source = Lines(json.dumps({"id": f"EMP-{n:06d}"}) + "\n" for n in range(10 * CHUNK_ROWS))
    sink = Sink(source)
    assert redact_jsonl(source, sink, redactor=_redactor()) == 10 * CHUNK_ROWS  # type: ignore[arg-type]
    assert sink.read_at_first_write is not None
    assert sink.read_at_first_write <= CHUNK_ROWS + 1


def test_a_jsonl_line_that_is_not_json_names_only_its_line_number() -> None:
    src = io.StringIO('{"who": "Ana Lima"}\n\n{"who": Ana Lima}\n')
    with pytest.raises(InvalidInput, match=r"^JSONL line 3 is not valid JSON$") as caught:
        redact_jsonl(src, io.StringIO(), redactor=_redactor())
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_jsonl_nested_too_deep_is_refused() -> None:
    src = io.StringIO("[" * 70 + "]" * 70 + "\n")
    with pytest.raises(InvalidInput, match="deeper than 64"):
        redact_jsonl(src, io.StringIO(), redactor=_redactor())
    very_deep = io.StringIO("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(InvalidInput, match="line 1"):
        redact_jsonl(very_deep, io.StringIO(), redactor=_redactor())
