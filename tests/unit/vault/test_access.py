"""Every vault call is decided by the access policy first and leaves an audit entry naming the rule;
denied callers get nothing and learn nothing; elevations expire on their own; tokens are scoped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.unit.vault._support import sibling
from veil.access import Policy, TokenStore
from veil.dsr import DataSubjectRequests
from veil.errors import AccessDenied, ConsentMissing, NotFound, TokenExpired
from veil.vault import Vault

POLICY: dict[str, Any] = {
    "access": {
        "environment": "prod",
        "principals": [
            {"id": "loader", "kind": "service", "roles": ["ingest"]},
            {"id": "support-app", "kind": "service", "roles": ["support"]},
            {"id": "trainer", "kind": "service", "roles": ["ml"]},
            {"id": "alice", "kind": "person", "roles": ["engineer"]},
            {"id": "dpo", "kind": "person", "roles": ["privacy"]},
        ],
        "grants": [
            {"name": "ingest-writes", "roles": ["ingest"], "actions": ["write"], "purposes": ["support"]},
            {
                "name": "support-reads-customers",
                "roles": ["support"],
                "actions": ["decrypt", "read"],
                "collections": ["customers"],
                "purposes": ["support"],
            },
            {
                "name": "ml-exports",
                "roles": ["ml"],
                "actions": ["export", "decrypt"],
                "collections": ["customers"],
                "purposes": ["training"],
            },
            {
                "name": "dpo-answers-requests",
                "roles": ["privacy"],
                "actions": ["read", "write", "export", "erase"],
                "purposes": ["*"],
            },
        ],
        "denies": [
            {
                "name": "no-free-text-for-training",
                "roles": ["*"],
                "actions": ["export", "decrypt"],
                "categories": ["free_text"],
                "purposes": ["training"],
            },
        ],
        "elevations": [
            {
                "name": "incident-7",
                "principals": ["alice"],
                "actions": ["decrypt"],
                "collections": ["customers"],
                "purposes": ["support"],
                "approver": "dpo",
                "expires": "2026-03-01T14:00:00Z",
            },
        ],
    }
}


@pytest.fixture
def guarded(vault: Vault) -> Vault:
    """The fixture vault's databases under the narrow policy above (store located in the EU)."""
    narrow = sibling(vault, policy=Policy.from_mapping(POLICY, source="test"))
    narrow.add_subject("s1", "DE", actor="loader", purpose="support", collection="customers")
    return narrow


def _put(vault: Vault) -> str:
    return vault.put(
        "customers", "s1", {"email": "ada@example.org", "name": "Ada"}, purpose="support", actor="loader"
    )


def test_a_granted_principal_reads_and_the_entry_names_the_rule(guarded: Vault) -> None:
    record_id = _put(guarded)
    assert guarded.get("customers", record_id, purpose="support", actor="support-app").fields["name"] == "Ada"
    entry = guarded.audit.entries(action="vault.get")[-1]
    assert (entry.actor, entry.decision, entry.rule, entry.subject) == (
        "support-app",
        "allow",
        "support-reads-customers",
        "s1",
    )
    assert guarded.audit.entries(action="vault.put")[-1].rule == "ingest-writes"


def test_a_principal_without_the_grant_gets_nothing_and_a_denial_is_logged(guarded: Vault) -> None:
    record_id = _put(guarded)
    with pytest.raises(AccessDenied) as caught:
        guarded.get("customers", record_id, purpose="support", actor="loader")
    assert str(caught.value) == "access denied"  # says nothing of the rule, the record or its owner
    denied = guarded.audit.entries(decision="deny")[-1]
    assert (denied.action, denied.actor, denied.rule, denied.counts) == (
        "vault.get",
        "loader",
        "default-deny",
        {},
    )
    with pytest.raises(AccessDenied):
        guarded.records("customers", purpose="support", actor="trainer")  # ml may not use the support purpose


def test_deny_by_default_covers_every_operation(guarded: Vault) -> None:
    record_id = _put(guarded)
    attempts = [
        lambda: guarded.put(
            "customers", "s1", {"email": "x@example.org"}, purpose="support", actor="support-app"
        ),
        lambda: guarded.update("customers", record_id, {"name": "Eve"}, purpose="support", actor="trainer"),
        lambda: guarded.delete("customers", record_id, actor="support-app"),
        lambda: guarded.find("customers", "email", "ada@example.org", purpose="support", actor="loader"),
        lambda: guarded.erase_subject("s1", actor="support-app"),
        lambda: guarded.subject_data("s1", actor="trainer"),
        lambda: guarded.rotate_keys(actor="dpo"),  # admin is its own action
        lambda: guarded.sweep_expired(actor="support-app"),
        lambda: guarded.consent.grant(
            "s1", "marketing", source="web", policy_version="1", actor="support-app"
        ),
        lambda: guarded.owner("customers", record_id, actor="loader"),
    ]
    before = guarded.audit.size()
    for attempt in attempts:
        with pytest.raises(AccessDenied):
            attempt()
    denials = guarded.audit.entries(decision="deny", after=before - 1, limit=100)
    assert len(denials) == len(attempts)
    assert guarded.get("customers", record_id, purpose="support", actor="support-app").fields["name"] == "Ada"


def test_an_unknown_principal_is_denied_and_not_repeated_in_the_log(guarded: Vault) -> None:
    with pytest.raises(AccessDenied):
        guarded.records("customers", purpose="support", actor="someone@example.org")
    entry = guarded.audit.entries(decision="deny")[-1]
    assert (entry.actor, entry.rule) == ("unknown-principal", "unknown-principal")


def test_an_explicit_deny_wins_over_a_grant(guarded: Vault) -> None:
    _put(guarded)
    guarded.consent.grant("s1", "training", source="web", policy_version="1", actor="dpo")
    # training reaches the free-text notes field: the deny on free_text wins over ml-exports
    with pytest.raises(AccessDenied):
        guarded.export_dataset("customers", purpose="training", name="v1", actor="trainer")
    assert guarded.audit.entries(decision="deny")[-1].rule == "no-free-text-for-training"


def test_an_elevation_works_until_it_expires_without_anyone_removing_it(guarded: Vault) -> None:
    record_id = _put(guarded)
    assert (
        guarded.get("customers", record_id, purpose="support", actor="alice").fields["email"]
        == "ada@example.org"
    )
    assert guarded.audit.entries(actor="alice")[-1].rule == "incident-7"
    clock = guarded.clock
    clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]  # a FixedClock: 14:00, the expiry
    with pytest.raises(AccessDenied):
        guarded.get("customers", record_id, purpose="support", actor="alice")


def test_a_policy_less_vault_denies_everything(vault: Vault) -> None:
    bare = sibling(vault, policy=None)
    with pytest.raises(AccessDenied):
        bare.add_subject("s9", "DE", actor="tester")
    assert bare.audit.entries(decision="deny")[-1].rule == "unknown-principal"


def _tokens(vault: Vault) -> TokenStore:
    return TokenStore(vault.data, vault.keys.secret("tokens"), audit=vault.audit, clock=vault.clock)


def test_an_inference_token_cannot_touch_the_vault(guarded: Vault) -> None:
    record_id = _put(guarded)
    store = _tokens(guarded)
    inference = store.authenticate(store.issue("support-app", ["inference"], actor="dpo").secret)
    with pytest.raises(AccessDenied):
        guarded.get("customers", record_id, purpose="support", actor=inference)
    assert guarded.audit.entries(decision="deny")[-1].rule == "token-scope"
    reader = store.authenticate(store.issue("support-app", ["vault:decrypt:customers"], actor="dpo").secret)
    assert guarded.get("customers", record_id, purpose="support", actor=reader).record_id == record_id


def test_a_token_is_no_more_than_its_principal(guarded: Vault) -> None:
    record_id = _put(guarded)
    store = _tokens(guarded)
    wide = store.authenticate(store.issue("loader", ["vault:decrypt:*"], actor="dpo").secret)
    with pytest.raises(AccessDenied):  # the scope allows it, the loader's policy does not
        guarded.get("customers", record_id, purpose="support", actor=wide)


def test_an_expired_token_stops_at_the_vault_too(guarded: Vault) -> None:
    record_id = _put(guarded)
    store = _tokens(guarded)
    token = store.authenticate(
        store.issue("support-app", ["vault:decrypt:customers"], ttl=timedelta(minutes=1), actor="dpo").secret
    )
    guarded.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    with pytest.raises(TokenExpired):
        guarded.get("customers", record_id, purpose="support", actor=token)


def test_data_subject_requests_are_decided_and_audited(guarded: Vault) -> None:
    _put(guarded)
    dsr = DataSubjectRequests(guarded)
    with pytest.raises(AccessDenied):
        dsr.open("s1", "erasure", actor="support-app")
    request = dsr.open("s1", "erasure", actor="dpo")
    receipt = dsr.erase(request.request_id, actor="dpo")
    assert receipt.payload["status"] == "completed"
    actions = [e.action for e in guarded.audit.entries(actor="dpo", limit=1000)]
    assert {"dsr.open", "subject.erase", "dsr.erase"} <= set(actions)
    store = _tokens(guarded)
    inference = store.authenticate(store.issue("dpo", ["inference"], actor="dpo").secret)
    with pytest.raises(AccessDenied):
        dsr.open("s1", "access", actor=inference)


def test_every_allowed_call_that_fails_is_on_record_too(guarded: Vault) -> None:
    with pytest.raises(NotFound):
        guarded.update("customers", "rec-missing", {"name": "Eve"}, purpose="support", actor="loader")
    entry = guarded.audit.entries(action="vault.update")[-1]
    assert (entry.decision, entry.rule) == ("error", "ingest-writes")


def test_a_consent_refusal_after_an_allow_is_a_denial_naming_the_check(vault: Vault) -> None:
    record_id = vault.put("customers", "s1", {"email": "ada@example.org"}, purpose="support", region="DE",
                          actor="tester")
    with pytest.raises(ConsentMissing):
        vault.get("customers", record_id, purpose="marketing", actor="tester")
    entry = vault.audit.entries(action="vault.get")[-1]
    assert (entry.decision, entry.rule) == ("deny", "consent_missing")
