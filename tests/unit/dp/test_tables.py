"""Input tables of private queries: read-only copies, values matched to declared labels, each
subject's rows bounded at random, and tables from Arrow, pandas and the vault (consent applied)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import Canary
from veil.dp._tables import Table, bound_contributions
from veil.errors import AccessDenied, InvalidInput, PurposeNotAllowed
from veil.vault import Vault


def _table() -> Table:
    return Table.from_arrays(
        ["a", "a", "a", "b", "c", "c"],
        age=[30, 31, 32, 40, 50, 51],
        region=["EU", "US", "EU", "EU", "APAC", "US"],
        row=np.arange(6),
    )


def test_a_table_holds_read_only_copies_of_its_arrays() -> None:
    ages = np.array([1.0, 2.0, 3.0])
    table = Table.from_arrays([1, 2, 3], age=ages)
    ages[0] = 99.0
    assert table.column("age").tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="read-only"):
        table.column("age")[0] = 5.0
    with pytest.raises(TypeError):
        table.columns["other"] = ages  # type: ignore[index]


def test_a_table_counts_the_rows_of_its_most_active_subject() -> None:
    table = _table()
    assert len(table) == 6
    assert table.max_rows_per_subject == 3


def test_repr_names_columns_and_sizes_never_values(canary_pii: Canary) -> None:
    table = Table.from_arrays([canary_pii.email, canary_pii.ssn], card=[canary_pii.card, canary_pii.phone])
    shown = repr(table)
    assert shown == "Table(rows=2, subjects=2, columns=['card'])"
    canary_pii.assert_absent(shown)


@pytest.mark.parametrize(
    ("subjects", "columns", "message"),
    [
        ([1, 2], {"x": [1.0]}, "one value per subject id"),
        ([[1, 2]], {}, "subjects must be one-dimensional"),
        ([1, 2], {"x": [[1.0], [2.0]]}, "column 'x' must be one-dimensional"),
        ([1, 2], {"": [1.0, 2.0]}, "column names must be non-empty strings"),
        (np.array(["a", None], dtype=object), {}, "subjects must not be missing"),
    ],
)
def test_malformed_tables_are_refused(subjects: object, columns: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Table(np.asarray(subjects, dtype=object if None in np.ravel(subjects) else None), {
            name: np.asarray(values) for name, values in columns.items()})  # fmt: skip


def test_an_unknown_or_non_numeric_column_is_refused_by_name() -> None:
    table = _table()
    with pytest.raises(InvalidInput, match="column 'height' is not in the table"):
        table.column("height")
    with pytest.raises(InvalidInput, match="column 'region' is not numeric"):
        table.numeric("region")
    assert table.numeric("age").tolist() == [30, 31, 32, 40, 50, 51]


def test_codes_index_declared_labels_and_leave_other_values_out() -> None:
    table = _table()
    assert table.codes("region", ["US", "EU"]).tolist() == [1, 0, 1, 1, -1, 0]
    assert table.codes("age", [40, 30]).tolist() == [1, -1, -1, 0, -1, -1]


def test_codes_of_an_object_column_skip_missing_values() -> None:
    table = Table.from_arrays([1, 2, 3, 4], kind=np.array(["x", None, "y", "x"], dtype=object))
    assert table.codes("kind", ["x", "y"]).tolist() == [0, -1, 1, 0]
    assert table.codes("kind", ["y"]).tolist() == [-1, -1, 0, -1]  # the factorisation is kept, labels vary


def test_labels_of_another_type_than_the_column_are_refused() -> None:
    table = _table()
    with pytest.raises(InvalidInput, match="labels of column 'age' must be of the column's type"):
        table.codes("age", ["30"])
    with pytest.raises(InvalidInput, match="labels of column 'region'"):
        table.codes("region", [1, 2])


# -- bounded contributions --------------------------------------------------------------


def test_bounding_keeps_at_most_the_bound_per_subject_and_every_row_of_the_others() -> None:
    subjects = np.array([100] * 50 + list(range(10)))
    table = Table.from_arrays(subjects, row=np.arange(60))
    bounded = bound_contributions(table, 3, np.random.default_rng(1))
    kept = bounded.column("row")
    assert len(bounded) == 3 + 10
    assert bounded.max_rows_per_subject == 3
    assert set(kept[bounded.subjects == 100]) <= set(range(50))
    assert sorted(kept[bounded.subjects != 100]) == list(range(50, 60))
    assert bounded.subjects.tolist() == table.subjects[kept].tolist()  # rows stay whole, in order


def test_a_table_within_the_bound_is_returned_as_it_is() -> None:
    table = _table()
    assert bound_contributions(table, 3, np.random.default_rng(0)) is table


def test_the_rows_kept_are_a_uniform_random_subset() -> None:
    table = Table.from_arrays(np.zeros(10, dtype=int), row=np.arange(10))
    rng = np.random.default_rng(2026)
    draws = 3000
    kept = np.zeros(10)
    for _ in range(draws):
        kept[bound_contributions(table, 2, rng).column("row")] += 1
    # each row is kept with probability 2/10: 600 of 3000 draws, binomial sd about 21.9; 6 sd apart
    assert np.all(np.abs(kept - 600) < 6 * np.sqrt(draws * 0.2 * 0.8))
    assert kept.sum() == 2 * draws


def test_the_bound_must_be_a_positive_integer() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InvalidInput, match="max_contributions must be a positive integer"):
            bound_contributions(_table(), bad, np.random.default_rng(0))  # type: ignore[arg-type]


def test_bounding_keeps_the_labels_of_object_columns_aligned() -> None:
    table = Table.from_arrays(
        ["s"] * 6, kind=np.array(["x", "y", None, "x", "y", "x"], dtype=object), row=np.arange(6)
    )
    table.codes("kind", ["x"])  # factorised before bounding: the kept codes must follow the rows
    bounded = bound_contributions(table, 2, np.random.default_rng(5))
    expected = [0 if table.column("kind")[r] == "x" else -1 for r in bounded.column("row")]
    assert bounded.codes("kind", ["x"]).tolist() == expected


# -- Arrow, pandas, vault ---------------------------------------------------------------


def test_an_arrow_table_becomes_numpy_columns_with_nulls_as_nan() -> None:
    pa = pytest.importorskip("pyarrow")
    arrow = pa.table({"who": ["a", "b", "a"], "age": pa.array([30, None, 41]), "region": ["EU", None, "US"]})
    table = Table.from_arrow(arrow, subject="who")
    assert table.subjects.tolist() == ["a", "b", "a"]
    assert np.isnan(table.numeric("age")[1])
    assert table.numeric("age")[2] == 41
    assert table.codes("region", ["EU", "US"]).tolist() == [0, -1, 1]
    assert len(Table.from_arrow(arrow.to_batches()[0], subject="who")) == 3


def test_arrow_input_is_checked() -> None:
    pa = pytest.importorskip("pyarrow")
    with pytest.raises(InvalidInput, match="column 'who' is not in the Arrow table"):
        Table.from_arrow(pa.table({"age": [1]}), subject="who")
    with pytest.raises(InvalidInput, match="pyarrow Table or RecordBatch"):
        Table.from_arrow({"age": [1]}, subject="age")


def test_a_pandas_frame_becomes_a_table() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"who": ["a", "b"], "age": [30.0, 40.0]})
    table = Table.from_pandas(frame, subject="who")
    assert table.subjects.tolist() == ["a", "b"]
    assert table.numeric("age").tolist() == [30.0, 40.0]
    with pytest.raises(InvalidInput, match="column 'id' is not in the frame"):
        Table.from_pandas(frame, subject="id")


def _customers(vault: Vault) -> None:
    for subject, age in (("s1", 30), ("s2", None), ("s3", 52), ("s4", 61)):
        vault.add_subject(subject, "DE", actor="tester")
        values: dict[str, object] = {"email": f"{subject}@example.org", "notes": "n"}
        if age is not None:
            values["age"] = age
        vault.put("customers", subject, values, purpose="support", actor="tester")
    for subject in ("s1", "s2", "s3"):  # training is opt-in under the GDPR: s4 never agreed
        vault.consent.grant(subject, "training", source="web-form", policy_version="v1", actor="tester")


def test_a_vault_collection_is_read_for_a_purpose_with_consent_applied_and_audited(vault: Vault) -> None:
    _customers(vault)
    table = Table.from_vault(vault, "customers", fields=["age"], purpose="training", actor="tester")
    by_subject = dict(zip(table.subjects.tolist(), table.numeric("age").tolist(), strict=True))
    assert sorted(by_subject) == ["s1", "s2", "s3"]
    assert (by_subject["s1"], by_subject["s3"]) == (30.0, 52.0)
    assert np.isnan(by_subject["s2"])  # no age recorded
    read = vault.audit.entries(action="vault.list")[-1]
    assert (read.actor, read.purpose, read.counts["records"], read.counts["withheld"]) == (
        "tester",
        "training",
        3,
        1,
    )


def test_a_vault_field_the_purpose_may_not_read_is_refused_before_anything_is_decrypted(vault: Vault) -> None:
    _customers(vault)
    before = len(vault.audit.entries(action="vault.list"))
    with pytest.raises(PurposeNotAllowed, match=r"may not read customers\.email"):
        Table.from_vault(vault, "customers", fields=["age", "email"], purpose="training", actor="tester")
    with pytest.raises(InvalidInput, match="field 'height' is not declared"):
        Table.from_vault(vault, "customers", fields=["height"], purpose="training", actor="tester")
    with pytest.raises(InvalidInput, match="fields must name at least one field"):
        Table.from_vault(vault, "customers", fields=[], purpose="training", actor="tester")
    assert len(vault.audit.entries(action="vault.list")) == before


def test_a_vault_read_by_an_unknown_actor_is_denied(vault: Vault) -> None:
    _customers(vault)
    with pytest.raises(AccessDenied):
        Table.from_vault(vault, "customers", fields=["age"], purpose="training", actor="stranger")
