"""Retention: every record has a deadline from its collection and profile; sweeps remove the expired."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.vault._support import count, sibling, sqlite_only
from veil._clock import FixedClock
from veil.errors import NotFound
from veil.storage import Database
from veil.storage.tables import blind_index, records
from veil.vault import CollectionSpec, FieldSpec, Vault, VaultSchema
from veil.vault._taxonomy import Category

Databases = tuple[Database, Database]
DAY = timedelta(days=1)


def _with_devices(vault: Vault) -> Vault:
    """The fixture schema plus collections whose limits differ from every profile's."""
    support = frozenset({"support"})
    devices = CollectionSpec("devices", {
        "ip": FieldSpec("ip", Category.TECHNICAL, support),
        "label": FieldSpec("label", Category.CONTACT, support)}, retention=timedelta(days=1000))
    forever = CollectionSpec("ledger", {"label": FieldSpec("label", Category.CONTACT, support)})
    schema = VaultSchema(purposes=vault.schema.purposes,
                         collections={**vault.schema.collections, "devices": devices, "ledger": forever})
    return sibling(vault, schema=schema)


@pytest.mark.parametrize(("region", "collection", "values", "days"), [
    ("DE", "customers", {"email": "a@example.org"}, 730),  # collection 730 < gdpr max 1095
    ("DE", "customers", {"email": "a@example.org", "notes": "n"}, 365),  # gdpr caps free_text at 365
    ("DE", "customers", {"email": "a@example.org", "notes": None}, 730),  # an absent field caps nothing
    ("DE", "tickets", {"body": "b"}, 365),
    ("US-CA", "customers", {"email": "a@example.org", "notes": "n"}, 730),  # ccpa: no free_text cap
    ("IN", "customers", {"email": "a@example.org", "notes": "n"}, 365),
    ("DE", "devices", {"label": "x"}, 1000),  # collection 1000 < gdpr max 1095
    ("DE", "devices", {"ip": "192.0.2.1"}, 395),  # gdpr caps technical at 395
    ("US-CA", "devices", {"ip": "192.0.2.1"}, 395),  # so does ccpa
    ("DE", "ledger", {"label": "x"}, 1095),  # no collection limit: the gdpr default cap
], ids=lambda v: v if isinstance(v, str | int) else None)
@sqlite_only
def test_deadline_is_creation_plus_the_tightest_of_collection_retention_and_profile_caps(
        vault: Vault, clock: FixedClock, region: str, collection: str, values: dict[str, object],
        days: int) -> None:
    extended = _with_devices(vault)
    extended.add_subject("s1", region, actor="tester")
    record_id = extended.put(collection, "s1", values, purpose="support", actor="tester")
    assert extended.get(collection, record_id, purpose="support", actor="tester").expires_at == clock.now() + days * DAY


def test_record_with_no_limit_anywhere_has_no_deadline_and_is_never_swept(vault: Vault, clock: FixedClock) -> None:
    extended = _with_devices(vault)
    extended.add_subject("ca1", "US-CA", actor="tester")  # ccpa has no default cap and none for contact data
    record_id = extended.put("ledger", "ca1", {"label": "x"}, purpose="support", actor="tester")
    assert extended.get("ledger", record_id, purpose="support", actor="tester").expires_at is None
    assert extended.sweep_expired(now=clock.now() + 100_000 * DAY, actor="tester").total == 0
    assert extended.get("ledger", record_id, purpose="support", actor="tester").fields == {"label": "x"}


def _population(vault: Vault) -> dict[str, str]:
    vault.add_subject("de1", "DE", actor="tester")
    vault.add_subject("ca1", "US-CA", actor="tester")
    return {
        "short-customer": vault.put("customers", "de1", {"email": "short@example.org", "notes": "n"},
                                    purpose="support", actor="tester"),  # 365 days
        "short-ticket": vault.put("tickets", "de1", {"body": "b"}, purpose="support", actor="tester"),  # 365 days
        "long-customer": vault.put("customers", "de1", {"email": "long@example.org"}, purpose="support", actor="tester"),  # 730
        "ccpa-customer": vault.put("customers", "ca1", {"email": "ca@example.org", "notes": "n"},
                                   purpose="support", actor="tester"),  # 730
    }


def _left(databases: Databases) -> set[str]:
    with databases[0].read() as conn:
        return {row.record_id for row in conn.execute(records.select())}


def test_sweep_past_the_deadline_removes_expired_records_and_their_blind_index_rows(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    ids = _population(vault)
    assert count(databases[0], blind_index) == 3
    clock.advance(365 * DAY + timedelta(seconds=1))
    report = vault.sweep_expired(actor="retention-job")
    assert report.removed == {"customers": 1, "tickets": 1}
    assert report.total == 2
    assert report.at == clock.now()
    assert _left(databases) == {ids["long-customer"], ids["ccpa-customer"]}
    assert count(databases[0], blind_index, blind_index.c.record_id == ids["short-customer"]) == 0
    assert count(databases[0], blind_index) == 2
    with pytest.raises(NotFound):
        vault.get("customers", ids["short-customer"], purpose="support", actor="tester")
    assert vault.find("customers", "email", "short@example.org", purpose="support", actor="tester") == []
    assert [r.record_id for r in vault.find("customers", "email", "long@example.org", purpose="support", actor="tester")] \
        == [ids["long-customer"]]
    [entry] = vault.audit.entries(action="retention.sweep")
    assert (entry.actor, entry.resource, entry.at) == ("retention-job", "vault", clock.now())
    assert entry.counts == {"records": 2, "records.customers": 1, "records.tickets": 1}


def test_nothing_is_removed_before_the_deadline_and_the_deadline_itself_is_expired(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    ids = _population(vault)
    clock.advance(365 * DAY - timedelta(seconds=1))
    assert vault.sweep_expired(actor="tester").removed == {}
    assert _left(databases) == set(ids.values())
    assert vault.audit.entries(action="retention.sweep")[-1].counts == {"records": 0}
    clock.advance(timedelta(seconds=1))
    assert vault.sweep_expired(actor="tester").total == 2


def test_sweep_at_a_given_moment_uses_it_instead_of_the_clock(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    _population(vault)
    report = vault.sweep_expired(now=clock.now() + 731 * DAY, actor="tester")
    assert report.removed == {"customers": 3, "tickets": 1}
    assert _left(databases) == set()
    assert count(databases[0], blind_index) == 0


@sqlite_only
def test_each_sweep_writes_exactly_one_audit_entry(vault: Vault, clock: FixedClock) -> None:
    _population(vault)
    clock.advance(800 * DAY)
    vault.sweep_expired(actor="tester")
    vault.sweep_expired(actor="tester")
    assert [e.counts["records"] for e in vault.audit.entries(action="retention.sweep")] == [4, 0]


@sqlite_only
def test_update_adding_a_capped_field_tightens_the_deadline(vault: Vault, clock: FixedClock) -> None:
    vault.add_subject("de1", "DE", actor="tester")
    record_id = vault.put("customers", "de1", {"email": "a@example.org"}, purpose="support", actor="tester")
    created = clock.now()
    clock.advance(DAY)
    vault.update("customers", record_id, {"notes": "free text now held"}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").expires_at == created + 365 * DAY
