"""The scanner end to end on a tree: findings placed exactly, exceptions honoured, values never shown."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from tests.unit.scan._fakes import aws_pair, github_token
from tests.unit.scan._repos import write_tree as _write
from veil.scan import Kind, Scanner, ScanOptions, scan_path
from veil.scan._sources import Source


def test_a_token_is_reported_at_its_line_and_column_with_a_remediation(tmp_path: Path) -> None:
    token = github_token()
    _write(tmp_path, {"src/settings.py": f"import os\n\nGITHUB = \"{token}\"\n", "README.md": "hello\n"})
    report = scan_path(tmp_path)
    [finding] = report.findings
    assert (finding.path, finding.line, finding.column, finding.rule) == ("src/settings.py", 3, 11, "github_token")
    assert finding.kind is Kind.SECRET
    assert "github" in finding.remediation.lower()
    assert token not in json.dumps(report.to_dict())
    assert finding.preview.startswith("ghp_")
    assert len(finding.preview) < 16
    assert report.files == 2


def test_secrets_inside_archives_and_notebooks_are_found(tmp_path: Path) -> None:
    key_id, secret = aws_pair()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deploy/.env", f"AWS_ACCESS_KEY_ID={key_id}\n")
    notebook = {"cells": [{"cell_type": "code", "source": ["import boto3\n", f"key = '{key_id}'\n"],
                           "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    _write(tmp_path, {"bundle.zip": buffer.getvalue(), "nb.ipynb": json.dumps(notebook, indent=1)})
    found = {(f.path, f.rule) for f in scan_path(tmp_path).findings}
    assert ("bundle.zip!deploy/.env", "aws_access_key") in found
    assert ("nb.ipynb", "aws_access_key") in found
    del secret


def test_an_inline_exception_with_a_reason_suppresses_and_is_recorded(tmp_path: Path) -> None:
    token = github_token()
    _write(tmp_path, {"a.py": f"# veil: allow github_token revoked test token\nT = '{token}'\n",
                      "b.py": f"T = '{token}'  # veil: allow github_token\n"})
    report = scan_path(tmp_path)
    assert [(f.path, f.line) for f in report.findings] == [("b.py", 1)]  # no reason: not suppressed
    assert report.suppressed["inline"] == 1
    assert [(a.path, a.used) for a in report.allows] == [("a.py", True), ("b.py", False)]


def test_lock_files_do_not_raise_generic_alarms_but_provider_tokens_still_count(tmp_path: Path) -> None:
    token = github_token()
    lock = ('{"packages": {"node_modules/x": {"integrity": "sha512-'
            + "Qm9vYmFyYmF6cXV4cXV1eHF1dXhGb29CYXJCYXpRdXhRdXV4UXV1eEZvb0JhckJhelF1eA" + '=="}},\n'
            + f'"token": "{token}"}}\n')
    _write(tmp_path, {"package-lock.json": lock})
    assert [f.rule for f in scan_path(tmp_path).findings] == ["github_token"]


def test_parallel_and_serial_scans_agree(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"pkg{i}/mod{j}.py": "x = 1\n" * 7000 for i in range(6) for j in range(10)}
    files["pkg3/conf.py"] = f"TOKEN = '{github_token()}'\n"
    _write(tmp_path, files)
    serial = Scanner(ScanOptions(jobs=1)).scan_paths([tmp_path], tmp_path)
    parallel = Scanner(ScanOptions(jobs=2)).scan_paths([tmp_path], tmp_path)
    assert parallel.bytes > 2 << 20  # large enough to run on workers
    assert [f.to_dict() for f in serial.findings] == [f.to_dict() for f in parallel.findings]
    assert (serial.files, serial.bytes) == (parallel.files, parallel.bytes)


def test_personal_data_in_text_is_reported_only_when_asked(tmp_path: Path) -> None:
    _write(tmp_path, {"notes.txt": "Call Dana at +1 415 555 0134 or dana.k@example.org\n"})
    assert scan_path(tmp_path).findings == []
    found = scan_path(tmp_path, options=ScanOptions(pii=True)).findings
    assert {f.entity for f in found} >= {"EMAIL_ADDRESS"}
    assert all(f.kind is Kind.PII for f in found)


def test_texts_from_a_diff_keep_their_line_numbers() -> None:
    token = github_token()
    source = Source("app.py", f"x = 1\nT = '{token}'", first_line=40, commit="abc123")
    [finding] = Scanner().scan_sources([source]).findings
    assert (finding.line, finding.commit) == (41, "abc123")
