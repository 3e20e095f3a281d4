"""Custom recognizers from TOML and YAML files: the schema, its errors, detection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.detect._table import found
from veil.detect import Detector, Entity
from veil.detect._custom import load_recognizers, regex_problem
from veil.errors import ConfigError

FIXTURES = Path(__file__).parents[2] / "fixtures"
FORMATS = ["toml", "yaml"]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return repr(value)


def write(tmp_path: Path, fmt: str, recognizers: list[dict[str, Any]]) -> Path:
    path = tmp_path / f"custom.{fmt}"
    if fmt == "yaml":
        path.write_text(yaml.safe_dump({"recognizer": recognizers}), encoding="utf-8")
    else:
        tables = ["[[recognizer]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in r.items())
                  for r in recognizers]
        path.write_text("\n".join(tables), encoding="utf-8")
    return path


def employee(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "employee_id",
        "entity": "EMPLOYEE_ID",
        "patterns": [{"name": "emp", "regex": r"(?<![A-Za-z0-9-])EMP-\d{6}(?!\d)", "score": 0.3}],
        "context": ["employee", "staff"],
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


# --- loading -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixture_file_loads_every_field(fmt: str) -> None:
    employee_id, bsn = load_recognizers(FIXTURES / f"recognizers.{fmt}")
    assert (employee_id.name, employee_id.entity, employee_id.priority) == ("employee_id", "EMPLOYEE_ID", 50)
    assert [(p.name, p.regex, p.score, p.group) for p in employee_id.patterns] == [
        ("emp", r"(?<![A-Za-z0-9-])EMP-\d{6}(?!\d)", 0.3, 0)
    ]
    assert employee_id.context == ("employee", "staff")
    assert employee_id.negative_context == ("example",)
    assert (employee_id.validator, employee_id.requires_context) == (None, False)
    assert (bsn.name, bsn.priority, bsn.requires_context) == ("strict_bsn", 81, True)
    assert bsn.validator is not None
    assert (bsn.validator("111222333"), bsn.validator("111222334")) == (True, False)


def test_toml_and_yaml_fixtures_declare_the_same_recognizers() -> None:
    def shape(path: Path) -> list[tuple[object, ...]]:
        return [(r.name, r.entity, r.patterns, r.context, r.negative_context, r.requires_context,
                 r.priority, r.validator is None) for r in load_recognizers(path)]

    assert shape(FIXTURES / "recognizers.toml") == shape(FIXTURES / "recognizers.yaml")


@pytest.mark.parametrize(
    ("entity", "expected"),
    [("NL_BSN", Entity.NL_BSN), ("EMAIL_ADDRESS", Entity.EMAIL_ADDRESS), ("EMPLOYEE_ID", "EMPLOYEE_ID")],
)
def test_entity_names_of_veil_become_entity_members(tmp_path: Path, entity: str, expected: object) -> None:
    (recognizer,) = load_recognizers(write(tmp_path, "yaml", [employee(entity=entity)]))
    assert recognizer.entity == expected
    assert isinstance(recognizer.entity, Entity) == isinstance(expected, Entity)


@pytest.mark.parametrize("fmt", FORMATS)
def test_named_group_and_optional_fields_are_accepted(tmp_path: Path, fmt: str) -> None:
    patterns = [{"name": "tagged", "regex": r"\bref:(?P<id>R\d{4})\b", "score": 1, "group": "id"}]
    path = write(tmp_path, fmt, [employee(patterns=patterns, context=None, validator="luhn",
                                          requires_context=True, priority=0)])
    (recognizer,) = load_recognizers(path)
    assert recognizer.patterns[0].group == "id"
    assert recognizer.patterns[0].score == 1.0
    assert (recognizer.context, recognizer.requires_context, recognizer.priority) == ((), True, 0)


def test_yml_suffix_is_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "yaml", [employee()]).rename(tmp_path / "custom.yml")
    assert [r.name for r in load_recognizers(path)] == ["employee_id"]


# --- detection through the Detector ------------------------------------------------------


DETECTION_TABLE = [
    ("employee EMP-123456 joined", [("EMP-123456", "EMPLOYEE_ID")]),
    ("our staff member EMP-654321", [("EMP-654321", "EMPLOYEE_ID")]),
    ("ticket EMP-123456 was closed", []),  # 0.3 without context stays under the 0.5 threshold
    ("employee EMP-1234567", []),  # seven digits is not an id
    ("BSN 111222333 on file", [("111222333", "NL_BSN")]),
    ("BSN 111222334 on file", []),  # fails the eleven-test
    ("order 111222333 shipped", []),  # requires context
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("text", "expected"), DETECTION_TABLE)
def test_loaded_recognizers_find_their_entities(fmt: str, text: str, expected: list[tuple[str, str]]) -> None:
    detector = Detector(extra=load_recognizers(FIXTURES / f"recognizers.{fmt}"))
    assert found(detector, text) == expected


def test_context_word_lifts_a_weak_pattern_over_the_threshold() -> None:
    detector = Detector(extra=load_recognizers(FIXTURES / "recognizers.toml"), entities=["EMPLOYEE_ID"])
    (with_context,) = detector.detect("employee EMP-123456")
    assert with_context.score == pytest.approx(0.65)
    assert detector.detect("EMP-123456") == []
    assert detector.detect("employee EMP-123456 example") == []  # negative context pulls it back down


# --- errors ------------------------------------------------------------------------------


BAD_RECOGNIZERS = [
    (employee(colour="red"), "recognizer[0] (employee_id): colour: unknown field"),
    (employee(name=None), "recognizer[0]: name: required"),
    (employee(name="has space"), "recognizer[0]: name: required"),
    (employee(entity=None), "(employee_id): entity: required"),
    (employee(entity="employee"), "(employee_id): entity: required: an upper-case name"),
    (employee(patterns=[]), "(employee_id): patterns: required"),
    (employee(patterns="EMP-\\d{6}"), "(employee_id): patterns: required"),
    (employee(patterns=["EMP"]), "patterns[0]: must be a table"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": 0.5, "flags": 2}]),
     "patterns[0].flags: unknown field"),
    (employee(patterns=[{"regex": "EMP-\\d{6}", "score": 0.5}]), "patterns[0].name: required"),
    (employee(patterns=[{"name": "e", "score": 0.5}]), "patterns[0].regex: required"),
    (employee(patterns=[{"name": "e", "regex": "EMP-(\\d", "score": 0.5}]),
     "patterns[0].regex: not a valid regex (missing ), unterminated subpattern"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": 1.5}]),
     "patterns[0].score: required: a number between 0 and 1"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": -0.1}]), "patterns[0].score"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": True}]), "patterns[0].score"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": "high"}]), "patterns[0].score"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}"}]), "patterns[0].score"),
    (employee(patterns=[{"name": "e", "regex": "(?:EMP-\\d+)+", "score": 0.5}]),
     "patterns[0].regex: nested quantifiers"),
    (employee(patterns=[{"name": "e", "regex": "\\w+@corp", "score": 0.5}]),
     "patterns[0].regex: starts with an unbounded repeat"),
    (employee(patterns=[{"name": "e", "regex": "(?P<a>E)(?P=a)", "score": 0.5}]),
     "patterns[0].regex: back-references are not allowed"),
    (employee(patterns=[{"name": "e", "regex": "(?:EMP)?", "score": 0.5}]),
     "patterns[0].regex: matches the empty string"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": 0.5, "group": 1}]),
     "patterns[0].group: names no group"),
    (employee(patterns=[{"name": "e", "regex": "EMP-\\d{6}", "score": 0.5, "group": "id"}]),
     "patterns[0].group: names no group"),
    (employee(validator="crc99"), "(employee_id): validator: unknown validator 'crc99'"),
    (employee(validator="stdnum:no.such_format"), "(employee_id): validator: python-stdnum has no module"),
    (employee(context="employee"), "(employee_id): context: must be a list"),
    (employee(negative_context=[""]), "(employee_id): negative_context: must be a list of non-empty words"),
    (employee(requires_context="yes"), "(employee_id): requires_context: must be true or false"),
    (employee(priority=500), "(employee_id): priority: must be a whole number between 0 and 100"),
    (employee(priority=True), "(employee_id): priority"),
    (employee(priority=2.5), "(employee_id): priority"),
    (employee(name="email"), "(email): name: already used"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("recognizer", "message"), BAD_RECOGNIZERS)
def test_bad_recognizer_is_refused_naming_file_recognizer_and_field(
    tmp_path: Path, fmt: str, recognizer: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_recognizers(write(tmp_path, fmt, [recognizer]))
    assert caught.value.message.startswith(f"custom.{fmt}: ")
    assert message in caught.value.message


@pytest.mark.parametrize("fmt", FORMATS)
def test_second_recognizer_is_named_by_its_index(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, fmt, [employee(), employee(name="other", priority=-1)])
    with pytest.raises(ConfigError, match=r"recognizer\[1\] \(other\): priority"):
        load_recognizers(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_duplicate_names_in_one_file_are_refused(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(ConfigError, match=r"recognizer\[1\] \(employee_id\): name: already used"):
        load_recognizers(write(tmp_path, fmt, [employee(), employee()]))


BAD_FILES = [
    ("custom.toml", "recognizer = [", "custom.toml: not valid TOML"),
    ("custom.yaml", "recognizer: [unclosed", "custom.yaml: not valid YAML (line 1, column 22)"),
    ("custom.yaml", "", "custom.yaml: expected one top-level key 'recognizer'"),
    ("custom.yaml", "- name: x", "custom.yaml: expected one top-level key 'recognizer'"),
    ("custom.toml", "[[recognizers]]\nname = 'x'", "custom.toml: expected one top-level key 'recognizer'"),
    ("custom.toml", "version = 1\n[[recognizer]]\nname = 'x'", "expected one top-level key"),
    ("custom.yaml", "recognizer: []", "custom.yaml: 'recognizer' must be a non-empty list"),
    ("custom.yaml", "recognizer: [7]", "custom.yaml: recognizer[0]: must be a table of fields"),
    ("custom.json", "{}", "custom.json: recognizer files must end in .toml, .yaml or .yml"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_file_is_refused_with_one_clear_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_recognizers(path)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read recognizer file \(FileNotFoundError\)"):
        load_recognizers(tmp_path / "absent.toml")


# --- the regex sanity check --------------------------------------------------------------


@pytest.mark.parametrize(
    "regex",
    [r"EMP-\d{6}", r"(?<![A-Z0-9])[A-Z0-9]{8,}", r"\b[a-z]+@corp\b", r"^\d+$", r"(?:-\d{1,3}){0,4}",
     r"[A-Z]{2}(?:\d{3}-){2}\d{3}", r"(?<!\w)(?:EMP|STF)-\d+"],
)
def test_linear_regexes_pass_the_sanity_check(regex: str) -> None:
    assert regex_problem(regex) is None


@pytest.mark.parametrize(
    ("regex", "problem"),
    [(r"(a+)+", "nested"), (r"(?:\d{1,3})+", "nested"), (r"(?:[a-z]+\.){2,5}", "nested"),
     (r"(?:x|(?:ab*)*)c", "nested"), (r"\d+-x", "unbounded"), (r"(?:\w*|q)@", "unbounded"),
     (r"(a)\1", "back-references")],
)
def test_backtracking_prone_regexes_are_named(regex: str, problem: str) -> None:
    assert problem in (regex_problem(regex) or "")
