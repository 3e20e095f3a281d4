"""Consent: a ledger with history per subject and purpose; purposes needing consent see only consenters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.unit.vault._support import count, sqlite_only
from veil._clock import FixedClock
from veil.errors import ConsentMissing, InvalidInput
from veil.storage import Database
from veil.storage.tables import artifact_subjects, consent_events, records
from veil.vault import ConsentEvent, Vault

Databases = tuple[Database, Database]


def _customer(vault: Vault, subject_id: str, region: str) -> str:
    vault.add_subject(subject_id, region, actor="tester")
    return vault.put("customers", subject_id, {"email": f"{subject_id}@example.org", "age": 30,
                                               "notes": "prefers e-mail"}, purpose="support", actor="tester")


def test_consent_history_is_kept_in_order_with_source_and_policy_version(vault: Vault, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "DE", actor="tester")
    t0 = clock.now()
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="2026-01", actor="tester")
    clock.advance(timedelta(days=1))
    vault.consent.revoke("s1", "marketing", source="email-link", policy_version="2026-02", actor="tester")
    vault.consent.grant("s2", "marketing", source="web-form", policy_version="2026-02", actor="tester")
    clock.advance(timedelta(days=1))
    vault.consent.grant("s1", "training", source="settings", policy_version="2026-02", actor="tester")
    vault.consent.grant("s1", "training", source="import", policy_version="2025-12",
                        at=t0 - timedelta(days=30), actor="tester")  # a grant recorded late keeps its own moment
    assert vault.consent.history("s1") == [
        ConsentEvent("s1", "training", True, t0 - timedelta(days=30), "import", "2025-12"),
        ConsentEvent("s1", "marketing", True, t0, "web-form", "2026-01"),
        ConsentEvent("s1", "marketing", False, t0 + timedelta(days=1), "email-link", "2026-02"),
        ConsentEvent("s1", "training", True, t0 + timedelta(days=2), "settings", "2026-02"),
    ]
    assert [e.subject_id for e in vault.consent.history("s2")] == ["s2"]
    actions = [(e.action, e.resource, e.purpose) for e in vault.audit.entries() if e.action.startswith("consent.")]
    assert actions[:2] == [("consent.grant", "subject:s1", "marketing"), ("consent.revoke", "subject:s1", "marketing")]
    assert len(actions) == 5


def test_consent_standing_at_a_moment_follows_the_latest_event_before_it(vault: Vault, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    t1 = clock.now()
    vault.consent.grant("s1", "training", source="settings", policy_version="v1", actor="tester")
    clock.advance(timedelta(days=10))
    t2 = clock.now()
    vault.consent.revoke("s1", "training", source="settings", policy_version="v1", actor="tester")
    standing = vault.consent.standing
    assert standing("training", ["s1"], at=t1 - timedelta(seconds=1)) == {}
    assert standing("training", ["s1"], at=t1) == {"s1": True}
    assert standing("training", ["s1"], at=t1 + timedelta(days=5)) == {"s1": True}
    assert standing("training", ["s1"], at=t2) == {"s1": False}
    assert standing("training", ["s1"], at=t2 + timedelta(days=5)) == {"s1": False}
    assert standing("training", ["s1"]) == {"s1": False}
    assert standing("marketing", ["s1"]) == {}


def test_of_two_events_at_the_same_instant_the_later_recorded_decides(vault: Vault) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    vault.consent.revoke("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    assert vault.consent.standing("marketing", ["s1"]) == {"s1": False}


def test_marketing_read_sees_only_subjects_with_a_current_grant(vault: Vault) -> None:
    ids = {s: _customer(vault, s, region) for s, region in
           [("s1", "DE"), ("s2", "DE"), ("s3", "DE"), ("s4", "US-CA"), ("s5", "US-CA")]}
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    vault.consent.grant("s3", "marketing", source="web-form", policy_version="v1", actor="tester")
    vault.consent.revoke("s3", "marketing", source="unsubscribe", policy_version="v1", actor="tester")
    vault.consent.grant("s5", "marketing", source="web-form", policy_version="v1", actor="tester")
    seen = vault.records("customers", purpose="marketing", actor="tester")
    # legal basis "consent" needs a grant under every profile, CCPA included
    assert sorted(r.subject_id for r in seen) == ["s1", "s5"]
    assert all(set(r.fields) == {"email"} for r in seen)
    assert [e.counts for e in vault.audit.entries(action="vault.list")][-1] == {
        "records": 2, "withheld": 3, "unreadable": 0, "keys_unwrapped": 0}
    with pytest.raises(ConsentMissing):
        vault.get("customers", ids["s2"], purpose="marketing", actor="tester")
    assert [r.subject_id for r in vault.get_many("customers", list(ids.values()), purpose="marketing", actor="tester")] \
        in (["s1", "s5"], ["s5", "s1"])
    assert [r.subject_id for r in vault.find("customers", "email", "s3@example.org", purpose="marketing", actor="tester")] == []


def _exported(vault: Vault, databases: Databases, name: str) -> set[str]:
    dataset = vault.export_dataset("customers", purpose="training", name=name, actor="tester")
    subjects = {r.subject_id for r in dataset.records}
    assert all(set(r.fields) == {"age", "notes"} for r in dataset.records)
    with databases[0].read() as conn:
        linked = set(conn.execute(sa.select(artifact_subjects.c.subject_id)
                                  .where(artifact_subjects.c.artifact_id == dataset.artifact_id)).scalars())
    assert linked == subjects  # the dataset's lineage names exactly who is in it
    return subjects


def test_revoked_consent_leaves_a_gdpr_subjects_records_out_of_the_training_export(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    for subject in ("s1", "s2", "s3"):
        _customer(vault, subject, "DE")
    vault.consent.grant("s1", "training", source="settings", policy_version="v1", actor="tester")
    vault.consent.grant("s2", "training", source="settings", policy_version="v1", actor="tester")
    assert _exported(vault, databases, "ft-1") == {"s1", "s2"}  # training is opt-in under gdpr: s3 never asked
    clock.advance(timedelta(hours=1))
    vault.consent.revoke("s1", "training", source="settings", policy_version="v1", actor="tester")
    assert _exported(vault, databases, "ft-2") == {"s2"}
    assert count(databases[0], records, records.c.subject_id == "s1") == 1  # left out, not deleted


def test_ccpa_subject_is_in_the_training_export_until_it_opts_out(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    _customer(vault, "ca1", "US-CA")
    _customer(vault, "de1", "DE")
    assert _exported(vault, databases, "ft-1") == {"ca1"}  # opt-out under ccpa, opt-in under gdpr
    clock.advance(timedelta(hours=1))
    vault.consent.revoke("ca1", "training", source="do-not-train", policy_version="v1", actor="tester")
    assert _exported(vault, databases, "ft-2") == set()
    clock.advance(timedelta(hours=1))
    vault.consent.grant("ca1", "training", source="settings", policy_version="v2", actor="tester")
    assert _exported(vault, databases, "ft-3") == {"ca1"}


@sqlite_only
def test_dpdp_subject_needs_a_grant_for_training(vault: Vault, databases: Databases) -> None:
    _customer(vault, "in1", "IN")
    assert _exported(vault, databases, "ft-1") == set()
    vault.consent.grant("in1", "training", source="notice", policy_version="v1", actor="tester")
    assert _exported(vault, databases, "ft-2") == {"in1"}


def test_write_for_a_consent_purpose_without_consent_is_refused_and_stores_nothing(
        vault: Vault, databases: Databases, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(ConsentMissing) as caught:
        vault.put("customers", "s1", {"email": "s1@example.org"}, purpose="marketing", actor="tester")
    assert "s1" in caught.value.message
    assert "marketing" in caught.value.message
    assert "s1@example.org" not in caught.value.message
    assert count(databases[0], records) == 0
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    vault.put("customers", "s1", {"email": "s1@example.org"}, purpose="marketing", actor="tester")
    clock.advance(timedelta(minutes=1))
    vault.consent.revoke("s1", "marketing", source="unsubscribe", policy_version="v1", actor="tester")
    with pytest.raises(ConsentMissing):
        vault.put("customers", "s1", {"email": "s1@example.org"}, purpose="marketing", actor="tester")
    assert count(databases[0], records) == 1


def test_batch_write_with_one_non_consenting_subject_stores_nothing(vault: Vault, databases: Databases) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "DE", actor="tester")
    vault.consent.grant("s1", "marketing", source="web-form", policy_version="v1", actor="tester")
    with pytest.raises(ConsentMissing):
        vault.put_many("customers", [("s1", {"email": "s1@example.org"}), ("s2", {"email": "s2@example.org"})],
                       purpose="marketing", actor="tester")
    assert count(databases[0], records) == 0


@pytest.mark.parametrize(("subject_id", "purpose", "source", "policy_version"), [
    ("s1", "newsletter", "web-form", "v1"),  # undeclared purpose
    ("s1", "marketing", "", "v1"),
    ("s1", "marketing", "x" * 129, "v1"),
    ("s1", "marketing", "web-form", ""),
    ("a@b.org", "marketing", "web-form", "v1"),
], ids=["purpose", "empty-source", "long-source", "empty-policy", "subject-id"])
@sqlite_only
def test_invalid_consent_event_is_refused_and_not_recorded(
        vault: Vault, databases: Databases, subject_id: str, purpose: str, source: str, policy_version: str) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput) as caught:
        vault.consent.grant(subject_id, purpose, source=source, policy_version=policy_version, actor="tester")
    assert "a@b.org" not in caught.value.message
    assert count(databases[0], consent_events) == 0
