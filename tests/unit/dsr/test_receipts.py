"""Erasure and rectification through requests, and the signed receipts that prove them."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from tests.unit.dsr.conftest import People
from veil._clock import FixedClock
from veil.crypto import Ed25519Signer
from veil.dsr import DataSubjectRequests, Receipt, verify_receipt
from veil.dsr._receipts import canonical
from veil.errors import IntegrityError, InvalidInput, NotFound
from veil.vault import InMemoryDerivedStore, Vault


def _public_key(vault: Vault) -> bytes:
    return vault.keys.provider.signer().public_key()


def _erase(dsr: DataSubjectRequests, subject_id: str = "s1") -> Receipt:
    return dsr.erase(dsr.open(subject_id, "erasure", actor="tester").request_id, actor="dpo")


# -- receipts --------------------------------------------------------------------------


def test_erase_receipt_verifies_with_the_vault_public_key(vault: Vault, dsr: DataSubjectRequests,
                                                          people: People) -> None:
    receipt = _erase(dsr)
    assert verify_receipt(receipt)
    assert verify_receipt(receipt, _public_key(vault))
    assert base64.b64decode(receipt.public_key) == _public_key(vault)


def test_tampered_receipt_fails_verification(vault: Vault, dsr: DataSubjectRequests, people: People) -> None:
    receipt = _erase(dsr)
    fewer = replace(receipt, payload={**receipt.payload, "records": {"customers": 0, "tickets": 0}})
    other_subject = replace(receipt, payload={**receipt.payload, "subject_id": "s2"})
    flipped = bytearray(base64.b64decode(receipt.signature))
    flipped[0] ^= 1
    bad_signature = replace(receipt, signature=base64.b64encode(bytes(flipped)).decode())
    for forged in (fewer, other_subject, bad_signature):
        assert not verify_receipt(forged)
        assert not verify_receipt(forged, _public_key(vault))
    assert verify_receipt(receipt)


def test_receipt_signed_by_another_key_fails_against_the_vault_key(vault: Vault, dsr: DataSubjectRequests,
                                                                   people: People) -> None:
    receipt = _erase(dsr)
    impostor = Ed25519Signer.generate()
    resigned = Receipt(receipt.payload, base64.b64encode(impostor.sign(canonical(receipt.payload))).decode(),
                       base64.b64encode(impostor.public_key()).decode())
    assert verify_receipt(resigned)  # self-consistent ...
    assert not verify_receipt(resigned, _public_key(vault))  # ... but not the deployment's


@pytest.mark.parametrize("field", ["signature", "public_key"])
def test_malformed_receipt_is_simply_invalid(vault: Vault, dsr: DataSubjectRequests, people: People,
                                             field: str) -> None:
    receipt = _erase(dsr)
    assert not verify_receipt(replace(receipt, **{field: "not base64!"}))
    assert not verify_receipt(replace(receipt, **{field: ""}))


def test_receipt_round_trips_through_json_and_the_request_row(vault: Vault, dsr: DataSubjectRequests,
                                                              people: People) -> None:
    request = dsr.open("s1", "erasure", actor="tester")
    receipt = dsr.erase(request.request_id, actor="tester")
    assert Receipt.from_json(receipt.to_json()) == receipt
    stored = dsr.get(request.request_id).receipt
    assert stored is not None
    assert Receipt.from_json(json.dumps(stored)) == receipt
    assert verify_receipt(Receipt.from_json(json.dumps(stored)), _public_key(vault))


@pytest.mark.parametrize("text", ["", "[]", '{"payload": {}}', '{"payload": [], "signature": "", "public_key": ""}'])
def test_from_json_refuses_what_is_not_a_receipt(text: str) -> None:
    with pytest.raises(InvalidInput, match="receipt"):
        Receipt.from_json(text)


# -- erasure ---------------------------------------------------------------------------


def test_erase_receipt_states_what_was_removed(vault: Vault, dsr: DataSubjectRequests, people: People,
                                               clock: FixedClock) -> None:
    vault.consent.grant("s1", "marketing", source="form", policy_version="1", actor="tester")
    request = dsr.open("s1", "erasure", actor="tester")
    payload = dsr.erase(request.request_id, actor="dpo").payload
    assert payload["records"] == {"customers": 1, "tickets": 1}
    assert (payload["blind_index_entries"], payload["consent_events"]) == (1, 1)
    assert (payload["key_destroyed"], payload["destroyed_in_epoch"], payload["backups_unreadable_after_epoch"]) == (
        True, 0, 1)
    assert (payload["kind"], payload["request_id"], payload["subject_id"]) == ("erasure", request.request_id, "s1")
    assert (payload["actor"], payload["profile"], payload["completed_at"]) == ("dpo", "gdpr", clock.now().isoformat())
    erase_entry = vault.audit.entries(action="subject.erase")[-1]
    assert (payload["audit_seq"], erase_entry.request_id) == (erase_entry.index, request.request_id)
    assert json.loads(json.dumps(payload)) == payload


def test_after_erasure_the_vault_holds_nothing_of_the_subject(vault: Vault, dsr: DataSubjectRequests,
                                                              people: People) -> None:
    _erase(dsr)
    for collection in ("customers", "tickets"):
        assert {r.subject_id for r in vault.records(collection, purpose="support", actor="tester")} == {"s2"}
    assert vault.find("customers", "email", "ada@example.org", purpose="support", actor="tester") == []
    assert vault.consent.history("s1") == []
    with pytest.raises(NotFound):
        vault.subject("s1", actor="tester")
    assert vault.get("customers", people.s2_customer, purpose="support", actor="tester").fields["email"] == "bob@example.net"


def test_erasure_reaches_registered_derived_stores(vault: Vault, dsr: DataSubjectRequests,
                                                   people: People) -> None:
    store = InMemoryDerivedStore("embeddings")
    vault.register_derived_store(store)
    store.put("e1", "s1", [0.1])
    store.put("e2", "s1", [0.2])
    store.put("e3", "s2", [0.3])
    receipt = _erase(dsr)
    assert receipt.payload["derived"] == {"embeddings": 2}
    assert store.count_subject("s1") == 0
    assert store.count_subject("s2") == 1


def test_erasure_taints_artifacts_made_from_the_subject(vault: Vault, dsr: DataSubjectRequests,
                                                        people: People) -> None:
    vault.consent.grant("s1", "training", source="app", policy_version="1", actor="tester")
    dataset = vault.export_dataset("customers", purpose="training", name="fine-tune-v1", actor="tester")
    assert {r.subject_id for r in dataset.records} == {"s1"}  # s2 gave no consent
    model = vault.register_artifact(kind="model", name="support-bot", subject_ids=["s1", "s2"],
                                    parent_id=dataset.artifact_id, actor="tester")
    clean = vault.register_artifact(kind="model", name="s2-only", subject_ids=["s2"], actor="tester")
    receipt = _erase(dsr)
    assert sorted(receipt.payload["tainted_artifacts"]) == sorted([dataset.artifact_id, model])
    assert {a.artifact_id for a in vault.artifacts(tainted=True, actor="tester")} == {dataset.artifact_id, model}
    assert [a.artifact_id for a in vault.artifacts(tainted=False, actor="tester")] == [clean]


def test_erasure_of_an_unregistered_subject_still_answers(vault: Vault, dsr: DataSubjectRequests) -> None:
    store = InMemoryDerivedStore("cache")
    vault.register_derived_store(store)
    store.put("k", "ghost", "cached answer")
    request = dsr.open("ghost", "erasure", region="DE", actor="tester")
    receipt = dsr.erase(request.request_id, actor="tester")
    assert (receipt.payload["key_destroyed"], receipt.payload["records"]) == (False, {})
    assert receipt.payload["derived"] == {"cache": 1}
    assert store.count_subject("ghost") == 0
    assert dsr.get(request.request_id).status == "completed"


def test_second_erasure_of_a_completed_request_is_refused(vault: Vault, dsr: DataSubjectRequests,
                                                          people: People) -> None:
    request = dsr.open("s1", "erasure", actor="tester")
    first = dsr.erase(request.request_id, actor="tester")
    with pytest.raises(IntegrityError):
        dsr.erase(request.request_id, actor="tester")
    stored = dsr.get(request.request_id).receipt
    assert stored is not None
    assert Receipt.from_json(json.dumps(stored)) == first
    assert len(vault.audit.entries(action="subject.erase")) == 1


# -- rectification ---------------------------------------------------------------------


def test_rectify_changes_the_value_and_the_blind_index(vault: Vault, dsr: DataSubjectRequests,
                                                       people: People) -> None:
    request = dsr.open("s1", "rectification", actor="tester")
    receipt = dsr.rectify(request.request_id, "customers", people.s1_customer,
                          {"email": "ada.king@example.org", "name": "Ada King"}, actor="agent-7")
    record = vault.get("customers", people.s1_customer, purpose="support", actor="tester")
    assert (record.fields["email"], record.fields["name"]) == ("ada.king@example.org", "Ada King")
    assert [r.record_id for r in vault.find("customers", "email", "ada.king@example.org",
                                            purpose="support", actor="tester")] == [people.s1_customer]
    assert vault.find("customers", "email", "ada@example.org", purpose="support", actor="tester") == []
    assert receipt.payload["fields"] == ["email", "name"]
    assert (receipt.payload["collection"], receipt.payload["record_id"]) == ("customers", people.s1_customer)
    assert verify_receipt(receipt, _public_key(vault))
    assert dsr.get(request.request_id).status == "completed"
    update = vault.audit.entries(action="vault.update")[-1]
    assert (update.request_id, update.actor) == (request.request_id, "agent-7")


def test_rectify_of_another_subjects_record_is_refused(vault: Vault, dsr: DataSubjectRequests,
                                                       people: People) -> None:
    request = dsr.open("s1", "rectification", actor="tester")
    with pytest.raises(NotFound) as refused:
        dsr.rectify(request.request_id, "customers", people.s2_customer, {"email": "evil@example.org"}, actor="tester")
    with pytest.raises(NotFound) as missing:
        dsr.rectify(request.request_id, "customers", "no-such-record", {"email": "evil@example.org"}, actor="tester")
    # the refusal reads like a missing record: it never says the record exists or whose it is
    assert refused.value.message.replace(people.s2_customer, "X") == missing.value.message.replace(
        "no-such-record", "X")
    assert "s2" not in refused.value.message.replace(people.s2_customer, "")
    assert vault.get("customers", people.s2_customer, purpose="support", actor="tester").fields["email"] == "bob@example.net"
    assert dsr.get(request.request_id).status == "open"


def test_rectify_with_no_or_bad_values_changes_nothing(vault: Vault, dsr: DataSubjectRequests,
                                                       people: People) -> None:
    request = dsr.open("s1", "rectification", actor="tester")
    with pytest.raises(InvalidInput, match="non-empty mapping"):
        dsr.rectify(request.request_id, "customers", people.s1_customer, {}, actor="tester")
    with pytest.raises(InvalidInput, match="integer"):
        dsr.rectify(request.request_id, "customers", people.s1_customer, {"age": "old"}, actor="tester")
    with pytest.raises(InvalidInput, match="not declared"):
        dsr.rectify(request.request_id, "customers", people.s1_customer, {"shoe_size": 44}, actor="tester")
    assert vault.get("customers", people.s1_customer, purpose="support", actor="tester").fields["age"] == 36
    assert dsr.get(request.request_id).status == "open"
