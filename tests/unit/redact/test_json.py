from __future__ import annotations

import copy

import pytest

from tests.unit.redact._support import small_detector
from veil.errors import InvalidInput
from veil.redact import Redactor, redact_json

RECORD = {
    "user": {"email": "ana@example.org", "age": 41, "vip": True, "note": None},
    "messages": [{"role": "user", "content": "I am Ana Lima"}, {"role": "bot", "content": "Hi Ana Lima"}],
    "ids": ["EMP-123456", 7.5],
}


def _redactor() -> Redactor:
    return Redactor(small_detector())


def test_every_string_value_is_redacted_and_keys_and_scalars_are_kept() -> None:
    record = {"Ana Lima": "Ana Lima", "n": 3, "ok": False, "none": None, "list": ["EMP-123456", 1.5]}
    assert redact_json(record, redactor=_redactor()) == {
        "Ana Lima": "<PERSON_1>", "n": 3, "ok": False, "none": None, "list": ["<EMPLOYEE_ID_1>", 1.5],
    }


def test_one_document_shares_one_numbering() -> None:
    result = redact_json(RECORD, redactor=_redactor())
    assert [m["content"] for m in result["messages"]] == ["I am <PERSON_1>", "Hi <PERSON_1>"]


@pytest.mark.parametrize(("paths", "redacted"), [
    (["messages[*].content"], {"messages.0", "messages.1"}),
    (["messages[1].content"], {"messages.1"}),
    (["messages"], {"messages.0", "messages.1"}),
    (["ids[0]"], {"ids"}),
    (["*[0]"], {"ids", "messages.0"}),
    (["user.email", "ids"], {"ids"}),
    ([], set()),
])
def test_paths_limit_redaction_to_the_values_beneath_them(paths: list[str], redacted: set[str]) -> None:
    result = redact_json(RECORD, redactor=_redactor(), paths=paths)
    contents = {f"messages.{i}": "PERSON_1" in m["content"] for i, m in enumerate(result["messages"])}
    contents["ids"] = result["ids"][0] == "<EMPLOYEE_ID_1>"
    assert {where for where, hidden in contents.items() if hidden} == redacted
    assert result["user"]["age"] == 41


def test_the_input_is_not_modified() -> None:
    before = copy.deepcopy(RECORD)
    redact_json(RECORD, redactor=_redactor())
    assert before == RECORD


def test_the_default_redactor_is_used_when_none_is_given() -> None:
    assert redact_json({"user": {"email": "ana@example.org"}}, paths=["user.email"]) == {
        "user": {"email": "<EMAIL_ADDRESS_1>"}
    }


def test_json_deeper_than_max_depth_is_refused_without_its_values() -> None:
    deep: object = "Ana Lima"
    for _ in range(65):
        deep = [deep]
    with pytest.raises(InvalidInput, match="deeper than 64 levels") as caught:
        redact_json(deep, redactor=_redactor())
    assert "Ana" not in str(caught.value)
    assert redact_json(deep, redactor=_redactor(), max_depth=65) is not None


@pytest.mark.parametrize("paths", [["a..b"], ["a[x]"], ["a[1"], [""]])
def test_malformed_paths_are_refused_by_position(paths: list[str]) -> None:
    with pytest.raises(InvalidInput, match=r"paths\[0\]"):
        redact_json({}, redactor=_redactor(), paths=paths)


def test_values_that_are_not_json_are_refused() -> None:
    with pytest.raises(InvalidInput, match="bytes"):
        redact_json({"a": b"Ana Lima"}, redactor=_redactor())
