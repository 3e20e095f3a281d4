"""Data minimization: a collection declares its fields and purposes; anything else is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.conftest import Canary
from tests.unit.vault._support import count, sqlite_only
from veil.errors import InputTooLarge, InvalidInput, PurposeNotAllowed
from veil.storage import Database
from veil.storage.tables import blind_index, records
from veil.vault import Vault

Databases = tuple[Database, Database]


def _stored(databases: Databases) -> tuple[int, int]:
    return count(databases[0], records), count(databases[0], blind_index)


def test_write_with_undeclared_field_is_refused_naming_the_field_and_stores_nothing(
        vault: Vault, databases: Databases, canary_pii: Canary) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.put("customers", "s1", {"email": canary_pii.email, "ssn": canary_pii.ssn}, purpose="support", actor="tester")
    assert type(caught.value) is InvalidInput
    assert "'ssn'" in caught.value.message
    assert "customers" in caught.value.message
    canary_pii.assert_absent(caught.value.message, str(caught.value))
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_undeclared_field_whose_name_is_an_email_is_not_echoed(
        vault: Vault, databases: Databases, canary_pii: Canary) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.put("customers", "s1", {"email": "a@example.org", canary_pii.email: "x"}, purpose="support", actor="tester")
    assert "not an identifier" in caught.value.message
    canary_pii.assert_absent(caught.value.message)
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_batch_with_one_undeclared_field_stores_none_of_its_records(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    rows = [("s1", {"email": "a@example.org"}), ("s1", {"email": "b@example.org", "iban": "x"})]
    with pytest.raises(InvalidInput):
        vault.put_many("customers", rows, purpose="support", actor="tester")
    assert _stored(databases) == (0, 0)


def test_write_missing_a_required_field_is_refused_and_stores_nothing(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.put("customers", "s1", {"name": "Ana Example", "age": 40}, purpose="support", actor="tester")
    assert "'email'" in caught.value.message
    assert "Ana" not in caught.value.message
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_required_field_given_as_none_counts_as_missing(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput):
        vault.put("customers", "s1", {"email": None}, purpose="support", actor="tester")
    assert _stored(databases) == (0, 0)


@pytest.mark.parametrize(("collection", "values"), [
    ("customers", {"email": "a@example.org", "age": "41-secret"}),  # string for an integer
    ("customers", {"email": "a@example.org", "age": True}),  # bool is not an integer here
    ("customers", {"email": "a@example.org", "age": 41.5}),  # float for an integer
    ("customers", {"email": 12345}),  # integer for a string
    ("customers", {"email": b"a@example.org"}),  # bytes for a string
    ("tickets", {"body": "hi", "opened": "2026-01-02"}),  # string for a date
], ids=["str-for-int", "bool-for-int", "float-for-int", "int-for-str", "bytes-for-str", "str-for-date"])
@sqlite_only
def test_value_of_the_wrong_type_is_refused_naming_field_and_type_never_the_value(
        vault: Vault, databases: Databases, collection: str, values: dict[str, object]) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.put(collection, "s1", values, purpose="support", actor="tester")
    assert type(caught.value) is InvalidInput
    assert "must be of type" in caught.value.message
    for value in values.values():
        if not isinstance(value, bool):
            assert str(value) not in caught.value.message
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_integer_too_long_to_encode_is_refused_with_a_veil_error(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput):
        vault.put("customers", "s1", {"email": "a@example.org", "age": 10 ** 5000}, purpose="support", actor="tester")
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_datetime_for_a_date_field_is_refused_or_round_trips_as_a_date(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    moment = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    try:
        record_id = vault.put("tickets", "s1", {"body": "hi", "opened": moment}, purpose="support", actor="tester")
    except InvalidInput:
        return
    assert vault.get("tickets", record_id, purpose="support", actor="tester").fields["opened"] == date(2026, 1, 2)


def test_value_over_the_field_size_limit_is_refused_as_too_large(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InputTooLarge) as caught:
        vault.put("tickets", "s1", {"body": "x" * 4097}, purpose="support", actor="tester")
    assert "tickets.body" in caught.value.message
    assert "4096" in caught.value.message
    assert caught.value.http_status == 413
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_size_limit_counts_utf8_bytes_and_admits_exactly_the_limit(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InputTooLarge):
        vault.put("tickets", "s1", {"body": "é" * 2049}, purpose="support", actor="tester")  # 4098 bytes
    record_id = vault.put("tickets", "s1", {"body": "é" * 2048}, purpose="support", actor="tester")  # 4096 bytes
    assert vault.get("tickets", record_id, purpose="support", actor="tester").fields["body"] == "é" * 2048


@pytest.mark.parametrize("name", ["invoices", "person@example.org"])
@sqlite_only
def test_unknown_collection_is_refused_and_a_non_identifier_is_not_echoed(vault: Vault, name: str) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.put(name, "s1", {"email": "a@example.org"}, purpose="support", actor="tester")
    assert "not declared" in caught.value.message
    assert ("'invoices'" in caught.value.message) == (name == "invoices")
    assert "person@example.org" not in caught.value.message


@sqlite_only
def test_unknown_purpose_is_refused_on_write_and_read(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "a@example.org"}, purpose="support", actor="tester")
    with pytest.raises(InvalidInput, match="purpose 'profiling' is not declared"):
        vault.put("customers", "s1", {"email": "a@example.org"}, purpose="profiling", actor="tester")
    with pytest.raises(InvalidInput, match="purpose 'profiling' is not declared"):
        vault.get("customers", record_id, purpose="profiling", actor="tester")


def test_purpose_the_collection_does_not_serve_is_not_allowed(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    with pytest.raises(PurposeNotAllowed, match="'tickets' does not serve purpose 'marketing'"):
        vault.put("tickets", "s1", {"body": "hi"}, purpose="marketing", actor="tester")
    assert _stored(databases) == (0, 0)
    record_id = vault.put("tickets", "s1", {"body": "hi"}, purpose="support", actor="tester")
    with pytest.raises(PurposeNotAllowed):
        vault.get("tickets", record_id, purpose="marketing", actor="tester")
    with pytest.raises(PurposeNotAllowed):
        vault.records("tickets", purpose="marketing", actor="tester")


@sqlite_only
def test_write_of_a_field_the_purpose_does_not_serve_is_not_allowed(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    with pytest.raises(PurposeNotAllowed):  # customers.name serves support only
        vault.put("customers", "s1", {"email": "a@example.org", "name": "Ana"}, purpose="marketing", actor="tester")
    assert _stored(databases) == (0, 0)


@pytest.mark.parametrize("subject_id", ["", "a b", "x" * 200, "x@y.org", "-leading-dash", "tab\there",
                                        "line\n", "Zoë"])
@sqlite_only
def test_invalid_subject_id_is_refused_and_not_echoed(vault: Vault, databases: Databases, subject_id: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        vault.add_subject(subject_id, "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught_on_write:
        vault.put("customers", subject_id, {"email": "a@example.org"}, purpose="support", actor="tester")
    for error in (caught.value, caught_on_write.value):
        assert "subject id must be" in error.message
        assert not subject_id or subject_id not in error.message
    assert _stored(databases) == (0, 0)


@sqlite_only
def test_subject_id_of_128_id_characters_is_accepted(vault: Vault) -> None:
    subject_id = "S" + "a1._:-" * 21 + "z"
    assert len(subject_id) == 128
    assert vault.add_subject(subject_id, "DE", actor="tester").subject_id == subject_id
    with pytest.raises(InvalidInput):
        vault.add_subject(subject_id + "z", "DE", actor="tester")


@sqlite_only
def test_values_that_are_not_a_mapping_are_refused(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput, match="mapping"):
        vault.put("customers", "s1", [("email", "a@example.org")], purpose="support", actor="tester")  # type: ignore[arg-type]


def test_read_for_a_purpose_returns_only_that_purposes_fields(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.consent.grant("s1", "training", source="settings", policy_version="v1", actor="tester")
    vault.consent.grant("s1", "marketing", source="settings", policy_version="v1", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "a@example.org", "name": "Ana", "age": 41,
                                              "notes": "likes tea"}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields == {
        "email": "a@example.org", "name": "Ana", "age": 41, "notes": "likes tea"}
    assert vault.get("customers", record_id, purpose="training", actor="tester").fields == {"age": 41, "notes": "likes tea"}
    assert vault.get("customers", record_id, purpose="marketing", actor="tester").fields == {"email": "a@example.org"}
    [listed] = vault.records("customers", purpose="training", actor="tester")
    assert set(listed.fields) == {"age", "notes"}


@sqlite_only
def test_record_repr_names_fields_but_never_values(vault: Vault, canary_pii: Canary) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": canary_pii.email, "name": canary_pii.phone},
                          purpose="support", actor="tester")
    shown = repr(vault.get("customers", record_id, purpose="support", actor="tester"))
    assert "email" in shown
    assert "name" in shown
    canary_pii.assert_absent(shown)


@sqlite_only
def test_free_text_redaction_rule_is_applied_before_sealing(vault: Vault, canary_pii: Canary) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    notes = f"Call {canary_pii.phone} about card {canary_pii.card}, mail {canary_pii.email}."
    record_id = vault.put("customers", "s1", {"email": "a@example.org", "notes": notes}, purpose="support", actor="tester")
    stored = vault.get("customers", record_id, purpose="support", actor="tester").fields["notes"]
    assert isinstance(stored, str)
    canary_pii.assert_absent(stored)
    assert "<PHONE_NUMBER_1>" in stored
    assert "<EMAIL_ADDRESS_1>" in stored
    assert "*" * len(canary_pii.card) in stored  # CREDIT_CARD: mask
    assert stored.startswith("Call ")
    assert " about card " in stored


@sqlite_only
def test_fields_without_a_redaction_rule_are_stored_verbatim(vault: Vault, canary_pii: Canary) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    body = canary_pii.text()
    record_id = vault.put("tickets", "s1", {"body": body}, purpose="support", actor="tester")
    assert vault.get("tickets", record_id, purpose="support", actor="tester").fields["body"] == body
