"""``veil dp create|budget|query`` in a project folder (tmp_path): releases over a file and over the
vault, charged first, refused with one line, and no value of a row in the output, audit or history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Canary

from ._helpers import Invoke, Result, one_line, write

pytest.importorskip("opendp", reason="veil dp needs the dp extra: pip install 'veil[dp]'")
pytest.importorskip("pyarrow", reason="reading a file needs the parquet extra")


pytestmark = pytest.mark.usefixtures("in_tmp_path")


@pytest.fixture
def project(in_tmp_path: None, veil_cli: Invoke) -> None:
    assert veil_cli("init").exit_code == 0


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def visits_csv(tmp_path: Path, subjects: list[str]) -> str:
    """Two rows per subject: ages 30 and 50, region EU for the first half of the subjects."""
    lines = ["subject,age,region"]
    for i, subject in enumerate(subjects):
        region = "EU" if i < len(subjects) // 2 else "US"
        lines += [f"{subject},30,{region}", f"{subject},50,{region}"]
    return write(tmp_path / "visits.csv", "\n".join(lines) + "\n")


def query(veil_cli: Invoke, csv: str, *args: str, epsilon: str = "0.5") -> Result:
    return veil_cli("dp", "query", "visits", *args, "--epsilon", epsilon, "--purpose", "analytics",
                    "--file", csv, "--subject-column", "subject", "--format", "json")  # fmt: skip


@pytest.mark.usefixtures("project")
def test_a_release_over_a_file_is_charged_shown_with_its_error_bar_and_listed(
    veil_cli: Invoke, tmp_path: Path
) -> None:
    csv = visits_csv(tmp_path, [f"s-{i}" for i in range(400)])
    ok(veil_cli("dp", "create", "visits", "--epsilon", "1", "--delta", "0", "--max-contributions", "1"))
    found = json.loads(ok(query(veil_cli, csv, "mean", "--column", "age", "--lower", "0", "--upper", "100")))
    (estimate,) = found["estimates"]
    assert found["kind"] == "mean"
    assert found["epsilon"] == pytest.approx(0.5)
    assert found["epsilon_remaining"] == pytest.approx(0.5)
    assert estimate["low"] <= estimate["value"] <= estimate["high"]
    assert 20 < estimate["value"] < 60  # one of each subject's two rows is kept: 30 or 50
    history = json.loads(ok(veil_cli("dp", "budget", "visits", "--format", "json")))
    (release,) = history["releases"]
    assert (release["kind"], release["purpose"], release["actor"]) == ("mean", "analytics", "cli")
    assert release["details"]["column"] == "age"
    assert history["spent"] == pytest.approx(0.5)


@pytest.mark.usefixtures("project")
def test_grouped_histogram_estimates_each_declared_cell(veil_cli: Invoke, tmp_path: Path) -> None:
    csv = visits_csv(tmp_path, [f"s-{i}" for i in range(300)])
    ok(veil_cli("dp", "create", "visits", "--epsilon", "5", "--delta", "0", "--max-contributions", "2"))
    found = json.loads(ok(query(veil_cli, csv, "histogram", "--column", "age", "--category", "30",
                                "--category", "50", "--group-by", "region", "--group", "EU", "--group", "US",
                                epsilon="4")))  # fmt: skip
    cells = {row["group"]: row for row in found["estimates"]}
    assert set(cells) == {"EU/30", "EU/50", "US/30", "US/50"}
    for row in cells.values():
        assert abs(row["value"] - 150) < 15  # 150 subjects a cell; noise of scale 2 / 4
        assert row["low"] <= row["value"] <= row["high"]


@pytest.mark.usefixtures("project")
def test_a_release_past_the_budget_is_refused_in_one_line_and_not_recorded(
    veil_cli: Invoke, tmp_path: Path
) -> None:
    csv = visits_csv(tmp_path, ["a", "b", "c"])
    ok(veil_cli("dp", "create", "visits", "--epsilon", "1", "--delta", "0"))
    ok(query(veil_cli, csv, "count", epsilon="0.75"))
    refused = query(veil_cli, csv, "count", epsilon="0.5")
    assert refused.exit_code == 1
    line = one_line(refused.stderr)
    assert "has epsilon 0.25 of 1 left" in line  # what remains
    assert len(json.loads(ok(veil_cli("dp", "budget", "visits", "--format", "json")))["releases"]) == 1


@pytest.mark.usefixtures("project")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sum", "--column", "age"], "explicit lower and upper bounds"),
        (["mean", "--lower", "0", "--upper", "1"], "needs --column"),
        (["histogram", "--column", "age"], "categories declared"),
        (["count", "--group-by", "region"], "groups declared"),
        (["sum", "--column", "region", "--lower", "0", "--upper", "1"], "not numeric"),
    ],
)
def test_bad_queries_are_refused_in_one_line_before_any_charge(
    veil_cli: Invoke, tmp_path: Path, args: list[str], expected: str
) -> None:
    csv = visits_csv(tmp_path, ["a", "b"])
    ok(veil_cli("dp", "create", "visits", "--epsilon", "1", "--delta", "0"))
    refused = query(veil_cli, csv, *args)
    assert refused.exit_code in (1, 2)
    assert expected in one_line(refused.stderr)
    assert json.loads(ok(veil_cli("dp", "budget", "visits", "--format", "json")))["releases"] == []


@pytest.mark.usefixtures("project")
def test_negative_epsilon_and_an_unknown_dataset_are_refused(veil_cli: Invoke, tmp_path: Path) -> None:
    csv = visits_csv(tmp_path, ["a", "b"])
    negative = veil_cli("dp", "create", "visits", "--epsilon", "-1")
    assert negative.exit_code == 1
    assert "epsilon" in one_line(negative.stderr)
    unknown = query(veil_cli, csv, "count")
    assert unknown.exit_code == 1
    assert "no privacy budget" in one_line(unknown.stderr)


@pytest.mark.usefixtures("project")
def test_a_count_over_the_vault_reads_for_the_purpose(veil_cli: Invoke) -> None:
    for i in range(5):
        ok(veil_cli("vault", "put", "customers", f"c-{i}", "--purpose", "support", "--region", "EU",
                    f"email=c{i}@example.org"))  # fmt: skip
    ok(veil_cli("dp", "create", "customers", "--epsilon", "20", "--delta", "0"))
    found = json.loads(ok(veil_cli("dp", "query", "customers", "count", "--epsilon", "10", "--purpose", "support",
                                   "--format", "json")))  # fmt: skip
    assert abs(found["estimates"][0]["value"] - 5) <= 3


@pytest.mark.usefixtures("project")
def test_no_value_of_a_row_reaches_the_output_the_history_or_the_audit_log(
    veil_cli: Invoke, tmp_path: Path, canary_pii: Canary
) -> None:
    csv = visits_csv(tmp_path, [canary_pii.email, canary_pii.phone, canary_pii.ssn, canary_pii.card])
    for i in range(3):
        ok(veil_cli("vault", "put", "customers", f"c-{i}", "--purpose", "support", "--region", "EU",
                    f"email={canary_pii.email.replace('@', f'.{i}@')}", f"notes={canary_pii.text()}"))  # fmt: skip
    ok(veil_cli("dp", "create", "visits", "--epsilon", "10", "--delta", "0", "--max-contributions", "2"))
    ok(veil_cli("dp", "create", "customers", "--epsilon", "10", "--delta", "0"))
    outputs = [
        ok(query(veil_cli, csv, "quantiles", "--column", "age", "--lower", "0", "--upper", "100",
                 "--alpha", "0.5")),
        ok(query(veil_cli, csv, "variance", "--column", "age", "--lower", "0", "--upper", "100",
                 "--group-by", "region", "--group", "EU", "--group", "US")),
        ok(veil_cli("dp", "query", "customers", "count", "--epsilon", "1", "--purpose", "support")),
        query(veil_cli, csv, "count", epsilon="100").output,  # refused: the budget is too small
        ok(veil_cli("dp", "budget", "visits")),
        ok(veil_cli("dp", "budget", "customers", "--format", "json")),
        ok(veil_cli("audit", "query", "--limit", "1000", "--format", "json")),
    ]  # fmt: skip
    canary_pii.assert_absent(*outputs)
    assert canary_pii.email.split("@")[0] not in "\n".join(outputs)
