"""SARIF 2.1.0 output: valid against the OASIS schema, levels, rules, locations, no secret values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from veil.scan._finding import Kind, ScanFinding, Severity, file_fingerprint, preview, value_fingerprint
from veil.scan._sarif import FINGERPRINT_KEY, SARIF_VERSION, sarif_level, to_sarif

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "fixtures" / "sarif-2.1.0.schema.json"
# A fake, never-issued token shape: what the scanner found and what must never leave it.
PLANTED_SECRET = "ghp_" + "Zq8vT2mK9xW4rB7nL1cY6sD3fH5jG0pQaE2u"
COMMIT = "3f2a9c1d4b5e6f708192a3b4c5d6e7f8091a2b3c"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def _secret(path: str = "src/settings.py", *, line: int = 12, commit: str | None = None) -> ScanFinding:
    return ScanFinding(
        rule="github_token", kind=Kind.SECRET, severity=Severity.CRITICAL, path=path, line=line,
        column=15, end_line=line, end_column=55, entity="GITHUB_TOKEN",
        message="GitHub personal access token (checksum valid)",
        remediation="Revoke the token at https://github.com/settings/tokens and use a secret store.",
        fingerprint=value_fingerprint("github_token", PLANTED_SECRET), preview=preview(PLANTED_SECRET),
        commit=commit,
    )


def _findings() -> list[ScanFinding]:
    dataset = ScanFinding(
        rule="dataset_direct_identifier", kind=Kind.DATASET, severity=Severity.HIGH, path="data/users.csv",
        line=0, column=0, message="column email: 98% EMAIL_ADDRESS over 1000 sampled rows",
        remediation="Move the file into the vault or drop the column.",
        fingerprint=file_fingerprint("dataset_direct_identifier", "data/users.csv", "email"),
    )
    member = ScanFinding(
        rule="email_address", kind=Kind.PII, severity=Severity.MEDIUM, path="dist/bundle.zip!conf/team list.txt",
        line=3, column=1, message="EMAIL_ADDRESS", remediation="Remove the address from the archive.",
        fingerprint=value_fingerprint("email_address", "someone@example.org"), preview="s…(19)",
    )
    licence = ScanFinding(
        rule="license_weak_copyleft", kind=Kind.LICENSE, severity=Severity.LOW, path="pyproject.toml",
        line=0, column=0, message="chardet 5.2.0 is LGPL-2.1-or-later", remediation="Replace the dependency.",
        fingerprint=file_fingerprint("license_weak_copyleft", "pyproject.toml", "chardet==5.2.0"),
    )
    history = _secret("deploy/old.env", line=4, commit=COMMIT)
    return [_secret(), dataset, member, history, licence]


def _run(sarif: dict[str, Any]) -> dict[str, Any]:
    run: dict[str, Any] = sarif["runs"][0]
    return run


def test_every_kind_of_finding_is_valid_sarif_2_1_0(validator: jsonschema.Draft4Validator, tmp_path: Path) -> None:
    for root in (None, tmp_path):
        sarif = to_sarif(_findings(), tool_version="0.1.0", root=root, information_uri="https://example.org/veil")
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(sarif)]
        assert errors == []
        assert sarif["version"] == SARIF_VERSION
        assert len(sarif["runs"]) == 1


def test_schema_fixture_rejects_a_broken_log(validator: jsonschema.Draft4Validator) -> None:
    sarif = to_sarif(_findings(), tool_version="0.1.0")
    _run(sarif)["results"][0]["level"] = "fatal"
    del _run(sarif)["tool"]["driver"]["name"]
    assert len(list(validator.iter_errors(sarif))) == 2


def test_no_secret_value_anywhere_in_the_log() -> None:
    sarif = to_sarif(_findings(), tool_version="0.1.0", root=Path("/repo"))
    for blob in (json.dumps(sarif), json.dumps(sarif, ensure_ascii=False)):
        assert PLANTED_SECRET not in blob
        assert PLANTED_SECRET[4:-2] not in blob
    assert preview(PLANTED_SECRET) in json.dumps(sarif, ensure_ascii=False)


@pytest.mark.parametrize(
    ("severity", "level"),
    [(Severity.LOW, "note"), (Severity.MEDIUM, "warning"), (Severity.HIGH, "error"), (Severity.CRITICAL, "error")],
)
def test_severity_maps_to_sarif_level(severity: Severity, level: str) -> None:
    finding = ScanFinding(rule="r", kind=Kind.SECRET, severity=severity, path="a.py", line=1, column=1,
                          message="m", remediation="fix", fingerprint="f" * 32)
    sarif = to_sarif([finding], tool_version="1")
    assert sarif_level(severity) == level
    assert _run(sarif)["results"][0]["level"] == level
    assert _run(sarif)["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == level


def test_rules_are_deduplicated_and_rule_index_points_at_the_rule() -> None:
    findings = _findings()
    run = _run(to_sarif(findings, tool_version="0.1.0"))
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert ids == sorted({finding.rule for finding in findings})
    for finding, result in zip(findings, run["results"], strict=True):
        assert result["ruleId"] == finding.rule
        assert rules[result["ruleIndex"]]["id"] == finding.rule
    token_rule = rules[ids.index("github_token")]
    assert token_rule["name"] == "GithubToken"
    assert token_rule["help"]["text"].startswith("Revoke the token")
    assert token_rule["properties"]["tags"] == ["security", "secret", "credential"]
    assert rules[ids.index("license_weak_copyleft")]["properties"]["tags"][0] == "license"


def test_rule_texts_override_the_defaults() -> None:
    run = _run(to_sarif([_secret()], tool_version="1", rules={"github_token": ("GitHub token", "Rotate it.")}))
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["shortDescription"]["text"] == "GitHub token"
    assert rule["help"]["text"] == "Rotate it."


def test_locations_regions_and_fingerprints() -> None:
    run = _run(to_sarif(_findings(), tool_version="0.1.0"))
    secret, dataset, member, history, _ = run["results"]
    physical = secret["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "src/settings.py", "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 12, "startColumn": 15, "endLine": 12, "endColumn": 55}
    assert secret["partialFingerprints"] == {FINGERPRINT_KEY: _secret().fingerprint}
    assert "region" not in dataset["locations"][0]["physicalLocation"]
    assert member["partialFingerprints"][FINGERPRINT_KEY] == _findings()[2].fingerprint
    assert "commit" not in secret["properties"]
    assert history["properties"]["commit"] == COMMIT


def test_archive_member_points_at_the_archive_and_names_the_member() -> None:
    location = _run(to_sarif(_findings(), tool_version="0.1.0"))["results"][2]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "dist/bundle.zip"
    assert "region" not in location["physicalLocation"]
    assert location["properties"]["archiveMember"] == "conf/team list.txt"
    assert location["properties"]["memberRegion"]["startLine"] == 3
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "dist/bundle.zip!conf/team list.txt"


def test_root_becomes_the_srcroot_base_and_absolute_paths_relative(tmp_path: Path) -> None:
    inside = _secret(str(tmp_path / "pkg" / "a b.py"))
    outside = _secret("/elsewhere/x.py")
    run = _run(to_sarif([inside, outside], tool_version="1", root=tmp_path))
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == tmp_path.resolve().as_uri() + "/"
    first, second = (result["locations"][0]["physicalLocation"]["artifactLocation"] for result in run["results"])
    assert first == {"uri": "pkg/a%20b.py", "uriBaseId": "%SRCROOT%"}
    assert second == {"uri": "file:///elsewhere/x.py"}


def test_driver_and_invocation() -> None:
    run = _run(to_sarif([], tool_version="0.3.1", information_uri="https://example.org/veil",
                        execution_successful=False))
    assert run["tool"]["driver"]["name"] == "veil"
    assert run["tool"]["driver"]["version"] == "0.3.1"
    assert run["tool"]["driver"]["informationUri"] == "https://example.org/veil"
    assert run["invocations"] == [{"executionSuccessful": False}]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
