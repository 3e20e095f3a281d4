"""A canary replay through every published route, then a search of what the service keeps about it:
its log records, its metrics, every audit entry and every error body. Zero hits allowed.

The test fails when a route is added to the OpenAPI document without being replayed here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs veil[server]")

from fastapi.testclient import TestClient

from tests.conftest import Canary, fixture_schema, sqlite_vault
from tests.unit.service.test_gateway_http import FakeUpstream
from veil.gateway import Gateway, OpenAICompatible
from veil.service import Service, create_app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SCOPES = ["audit", "dsr", "inference", "vault:decrypt:*", "vault:erase:*", "vault:read:*", "vault:write:*"]


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def service(tmp_path: Path, upstream: FakeUpstream) -> Iterator[Service]:
    vault = sqlite_vault(tmp_path, fixture_schema())
    yield Service(Gateway(OpenAICompatible(upstream.url), audit=vault.audit), vault.tokens, vault.audit,
                  vault=vault)  # fmt: skip
    vault.close()


def test_a_canary_replay_through_every_route_leaves_no_trace(
    service: Service, upstream: FakeUpstream, canary_pii: Canary, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    text = canary_pii.text()
    headers = {"Authorization": f"Bearer {service.tokens.issue('tester', SCOPES, actor='tester').secret}"}
    called: set[tuple[str, str]] = set()
    kept: list[str] = []  # what the service said back on refusals and errors

    with TestClient(create_app(service)) as client:

        def call(method: str, route: str, path: str | None = None, **kwargs: Any) -> Any:
            called.add((method.upper(), route))
            response = client.request(method, path or route, headers=kwargs.pop("headers", headers), **kwargs)
            if response.status_code >= 400:
                kept.append(response.text)
            return response

        call("get", "/v1/health")
        call("get", "/v1/ready")
        call("post", "/v1/detect", json={"text": text})
        call("post", "/v1/redact", json={"text": text})
        call("post", "/v1/redact", json={"json": {"note": text, "email": canary_pii.email}})
        chat = {"model": "gpt-test", "messages": [{"role": "user", "content": text}]}
        call("post", "/v1/chat/completions", json=chat)
        call("post", "/v1/chat/completions", json={**chat, "stream": True})
        call("post", "/v1/chat/completions", json=chat, headers={})  # refused: no token
        call("post", "/v1/chat/completions", json={**chat, "model": canary_pii.email})  # refused: bad model
        record = {"subject_id": "s-canary", "purpose": "support", "region": "DE",
                  "fields": {"email": canary_pii.email, "name": "Canary Person", "notes": text}}  # fmt: skip
        created = call("post", "/v1/vault/{collection}/records", "/v1/vault/customers/records", json=record)
        record_id = created.json()["record_id"]
        one = f"/v1/vault/customers/records/{record_id}"
        call("get", "/v1/vault/{collection}/records/{record_id}", f"{one}?purpose=support")
        call("get", "/v1/vault/{collection}/records", "/v1/vault/customers/records?purpose=support")
        call("put", "/v1/vault/{collection}/records/{record_id}", one,
             json={"purpose": "support", "fields": {"email": canary_pii.email, "notes": canary_pii.card}})
        call("post", "/v1/vault/{collection}/records", "/v1/vault/customers/records",
             json={**record, "fields": {"email": canary_pii.ssn}})  # may be refused: not an e-mail
        consent = {"purpose": "marketing", "granted": True, "source": "web form", "policy_version": "v1"}
        call("post", "/v1/subjects/{subject_id}/consent", "/v1/subjects/s-canary/consent", json=consent)
        call("get", "/v1/subjects/{subject_id}/consent", "/v1/subjects/s-canary/consent")
        opened = call("post", "/v1/dsr/requests", json={"subject_id": "s-canary", "kind": "access"}).json()
        request = f"/v1/dsr/requests/{opened['request_id']}"
        call("get", "/v1/dsr/requests", "/v1/dsr/requests?subject_id=s-canary")
        call("get", "/v1/dsr/requests/{request_id}", request)
        call("post", "/v1/dsr/requests/{request_id}/extend", f"{request}/extend")
        call("post", "/v1/dsr/requests/{request_id}/export", f"{request}/export")
        fix = call("post", "/v1/dsr/requests", json={"subject_id": "s-canary", "kind": "rectification"}).json()
        call("post", "/v1/dsr/requests/{request_id}/rectify", f"/v1/dsr/requests/{fix['request_id']}/rectify",
             json={"collection": "customers", "record_id": record_id, "fields": {"name": canary_pii.email}})
        no = call("post", "/v1/dsr/requests", json={"subject_id": "s-canary", "kind": "erasure"}).json()
        call("post", "/v1/dsr/requests/{request_id}/reject", f"/v1/dsr/requests/{no['request_id']}/reject",
             json={"reason": "identity not verified"})
        gone = call("post", "/v1/dsr/requests", json={"subject_id": "s-canary", "kind": "erasure"}).json()
        call("post", "/v1/dsr/requests/{request_id}/erase", f"/v1/dsr/requests/{gone['request_id']}/erase")
        call("delete", "/v1/vault/{collection}/records/{record_id}", one)
        call("get", "/v1/audit/head", "/v1/audit/head?sign=true")
        call("get", "/v1/audit/entries", "/v1/audit/entries?limit=1000")
        call("get", "/v1/audit/proofs/inclusion/{index}", "/v1/audit/proofs/inclusion/0")
        call("get", "/v1/audit/proofs/consistency", "/v1/audit/proofs/consistency?old=1")
        metrics = call("get", "/metrics").text
        published = {(method.upper(), path) for path, item in client.get("/openapi.json").json()["paths"].items()
                     for method in item}  # fmt: skip

    assert published - called == set(), "routes the replay does not cover yet"
    service.audit.close()
    entries = json.dumps([vars_of(e) for e in service.audit.entries(limit=1000)], default=str)
    assert '"gateway.chat"' in entries  # the search looks at real entries
    log = [record.getMessage() for record in caplog.records if record.name.startswith("veil")]
    assert len(log) >= len(called)
    for name, blob in (("metrics", metrics), ("log", "\n".join(log)), ("audit", entries), ("errors", "\n".join(kept)),
                       ("upstream", json.dumps(upstream.received))):
        hits = [blob[max(0, blob.find(v) - 150):blob.find(v) + 40] for v in canary_pii.values if v in blob]
        assert not hits, (name, hits)


def vars_of(entry: Any) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in entry.__dataclass_fields__}
