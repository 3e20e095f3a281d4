"""Exact-match lookup through blind indexes; updates and deletes keep the indexes in step."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.unit.vault._support import count, sqlite_only
from veil._clock import FixedClock
from veil.errors import ConsentMissing, InvalidInput, NotFound, PurposeNotAllowed
from veil.storage import Database
from veil.storage.tables import blind_index, records
from veil.vault import Vault
from veil.vault._payload import unpack

Databases = tuple[Database, Database]


def _customer(vault: Vault, subject_id: str = "s1", email: str = "Ana.Example@Example.org") -> str:
    vault.add_subject(subject_id, "DE", actor="tester")
    return vault.put("customers", subject_id, {"email": email, "name": "Ana", "age": 41, "notes": "tea"},
                     purpose="support", actor="tester")


def _found(vault: Vault, email: object) -> list[str]:
    return sorted(r.record_id for r in vault.find("customers", "email", email, purpose="support", actor="tester"))


def _row(databases: Databases, record_id: str) -> sa.Row[tuple[object, ...]]:
    with databases[0].read() as conn:
        return conn.execute(sa.select(records).where(records.c.record_id == record_id)).one()


@pytest.mark.parametrize("query", ["Ana.Example@Example.org", "ana.example@example.org",
                                   "  ANA.EXAMPLE@EXAMPLE.ORG\n", "\uff21na.example@example.org"])
@sqlite_only
def test_find_by_email_ignores_case_unicode_form_and_surrounding_whitespace(vault: Vault, query: str) -> None:
    record_id = _customer(vault)
    [found] = vault.find("customers", "email", query, purpose="support", actor="tester")
    assert (found.record_id, found.subject_id) == (record_id, "s1")
    assert found.fields["email"] == "Ana.Example@Example.org"  # stored as given


def test_find_returns_every_record_with_the_value_and_nothing_else(vault: Vault) -> None:
    first = _customer(vault, "s1", "shared@example.org")
    second = _customer(vault, "s2", "Shared@example.org")
    _customer(vault, "s3", "other@example.org")
    assert _found(vault, "shared@example.org") == sorted([first, second])
    assert _found(vault, "shared@example.or") == []
    assert _found(vault, "nobody@example.org") == []


@sqlite_only
def test_find_on_a_field_without_a_blind_index_is_refused(vault: Vault) -> None:
    _customer(vault)
    with pytest.raises(InvalidInput, match=r"customers\.'name' has no blind index"):
        vault.find("customers", "name", "Ana", purpose="support", actor="tester")
    with pytest.raises(InvalidInput, match="not declared"):
        vault.find("customers", "phone", "Ana", purpose="support", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.find("customers", "ana@example.org", "x", purpose="support", actor="tester")
    assert "ana@example.org" not in caught.value.message


@sqlite_only
def test_find_for_a_purpose_that_may_not_see_the_field_is_not_allowed(vault: Vault) -> None:
    _customer(vault)
    with pytest.raises(PurposeNotAllowed, match=r"may not look up customers\.email"):
        vault.find("customers", "email", "ana.example@example.org", purpose="training", actor="tester")


@sqlite_only
def test_find_with_a_value_of_the_wrong_type_is_refused(vault: Vault) -> None:
    _customer(vault)
    with pytest.raises(InvalidInput, match="must be of type string"):
        vault.find("customers", "email", 42, purpose="support", actor="tester")


def test_update_changes_the_given_fields_and_keeps_the_others(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    record_id = _customer(vault)
    created = clock.now()
    clock.advance(timedelta(hours=2))
    vault.update("customers", record_id, {"name": "Ana Maria", "age": 42}, purpose="support", request_id="req-1", actor="tester")
    record = vault.get("customers", record_id, purpose="support", actor="tester")
    assert record.fields == {"email": "Ana.Example@Example.org", "name": "Ana Maria", "age": 42, "notes": "tea"}
    assert (record.created_at, record.updated_at) == (created, clock.now())
    assert _row(databases, record_id).version == 2
    [entry] = vault.audit.entries(action="vault.update")
    assert (entry.purpose, entry.request_id, entry.counts) == ("support", "req-1", {"fields": 2})


def test_update_with_none_removes_the_field(vault: Vault, databases: Databases) -> None:
    record_id = _customer(vault)
    vault.update("customers", record_id, {"name": None}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields == {
        "email": "Ana.Example@Example.org", "age": 41, "notes": "tea"}
    assert set(unpack(_row(databases, record_id).payload)) == {"email", "age", "notes"}


def test_update_removing_a_required_field_is_refused_and_changes_nothing(vault: Vault, databases: Databases) -> None:
    record_id = _customer(vault)
    before = _row(databases, record_id)
    with pytest.raises(InvalidInput, match=r"requires fields \['email'\]"):
        vault.update("customers", record_id, {"email": None, "name": "Bob"}, purpose="support", actor="tester")
    assert _row(databases, record_id) == before
    assert _found(vault, "ana.example@example.org") == [record_id]


@pytest.mark.parametrize("values", [{"ssn": "219-09-9998"}, {"age": "forty"}, {"age": True}])
@sqlite_only
def test_update_with_an_undeclared_field_or_a_bad_value_is_refused_and_changes_nothing(
        vault: Vault, databases: Databases, values: dict[str, object]) -> None:
    record_id = _customer(vault)
    before = _row(databases, record_id)
    with pytest.raises(InvalidInput) as caught:
        vault.update("customers", record_id, values, purpose="support", actor="tester")
    assert "219-09-9998" not in caught.value.message
    assert "forty" not in caught.value.message
    assert _row(databases, record_id) == before


def test_update_of_the_email_refreshes_its_blind_index(vault: Vault, databases: Databases) -> None:
    record_id = _customer(vault)
    vault.update("customers", record_id, {"email": "new.address@example.org"}, purpose="support", actor="tester")
    assert _found(vault, "ana.example@example.org") == []
    assert _found(vault, "NEW.address@example.org") == [record_id]
    assert count(databases[0], blind_index, blind_index.c.record_id == record_id) == 1


def test_update_of_other_fields_leaves_the_blind_index_alone(vault: Vault, databases: Databases) -> None:
    record_id = _customer(vault)
    with databases[0].read() as conn:
        before = conn.execute(sa.select(blind_index)).all()
    vault.update("customers", record_id, {"age": 50}, purpose="support", actor="tester")
    with databases[0].read() as conn:
        assert conn.execute(sa.select(blind_index)).all() == before


@sqlite_only
def test_update_applies_the_free_text_redaction_rule(vault: Vault) -> None:
    record_id = _customer(vault)
    vault.update("customers", record_id, {"notes": "new number +44 20 7946 0958"}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields["notes"] == "new number <PHONE_NUMBER_1>"


@pytest.mark.parametrize(("purpose", "field"), [("training", "name"), ("training", "email"),
                                                ("marketing", "notes")])
@sqlite_only
def test_update_of_a_field_the_purpose_may_not_see_is_not_allowed(
        vault: Vault, databases: Databases, purpose: str, field: str) -> None:
    record_id = _customer(vault)
    vault.consent.grant("s1", purpose, source="settings", policy_version="v1", actor="tester")
    before = _row(databases, record_id)
    with pytest.raises(PurposeNotAllowed, match=f"may not write customers.{field}"):
        vault.update("customers", record_id, {field: "ana@example.org"}, purpose=purpose, actor="tester")
    assert _row(databases, record_id) == before


def test_update_for_a_consent_purpose_without_consent_is_refused(vault: Vault) -> None:
    record_id = _customer(vault)  # s1 (DE) never consented to marketing
    with pytest.raises(ConsentMissing):
        vault.update("customers", record_id, {"email": "spam.target@example.org"}, purpose="marketing", actor="tester")


@sqlite_only
def test_update_of_an_unknown_record_is_not_found(vault: Vault) -> None:
    _customer(vault)
    with pytest.raises(NotFound):
        vault.update("customers", "0" * 32, {"age": 1}, purpose="support", actor="tester")
    with pytest.raises(InvalidInput):
        vault.update("customers", "not a record id", {"age": 1}, purpose="support", actor="tester")


def test_delete_removes_the_record_and_its_blind_index_rows_only(vault: Vault, databases: Databases) -> None:
    gone = _customer(vault, "s1", "gone@example.org")
    kept = _customer(vault, "s2", "kept@example.org")
    vault.delete("customers", gone, actor="ops")
    with pytest.raises(NotFound):
        vault.get("customers", gone, purpose="support", actor="tester")
    assert count(databases[0], records, records.c.record_id == gone) == 0
    assert count(databases[0], blind_index, blind_index.c.record_id == gone) == 0
    assert _found(vault, "gone@example.org") == []
    assert _found(vault, "kept@example.org") == [kept]
    [entry] = vault.audit.entries(action="vault.delete")
    assert (entry.actor, entry.counts) == ("ops", {"records": 1})
    with pytest.raises(NotFound):
        vault.delete("customers", gone, actor="tester")


@sqlite_only
def test_delete_names_the_collection_it_deletes_from(vault: Vault) -> None:
    record_id = _customer(vault)
    with pytest.raises(NotFound):
        vault.delete("tickets", record_id, actor="tester")  # a customer record is not a ticket
    assert vault.get("customers", record_id, purpose="support", actor="tester").record_id == record_id
