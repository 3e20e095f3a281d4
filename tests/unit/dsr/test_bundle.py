"""The export bundle: valid against EXPORT_SCHEMA, exactly the subject's data, nothing of anyone else."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest

from tests.unit.dsr.conftest import People
from veil._clock import FixedClock
from veil.dsr import EXPORT_SCHEMA, DataSubjectRequests
from veil.dsr._receipts import canonical
from veil.vault import InMemoryDerivedStore, Vault

VALIDATOR = jsonschema.Draft202012Validator(EXPORT_SCHEMA, format_checker=jsonschema.FormatChecker())


def _export(dsr: DataSubjectRequests, subject_id: str, **options: Any) -> dict[str, Any]:
    return dsr.export(dsr.open(subject_id, "access", actor="tester", **options).request_id, actor="tester")


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(EXPORT_SCHEMA)
    assert EXPORT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert EXPORT_SCHEMA["properties"]["format"] == {"const": "veil-export/1"}


def test_bundle_validates_against_the_schema(dsr: DataSubjectRequests, people: People) -> None:
    bundle = _export(dsr, "s1")
    VALIDATOR.validate(bundle)
    assert bundle["format"] == "veil-export/1"
    assert bundle["subject"] == {"subject_id": "s1", "region": "DE", "profile": "gdpr"}


def test_schema_refuses_a_bundle_with_extra_or_missing_keys(dsr: DataSubjectRequests, people: People) -> None:
    bundle = _export(dsr, "s1")
    extra = {**copy.deepcopy(bundle), "notes": "unexpected"}
    missing = {k: v for k, v in bundle.items() if k != "consent"}
    bad_record = copy.deepcopy(bundle)
    del bad_record["collections"]["customers"][0]["record_id"]
    for broken in (extra, missing, bad_record):
        assert not VALIDATOR.is_valid(broken)


def test_bundle_holds_exactly_the_subjects_records(vault: Vault, dsr: DataSubjectRequests,
                                                   people: People) -> None:
    bundle = _export(dsr, "s1")
    exported = {name: [r["record_id"] for r in found] for name, found in bundle["collections"].items()}
    assert exported == {"customers": [people.s1_customer], "tickets": [people.s1_ticket]}
    assert bundle["collections"]["customers"][0]["fields"] == {
        "email": "ada@example.org", "name": "Ada Lovelace", "age": 36, "notes": "prefers morning calls"}
    text = json.dumps(bundle)
    assert [value for value in people.s2_values if value in text] == []
    assert people.s2_customer not in text
    assert '"s2"' not in text


def test_bundle_writes_dates_and_times_as_iso_strings(dsr: DataSubjectRequests, people: People,
                                                      clock: FixedClock) -> None:
    bundle = _export(dsr, "s1")
    ticket = bundle["collections"]["tickets"][0]
    assert ticket["fields"]["opened"] == "2026-02-01"
    assert ticket["created_at"] == clock.now().isoformat()
    assert ticket["expires_at"] == (clock.now() + timedelta(days=365)).isoformat()
    assert bundle["generated_at"] == clock.now().isoformat()
    assert json.loads(json.dumps(bundle)) == bundle  # plain JSON all the way down


def test_bundle_includes_consent_history(vault: Vault, dsr: DataSubjectRequests, people: People,
                                         clock: FixedClock) -> None:
    vault.consent.grant("s1", "marketing", source="signup-form", policy_version="2026-01", actor="tester")
    clock.advance(timedelta(days=2))
    vault.consent.revoke("s1", "marketing", source="unsubscribe-link", policy_version="2026-01", actor="tester")
    vault.consent.grant("s2", "training", source="app", policy_version="2026-02", actor="tester")
    bundle = _export(dsr, "s1")
    assert bundle["consent"] == [
        {"purpose": "marketing", "granted": True, "at": (clock.now() - timedelta(days=2)).isoformat(),
         "source": "signup-form", "policy_version": "2026-01"},
        {"purpose": "marketing", "granted": False, "at": clock.now().isoformat(),
         "source": "unsubscribe-link", "policy_version": "2026-01"},
    ]


def test_bundle_lists_derived_artifacts_and_store_counts(vault: Vault, dsr: DataSubjectRequests,
                                                         people: People) -> None:
    store = InMemoryDerivedStore("embeddings")
    vault.register_derived_store(store)
    store.put("e1", "s1", [0.1, 0.2])
    store.put("e2", "s1", [0.3, 0.4])
    store.put("e3", "s2", [0.5, 0.6])
    model = vault.register_artifact(kind="model", name="support-bot", subject_ids=["s1", "s2"], purpose="training", actor="tester")
    vault.register_artifact(kind="model", name="other-bot", subject_ids=["s2"], actor="tester")
    bundle = _export(dsr, "s1")
    assert bundle["derived"]["stores"] == {"embeddings": 2}
    assert [(a["artifact_id"], a["kind"], a["name"], a["purpose"]) for a in bundle["derived"]["artifacts"]] == [
        (model, "model", "support-bot", "training")]
    VALIDATOR.validate(bundle)


def test_bundle_lists_the_subjects_other_requests(vault: Vault, dsr: DataSubjectRequests, people: People,
                                                  clock: FixedClock) -> None:
    earlier = dsr.open("s1", "rectification", actor="tester")
    dsr.reject(earlier.request_id, reason="identity_not_verified", actor="tester")
    dsr.open("s2", "erasure", actor="tester")
    clock.advance(timedelta(hours=1))
    bundle = _export(dsr, "s1")
    assert bundle["requests"] == [{"request_id": earlier.request_id, "kind": "rectification",
                                   "status": "rejected", "received_at": earlier.received_at.isoformat()}]


def test_unregistered_subject_gets_an_empty_bundle(dsr: DataSubjectRequests, people: People) -> None:
    bundle = _export(dsr, "ghost", region="US-CA")
    VALIDATOR.validate(bundle)
    assert bundle["subject"] == {"subject_id": "ghost", "region": None, "profile": "ccpa"}
    assert (bundle["collections"], bundle["consent"], bundle["derived"]) == ({}, [], {"artifacts": [], "stores": {}})


def test_export_completes_the_request_with_a_receipt(vault: Vault, dsr: DataSubjectRequests, people: People,
                                                     clock: FixedClock) -> None:
    request = dsr.open("s1", "portability", actor="tester")
    bundle = dsr.export(request.request_id, actor="agent-7")
    done = dsr.get(request.request_id)
    assert (done.status, done.completed_at) == ("completed", clock.now())
    assert done.receipt is not None
    payload = done.receipt["payload"]
    assert payload["collections"] == {"customers": 1, "tickets": 1}
    assert payload["bundle_sha256"] == hashlib.sha256(canonical(bundle)).hexdigest()
    assert (payload["kind"], payload["actor"]) == ("portability", "agent-7")


def test_export_reads_through_the_vault_and_is_audited(vault: Vault, dsr: DataSubjectRequests,
                                                       people: People) -> None:
    request = dsr.open("s1", "access", actor="tester")
    dsr.export(request.request_id, actor="tester")
    mine = [e for e in vault.audit.entries(limit=1000) if e.request_id == request.request_id]
    assert [e.action for e in mine] == ["dsr.open", "subject.export", "dsr.export"]
    assert mine[1].counts == {"records": 2, "consent_events": 0}


@pytest.mark.parametrize("kind", ["access", "portability"])
def test_both_kinds_export_the_same_shape(dsr: DataSubjectRequests, people: People, kind: str) -> None:
    bundle = dsr.export(dsr.open("s1", kind, actor="tester").request_id, actor="tester")
    VALIDATOR.validate(bundle)
    assert set(bundle["collections"]) == {"customers", "tickets"}
