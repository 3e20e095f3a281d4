"""The vault, consent and data subject request routes: scopes, round trips, minimization, consent,
request flows, and no planted value in the service's log, metrics, errors or audit entries."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs veil[server]")

from fastapi.testclient import TestClient

from tests.conftest import Canary, sqlite_vault
from veil._clock import FixedClock
from veil.dsr import Receipt, verify_receipt
from veil.gateway import EchoUpstream, Gateway
from veil.service import Service, create_app
from veil.vault import Vault, VaultSchema

CUSTOMER = {"email": "ada@example.org", "name": "Ada Lovelace", "age": 36, "notes": "prefers mornings"}
RECORDS = "/v1/vault/customers/records"
EVERYTHING = ("vault:write:*", "vault:read:*", "vault:decrypt:*", "vault:erase:*", "dsr")
MISSING_REQUEST = "/v1/dsr/requests/00000000-0000-4000-8000-000000000000"


@pytest.fixture
def vault(tmp_path: Path, schema: VaultSchema, clock: FixedClock) -> Iterator[Vault]:
    opened = sqlite_vault(tmp_path, schema, clock)
    yield opened
    opened.close()


@pytest.fixture
def service(vault: Vault) -> Service:
    service = Service(Gateway(EchoUpstream(), audit=vault.audit), vault.tokens, vault.audit)
    service.vault = vault
    return service


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as test_client:
        yield test_client


@pytest.fixture
def headers(service: Service) -> dict[str, str]:
    return _token(service, *EVERYTHING)


def _token(service: Service, *scopes: str) -> dict[str, str]:
    issued = service.tokens.issue("tester", list(scopes), actor="tester")
    return {"Authorization": f"Bearer {issued.secret}"}


def _create(client: TestClient, headers: dict[str, str], subject: str = "s1", **fields: Any) -> str:
    body = {"subject_id": subject, "purpose": "support", "region": "DE", "fields": fields or CUSTOMER}
    response = client.post(RECORDS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["record_id"])


def _consent(client: TestClient, headers: dict[str, str], granted: bool, purpose: str = "marketing") -> None:
    body = {"purpose": purpose, "granted": granted, "source": "web-form", "policy_version": "v1"}
    response = client.post("/v1/subjects/s1/consent", json=body, headers=headers)
    assert response.status_code == 201, response.text


def _open(client: TestClient, headers: dict[str, str], kind: str, subject: str = "s1") -> str:
    response = client.post("/v1/dsr/requests", json={"subject_id": subject, "kind": kind}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["request_id"])


# -- scopes ------------------------------------------------------------------------------

COLLECTION_ROUTES = [
    ("post", "/v1/vault/{c}/records", "write"),
    ("put", "/v1/vault/{c}/records/r1", "write"),
    ("get", "/v1/vault/{c}/records/r1?purpose=support", "decrypt"),
    ("get", "/v1/vault/{c}/records?purpose=support", "decrypt"),
    ("delete", "/v1/vault/{c}/records/r1", "erase"),
]


@pytest.mark.parametrize(("method", "path", "action"), COLLECTION_ROUTES)
def test_every_record_route_wants_the_scope_of_its_collection(
    client: TestClient, service: Service, method: str, path: str, action: str
) -> None:
    url = path.format(c="customers")
    assert client.request(method, url).status_code == 401
    assert client.request(method, url, headers={"Authorization": "Bearer veil_nope"}).status_code == 401
    for scopes in (["inference"], [f"vault:{action}:tickets"], ["vault:read:customers"]):
        refused = client.request(method, url, headers=_token(service, *scopes), json={"x": 1})
        assert (refused.status_code, refused.json()["error"]) == (403, "access_denied")
    allowed = client.request(method, url, headers=_token(service, f"vault:{action}:customers"), json={"x": 1})
    assert allowed.status_code not in (401, 403)
    service.audit.close()  # refusals are written through the sequencer: flush it
    rules = {e.rule for e in service.audit.entries(action="service.auth", decision="deny", limit=1000)}
    assert f"scope_missing:vault:{action}:customers" in rules


@pytest.mark.parametrize(("method", "path", "action"), COLLECTION_ROUTES)
def test_an_undeclared_collection_needs_the_wildcard_scope_and_is_not_found(
    client: TestClient, service: Service, method: str, path: str, action: str
) -> None:
    url = path.format(c="nope")
    scoped = client.request(method, url, headers=_token(service, f"vault:{action}:customers"), json={})
    assert scoped.status_code == 403
    wildcard = client.request(method, url, headers=_token(service, f"vault:{action}:*"), json={})
    assert (wildcard.status_code, wildcard.json()["error"]) == (404, "not_found")
    service.audit.close()
    rules = {e.rule for e in service.audit.entries(action="service.auth", limit=1000)}
    assert rules == {f"scope_missing:vault:{action}:*"}  # the unknown name is not repeated


@pytest.mark.parametrize(
    ("method", "path", "scope", "narrower"),
    [
        ("post", "/v1/subjects/s1/consent", "vault:write:*", "vault:write:customers"),
        ("get", "/v1/subjects/s1/consent", "vault:read:*", "vault:read:customers"),
        ("post", "/v1/dsr/requests", "dsr", "audit"),
        ("get", "/v1/dsr/requests", "dsr", "audit"),
        ("get", MISSING_REQUEST, "dsr", "audit"),
        ("post", f"{MISSING_REQUEST}/export", "dsr", "vault:export:*"),
        ("post", f"{MISSING_REQUEST}/erase", "dsr", "vault:erase:*"),
        ("post", f"{MISSING_REQUEST}/rectify", "dsr", "vault:write:*"),
        ("post", f"{MISSING_REQUEST}/extend", "dsr", "admin"),
        ("post", f"{MISSING_REQUEST}/reject", "dsr", "admin"),
    ],
)
def test_every_consent_and_request_route_wants_its_scope(
    client: TestClient, service: Service, method: str, path: str, scope: str, narrower: str
) -> None:
    assert client.request(method, path).status_code == 401
    for scopes in (["inference"], [narrower]):
        refused = client.request(method, path, headers=_token(service, *scopes), json={"x": 1})
        assert (refused.status_code, refused.json()["error"]) == (403, "access_denied")
    assert client.request(method, path, headers=_token(service, scope), json={"x": 1}).status_code != 403
    service.audit.close()
    denials = service.audit.entries(action="service.auth", decision="deny", limit=1000)
    assert any(e.rule == f"scope_missing:{scope}" and e.actor == "tester" for e in denials)


# -- records -----------------------------------------------------------------------------


def test_put_get_list_replace_delete_round_trip(client: TestClient, headers: dict[str, str]) -> None:
    body = {"subject_id": "s1", "purpose": "support", "region": "DE", "fields": CUSTOMER}
    created = client.post(RECORDS, json=body, headers=headers)
    assert created.status_code == 201
    record_id = created.json()["record_id"]
    assert created.json() == {"collection": "customers", "record_id": record_id, "subject_id": "s1"}
    assert created.headers["location"] == f"{RECORDS}/{record_id}"
    got = client.get(f"{RECORDS}/{record_id}?purpose=support", headers=headers)
    assert got.status_code == 200
    assert got.headers["cache-control"] == "no-store"
    record = got.json()
    assert (record["record_id"], record["subject_id"], record["fields"]) == (record_id, "s1", CUSTOMER)
    assert record["created_at"].startswith("2026-03-01T12:00:00")
    assert record["expires_at"]
    _create(client, headers, "s2", email="bob@example.org")
    listed = client.get(f"{RECORDS}?purpose=support&subject_id=s1", headers=headers).json()
    assert listed == {"records": [record]}
    assert len(client.get(f"{RECORDS}?purpose=support", headers=headers).json()["records"]) == 2
    change = {"purpose": "support", "fields": {"email": "ada@example.net", "age": 37}}
    assert client.put(f"{RECORDS}/{record_id}", json=change, headers=headers).status_code == 204
    fields = client.get(f"{RECORDS}/{record_id}?purpose=support", headers=headers).json()["fields"]
    assert fields == {"email": "ada@example.net", "age": 37}  # the purpose's fields left out are gone
    assert client.delete(f"{RECORDS}/{record_id}", headers=headers).status_code == 204
    assert client.get(f"{RECORDS}/{record_id}?purpose=support", headers=headers).status_code == 404
    assert client.delete(f"{RECORDS}/{record_id}", headers=headers).status_code == 404
    assert client.put(f"{RECORDS}/{record_id}", json=change, headers=headers).status_code == 404


def test_a_replace_keeps_the_fields_its_purpose_does_not_see(client: TestClient, headers: dict[str, str]) -> None:
    record_id = _create(client, headers)
    _consent(client, headers, True, "training")  # training is opt-in under the GDPR profile
    change = {"purpose": "training", "fields": {"age": 40}}
    assert client.put(f"{RECORDS}/{record_id}", json=change, headers=headers).status_code == 204
    fields = client.get(f"{RECORDS}/{record_id}?purpose=support", headers=headers).json()["fields"]
    assert fields == {"email": "ada@example.org", "name": "Ada Lovelace", "age": 40}  # notes: training's


def test_dates_travel_as_iso_8601_text(client: TestClient, headers: dict[str, str]) -> None:
    body = {"subject_id": "s1", "purpose": "support", "region": "DE",
            "fields": {"body": "printer jammed", "opened": "2026-02-01"}}  # fmt: skip
    created = client.post("/v1/vault/tickets/records", json=body, headers=headers)
    assert created.status_code == 201
    got = client.get(f"/v1/vault/tickets/records/{created.json()['record_id']}?purpose=support", headers=headers)
    assert got.json()["fields"] == {"body": "printer jammed", "opened": "2026-02-01"}
    body["fields"] = {"body": "x", "opened": "yesterday"}
    refused = client.post("/v1/vault/tickets/records", json=body, headers=headers)
    assert (refused.status_code, refused.json()["message"]) == (422, "field tickets.opened must be a date (YYYY-MM-DD)")


def test_a_purpose_sees_and_writes_only_its_fields(client: TestClient, headers: dict[str, str]) -> None:
    record_id = _create(client, headers)
    _consent(client, headers, True, "training")
    training = client.get(f"{RECORDS}/{record_id}?purpose=training", headers=headers).json()
    assert training["fields"] == {"age": 36, "notes": "prefers mornings"}
    listed = client.get(f"{RECORDS}?purpose=training", headers=headers).json()["records"]
    assert [r["fields"] for r in listed] == [{"age": 36, "notes": "prefers mornings"}]
    body = {"subject_id": "s1", "purpose": "training", "fields": {"email": "x@example.org", "age": 1}}
    refused = client.post(RECORDS, json=body, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "purpose_not_allowed")
    other = client.get("/v1/vault/tickets/records?purpose=marketing", headers=headers)
    assert (other.status_code, other.json()["error"]) == (403, "purpose_not_allowed")
    unknown = client.get(f"{RECORDS}/{record_id}?purpose=nosy", headers=headers)
    assert (unknown.status_code, unknown.json()["error"]) == (422, "invalid_input")
    missing = client.get(f"{RECORDS}/{record_id}", headers=headers)
    assert (missing.status_code, missing.json()["error"]) == (422, "invalid_input")
    assert client.get(f"{RECORDS}/{record_id}").status_code == 401  # the token is checked before the query


def test_an_exact_token_reaches_only_its_collection(client: TestClient, service: Service) -> None:
    writer = _token(service, "vault:write:customers")
    record_id = _create(client, writer)
    reader = _token(service, "vault:decrypt:customers")
    assert client.get(f"{RECORDS}/{record_id}?purpose=support", headers=reader).status_code == 200
    assert client.get(f"{RECORDS}/{record_id}?purpose=support", headers=writer).status_code == 403
    assert client.delete(f"{RECORDS}/{record_id}", headers=reader).status_code == 403
    assert client.delete(f"{RECORDS}/{record_id}", headers=_token(service, "vault:erase:customers")).status_code == 204
    service.audit.close()
    puts = service.audit.entries(action="vault.put", limit=1000)
    assert [(e.actor, e.resource, e.decision) for e in puts] == [("tester", "collection:customers", "allow")]


def test_an_unregistered_subject_needs_a_region(client: TestClient, headers: dict[str, str]) -> None:
    body = {"subject_id": "s9", "purpose": "support", "fields": CUSTOMER}
    refused = client.post(RECORDS, json=body, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (404, "not_found")


# -- consent -----------------------------------------------------------------------------


def test_consent_given_and_withdrawn_decides_reads_that_need_it(client: TestClient, headers: dict[str, str]) -> None:
    record_id = _create(client, headers)
    one, listing = f"{RECORDS}/{record_id}?purpose=marketing", f"{RECORDS}?purpose=marketing"
    refused = client.get(one, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "consent_missing")
    assert client.get(listing, headers=headers).json() == {"records": []}
    _consent(client, headers, True)
    assert client.get(one, headers=headers).json()["fields"] == {"email": "ada@example.org"}
    assert [r["record_id"] for r in client.get(listing, headers=headers).json()["records"]] == [record_id]
    _consent(client, headers, False)
    assert client.get(one, headers=headers).status_code == 403
    assert client.get(listing, headers=headers).json() == {"records": []}


def test_a_subjects_consent_state_and_history(client: TestClient, service: Service, headers: dict[str, str]) -> None:
    empty = client.get("/v1/subjects/s1/consent", headers=headers)
    assert empty.json() == {"subject_id": "s1", "purposes": {}, "events": []}
    body = {"purpose": "marketing", "granted": True, "source": "web-form", "policy_version": "v1",
            "at": "2026-02-01T09:00:00+00:00"}  # fmt: skip
    given = client.post("/v1/subjects/s1/consent", json=body, headers=headers)
    assert given.status_code == 201
    assert given.json() == {"subject_id": "s1", "purpose": "marketing", "granted": True,
                            "at": "2026-02-01T09:00:00+00:00", "source": "web-form", "policy_version": "v1"}
    _consent(client, headers, False)
    state = client.get("/v1/subjects/s1/consent", headers=headers).json()
    assert state["purposes"] == {"marketing": False}
    assert [e["granted"] for e in state["events"]] == [True, False]
    service.audit.close()
    reads = service.audit.entries(action="consent.read", limit=1000)
    assert [(e.actor, e.resource, e.counts) for e in reads] == [("tester", "subject:s1", {"events": 0}),
                                                               ("tester", "subject:s1", {"events": 2})]
    assert client.get("/v1/subjects/not%20an%20id/consent", headers=headers).status_code == 422


def test_writing_for_a_consent_purpose_needs_the_subjects_consent(client: TestClient, headers: dict[str, str]) -> None:
    _create(client, headers)
    body = {"subject_id": "s1", "purpose": "marketing", "fields": {"email": "ada@example.org"}}
    refused = client.post(RECORDS, json=body, headers=headers)
    assert (refused.status_code, refused.json()["error"]) == (403, "consent_missing")
    _consent(client, headers, True)
    assert client.post(RECORDS, json=body, headers=headers).status_code == 201


# -- data subject requests ---------------------------------------------------------------


def test_an_access_request_is_opened_listed_and_answered_with_the_bundle(
    client: TestClient, headers: dict[str, str]
) -> None:
    record_id = _create(client, headers)
    request_id = _open(client, headers, "access")
    opened = client.get(f"/v1/dsr/requests/{request_id}", headers=headers).json()
    assert opened["status"] == "open"
    assert opened["receipt"] is None
    assert (opened["subject_id"], opened["kind"], opened["profile"]) == ("s1", "access", "gdpr")
    assert opened["received_at"].startswith("2026-03-01T12:00:00")
    assert opened["deadline"] > opened["received_at"]
    assert client.get("/v1/dsr/requests?status=open", headers=headers).json() == {"requests": [opened]}
    exported = client.post(f"/v1/dsr/requests/{request_id}/export", headers=headers)
    assert exported.headers["cache-control"] == "no-store"
    bundle = exported.json()
    assert bundle["format"] == "veil-export/1"
    assert bundle["request_id"] == request_id
    assert bundle["collections"]["customers"][0]["record_id"] == record_id
    assert bundle["collections"]["customers"][0]["fields"] == CUSTOMER
    done = client.get(f"/v1/dsr/requests/{request_id}", headers=headers).json()
    assert done["status"] == "completed"
    assert done["completed_at"]
    assert done["receipt"]["payload"]["bundle_sha256"]
    assert client.get("/v1/dsr/requests?status=open", headers=headers).json() == {"requests": []}
    assert client.get("/v1/dsr/requests?subject_id=s1", headers=headers).json() == {"requests": [done]}
    again = client.post(f"/v1/dsr/requests/{request_id}/export", headers=headers)
    assert (again.status_code, again.json()["error"]) == (409, "integrity_error")


def test_an_erasure_request_shreds_the_subject_and_returns_a_signed_receipt(
    client: TestClient, headers: dict[str, str]
) -> None:
    record_id = _create(client, headers)
    request_id = _open(client, headers, "erasure")
    wrong = client.post(f"/v1/dsr/requests/{request_id}/export", headers=headers)
    assert wrong.status_code == 422  # an erasure is not answered with an export
    answer = client.post(f"/v1/dsr/requests/{request_id}/erase", headers=headers).json()
    assert answer["payload"]["kind"] == "erasure"
    assert answer["payload"]["key_destroyed"] is True
    assert answer["payload"]["records"] == {"customers": 1}
    assert verify_receipt(Receipt(answer["payload"], answer["signature"], answer["public_key"]))
    assert client.get(f"{RECORDS}/{record_id}?purpose=support", headers=headers).status_code == 404
    stored = client.get(f"/v1/dsr/requests/{request_id}", headers=headers).json()["receipt"]
    assert stored == answer


def test_a_rectification_request_corrects_only_the_subjects_own_record(
    client: TestClient, headers: dict[str, str]
) -> None:
    mine, theirs = _create(client, headers), _create(client, headers, "s2", email="bob@example.org")
    request_id = _open(client, headers, "rectification")
    url = f"/v1/dsr/requests/{request_id}/rectify"
    other = client.post(url, json={"collection": "customers", "record_id": theirs, "fields": {"name": "X"}},
                        headers=headers)  # fmt: skip
    assert other.status_code == 404
    fix = {"collection": "customers", "record_id": mine, "fields": {"name": "Ada King"}}
    receipt = client.post(url, json=fix, headers=headers).json()
    assert (receipt["payload"]["record_id"], receipt["payload"]["fields"]) == (mine, ["name"])
    assert client.get(f"{RECORDS}/{mine}?purpose=support", headers=headers).json()["fields"]["name"] == "Ada King"


def test_a_request_is_extended_once_and_rejected_for_a_reason_code(
    client: TestClient, headers: dict[str, str]
) -> None:
    _create(client, headers)
    request_id = _open(client, headers, "access")
    url = f"/v1/dsr/requests/{request_id}"
    extended = client.post(f"{url}/extend", headers=headers).json()
    assert (extended["status"], extended["extended"]) == ("extended", True)
    assert client.post(f"{url}/extend", headers=headers).status_code == 422
    assert client.post(f"{url}/reject", json={"reason": "because"}, headers=headers).status_code == 422
    rejected = client.post(f"{url}/reject", json={"reason": "excessive"}, headers=headers).json()
    assert rejected["status"] == "rejected"
    assert rejected["receipt"]["payload"]["reason"] == "excessive"


def test_requests_missing_malformed_or_about_unknown_subjects(client: TestClient, headers: dict[str, str]) -> None:
    assert client.get(MISSING_REQUEST, headers=headers).status_code == 404
    assert client.post(f"{MISSING_REQUEST}/erase", headers=headers).status_code == 404
    assert client.get("/v1/dsr/requests/not-a-uuid", headers=headers).status_code == 422
    assert client.get("/v1/dsr/requests?status=pending", headers=headers).status_code == 422
    unknown = client.post("/v1/dsr/requests", json={"subject_id": "s7", "kind": "access"}, headers=headers)
    assert unknown.status_code == 422  # an unregistered subject needs the request's region
    body = {"subject_id": "s7", "kind": "access", "region": "DE"}
    assert client.post("/v1/dsr/requests", json=body, headers=headers).json()["profile"] == "gdpr"


# -- bad bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (RECORDS, {"subject_id": "s1", "purpose": "support"}),
        (RECORDS, {"subject_id": "s1", "purpose": "support", "fields": ["email"]}),
        (RECORDS, {"subject_id": "s1", "purpose": "support", "fields": {"shoe_size": 9}}),
        (RECORDS, {"subject_id": "s1", "purpose": "support", "fields": {"email": "a@b.c", "age": "old"}}),
        (RECORDS, {"subject_id": "s1", "purpose": "support", "fields": {"name": "no email"}}),
        (RECORDS, {"subject_id": "not an id!", "purpose": "support", "region": "DE", "fields": CUSTOMER}),
        (RECORDS, [1, 2]),
        ("/v1/subjects/s1/consent", {"purpose": "marketing", "granted": "yes", "source": "x", "policy_version": "v"}),
        ("/v1/subjects/s1/consent", {"purpose": "marketing", "granted": True, "source": "", "policy_version": "v"}),
        ("/v1/subjects/s1/consent", {"purpose": "marketing", "granted": True, "source": "x", "policy_version": "v",
                                     "at": "2026-01-01T00:00:00"}),
        ("/v1/dsr/requests", {"subject_id": "s1", "kind": "deletion"}),
        ("/v1/dsr/requests", {"subject_id": "s1", "kind": "access", "received_at": "2026-01-01T00:00:00"}),
        ("/v1/dsr/requests", {"subject_id": "s1", "kind": "access", "received_at": "2099-01-01T00:00:00Z"}),
    ],
)
def test_bad_bodies_get_a_422_naming_the_problem(client: TestClient, headers: dict[str, str], path: str,
                                                 body: Any) -> None:  # fmt: skip
    _create(client, headers)
    response = client.post(path, json=body, headers=headers)
    assert (response.status_code, response.json()["error"]) == (422, "invalid_input"), response.text
    assert response.json()["message"]


def test_bad_bodies_on_replace_and_rectify(client: TestClient, headers: dict[str, str]) -> None:
    record_id = _create(client, headers)
    assert client.put(f"{RECORDS}/{record_id}", json={"fields": {}}, headers=headers).status_code == 422
    required = client.put(f"{RECORDS}/{record_id}", json={"purpose": "support", "fields": {}}, headers=headers)
    assert required.status_code == 422  # leaving out the required email would remove it
    assert client.put(f"{RECORDS}/{record_id}", content=b"{nope", headers=headers).status_code == 400
    request_id = _open(client, headers, "rectification")
    url = f"/v1/dsr/requests/{request_id}/rectify"
    assert client.post(url, json={"collection": "customers", "fields": {}}, headers=headers).status_code == 422
    empty = {"collection": "customers", "record_id": record_id, "fields": {}}
    assert client.post(url, json=empty, headers=headers).status_code == 422
    assert client.post(url, json={**empty, "collection": "nope"}, headers=headers).status_code == 422


# -- no values where they do not belong ----------------------------------------------------


def test_vault_values_never_reach_logs_metrics_errors_or_audit(
    client: TestClient, service: Service, vault: Vault, canary_pii: Canary, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = _token(service, *EVERYTHING)
    record_id = _create(client, headers, email=canary_pii.email, name=canary_pii.phone, notes="see ticket")
    ticket = {"subject_id": "s1", "purpose": "support", "fields": {"body": canary_pii.text()}}
    assert client.post("/v1/vault/tickets/records", json=ticket, headers=headers).status_code == 201
    seen = [client.get(f"{RECORDS}/{record_id}?purpose=support", headers=headers).text,
            client.get("/v1/vault/tickets/records?purpose=support", headers=headers).text]  # fmt: skip
    change = {"purpose": "support", "fields": {"email": canary_pii.email, "age": 40}}
    assert client.put(f"{RECORDS}/{record_id}", json=change, headers=headers).status_code == 204
    errors = [
        client.post(RECORDS, json={"subject_id": "s1", "purpose": "support",
                                   "fields": {"email": canary_pii.email, "age": canary_pii.ssn}}, headers=headers),
        client.post(RECORDS, json={"subject_id": "s1", "purpose": "support",
                                   "fields": {canary_pii.email: canary_pii.card}}, headers=headers),
        client.post(RECORDS, json={"subject_id": canary_pii.email, "purpose": "support", "region": "DE",
                                   "fields": {"email": canary_pii.email}}, headers=headers),
        client.post(RECORDS, json={"subject_id": "s1", "purpose": canary_pii.email,
                                   "fields": {"email": canary_pii.email}}, headers=headers),
        client.get(f"{RECORDS}?purpose=support&subject_id={canary_pii.email}", headers=headers),
        client.get(f"/v1/vault/{canary_pii.email}/records?purpose=support", headers=headers),
        client.get(f"/v1/vault/{canary_pii.email}/records?purpose=support", headers=_token(service, "vault:decrypt:tickets")),
        client.get(f"/v1/subjects/{canary_pii.email}/consent", headers=headers),
    ]  # fmt: skip
    assert [e.status_code for e in errors] == [422, 422, 422, 422, 422, 404, 403, 422]
    seen.append(client.post(f"/v1/dsr/requests/{_open(client, headers, 'access')}/export", headers=headers).text)
    assert client.post(f"/v1/dsr/requests/{_open(client, headers, 'erasure')}/erase", headers=headers).status_code == 200
    assert all(canary_pii.email in text for text in seen)  # the caller did get its values back
    metrics = client.get("/metrics").text
    vault.audit.close()  # flush the sequencer's queue
    entries = [json.dumps(dataclasses.asdict(e), default=str) for e in vault.audit.entries(limit=1000)]
    assert len(entries) > 10
    service_log = [r.getMessage() for r in caplog.records if r.name.startswith("veil")]
    assert any('"route": "/v1/vault/{collection}/records"' in line for line in service_log)
    canary_pii.assert_absent(metrics, service_log, entries, [e.text for e in errors])


def test_the_routes_are_published_with_their_descriptions(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths) >= {"/v1/vault/{collection}/records", "/v1/vault/{collection}/records/{record_id}",
                          "/v1/subjects/{subject_id}/consent", "/v1/dsr/requests",
                          "/v1/dsr/requests/{request_id}", "/v1/dsr/requests/{request_id}/export",
                          "/v1/dsr/requests/{request_id}/erase", "/v1/dsr/requests/{request_id}/rectify"}
    create = paths["/v1/vault/{collection}/records"]["post"]
    assert "vault:write:{collection}" in create["description"]
    assert "fields" in create["requestBody"]["content"]["application/json"]["schema"]["properties"]
