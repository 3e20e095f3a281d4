"""``veil.Client`` against the real app: each method, errors mapped to the tree, paging, streams.

The app runs in-process (``TestClient``, an ``httpx.Client``) in front of the echo upstream, which
answers with the last user message as it arrived: tags in, originals back out.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs veil[server]")

import httpx
from fastapi.testclient import TestClient

import veil
from tests.conftest import Canary, sqlite_vault
from veil import errors
from veil.audit import AuditEntry, verify_consistency_bundle, verify_inclusion_bundle
from veil.client import SESSION_HEADER, AsyncClient, Client
from veil.client._errors import error_from
from veil.detect import Entity
from veil.errors import VeilError
from veil.gateway import EchoUpstream, Gateway, MemoryLimiter, RateLimits
from veil.service import SESSION_HEADER as SERVICE_SESSION_HEADER
from veil.service import Service, create_app
from veil.vault import Vault

BASE = "http://testserver"


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    opened = sqlite_vault(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def service(vault: Vault) -> Service:
    return Service(Gateway(EchoUpstream(), audit=vault.audit), vault.tokens, vault.audit)


@pytest.fixture
def http(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as test_client:
        yield test_client


def _secret(service: Service, *scopes: str) -> str:
    return service.tokens.issue("tester", list(scopes), actor="tester").secret


def _client(service: Service, http: TestClient, *scopes: str) -> Client:
    return Client(BASE, _secret(service, *scopes), http=http)


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-test", "messages": [{"role": "user", "content": content}], **extra}


def _stream_texts(events: Iterator[dict[str, Any]]) -> dict[int, str]:
    texts: dict[int, str] = {}
    for event in events:
        for choice in event["choices"]:
            texts[choice["index"]] = texts.get(choice["index"], "") + (choice["delta"].get("content") or "")
    return texts


# -- each method ---------------------------------------------------------------------------


def test_health_and_ready(service: Service, http: TestClient) -> None:
    client = _client(service, http, "inference")
    assert client.health() == {"status": "ok", "version": veil.__version__}
    assert client.ready()["status"] == "ready"


def test_detect_returns_the_findings_the_library_finds(service: Service, http: TestClient,
                                                      canary_pii: Canary) -> None:  # fmt: skip
    found = _client(service, http, "inference").detect(canary_pii.text())
    local = veil.detect(canary_pii.text())
    assert [(f.start, f.end, f.entity) for f in found] == [(f.start, f.end, f.entity) for f in local]
    assert Entity.EMAIL_ADDRESS in {f.entity for f in found}


def test_redact_text_and_json(service: Service, http: TestClient, canary_pii: Canary) -> None:
    client = _client(service, http, "inference")
    redacted = client.redact(canary_pii.text())
    assert "<EMAIL_ADDRESS_1>" in redacted
    canary_pii.assert_absent(redacted)
    assert client.redact_json({"a": [canary_pii.email]}) == {"a": ["<EMAIL_ADDRESS_1>"]}
    only = client.redact_json({"user": {"email": canary_pii.email}, "note": canary_pii.email}, paths=["user.email"])
    assert only == {"user": {"email": "<EMAIL_ADDRESS_1>"}, "note": canary_pii.email}


def test_chat_sends_tags_and_gives_the_originals_back(service: Service, http: TestClient,
                                                      canary_pii: Canary) -> None:  # fmt: skip
    answer = _client(service, http, "inference").chat(_chat(canary_pii.text()))
    assert answer["choices"][0]["message"]["content"] == canary_pii.text()
    received = json.dumps(answer["echo"]["received"])  # what reached the upstream, untouched
    assert "<EMAIL_ADDRESS_1>" in received
    canary_pii.assert_absent(received)


def test_chat_stream_is_restored_across_split_tags(service: Service, http: TestClient,
                                                   canary_pii: Canary) -> None:  # fmt: skip
    events = _client(service, http, "inference").chat_stream(_chat(canary_pii.text(), n=2))
    assert _stream_texts(events) == {0: canary_pii.text(), 1: canary_pii.text()}


def test_a_session_keeps_tags_across_turns(service: Service, http: TestClient) -> None:
    client = _client(service, http, "inference")

    def sent(text: str, session: str) -> str:
        return str(client.chat(_chat(text), session=session)["echo"]["received"]["messages"][0]["content"])

    assert sent("ada@example.org", "one") == "<EMAIL_ADDRESS_1>"
    assert sent("bob@example.org", "one") == "<EMAIL_ADDRESS_2>"
    assert sent("bob@example.org", "two") == "<EMAIL_ADDRESS_1>"
    assert SESSION_HEADER == SERVICE_SESSION_HEADER


def test_audit_entries_page_with_after(service: Service, http: TestClient) -> None:
    service.audit.append_many([AuditEntry("test.page", "tester", f"item:{n}") for n in range(5)])
    client = _client(service, http, "audit")
    asked: list[str] = []
    http.event_hooks["request"].append(lambda request: asked.append(str(request.url.params)))
    entries = list(client.audit_entries(action="test.page", page_size=2))
    assert [e["resource"] for e in entries] == [f"item:{n}" for n in range(5)]
    assert len(asked) == 3  # 2 + 2 + 1: a short page is the last
    assert [e["resource"] for e in client.audit_entries(action="test.page", after=entries[2]["index"])] == [
        "item:3", "item:4"]  # fmt: skip


def test_audit_head_and_proofs_verify(service: Service, http: TestClient) -> None:
    service.audit.append_many([AuditEntry("test.proof", "tester", f"item:{n}") for n in range(3)])
    client = _client(service, http, "audit")
    head = client.audit_head(sign=True)
    assert client.audit_head()["size"] == head["size"]
    service.audit.append(AuditEntry("test.proof", "tester", "item:3"))
    included = verify_inclusion_bundle(client.inclusion_proof(1), head["verifier_key"])
    assert included.size >= 2
    old, new = verify_consistency_bundle(client.consistency_proof(head["size"]), head["verifier_key"])
    assert (old.size, new.size) == (head["size"], head["size"] + 1)


def test_request_reaches_a_route_without_a_helper(service: Service, http: TestClient) -> None:
    client = _client(service, http, "audit")
    assert client.request("GET", "/v1/health")["status"] == "ok"
    assert len(client.request("get", "/v1/audit/entries", params={"limit": 1})["entries"]) == 1
    with pytest.raises(errors.InvalidInput):
        client.request("GET", "v1/health")


# -- errors ---------------------------------------------------------------------------------


def test_a_bad_token_is_token_invalid_and_never_shown(service: Service, http: TestClient) -> None:
    secret = "veil_" + "n0pe" * 8
    client = Client(BASE, secret, http=http)
    with pytest.raises(errors.TokenInvalid) as raised:
        client.detect("hello")
    assert (raised.value.code, raised.value.http_status) == ("token_invalid", 401)
    for shown in (repr(client), repr(raised.value), str(raised.value)):
        assert secret not in shown


def test_a_token_without_the_scope_is_access_denied(service: Service, http: TestClient) -> None:
    with pytest.raises(errors.AccessDenied) as raised:
        list(_client(service, http, "inference").audit_entries())
    assert type(raised.value) is errors.AccessDenied
    assert raised.value.http_status == 403
    assert "audit" in raised.value.message  # the server's message: the scope the route needs


def test_too_large_and_invalid_bodies(service: Service, http: TestClient) -> None:
    client = _client(service, http, "inference")
    with pytest.raises(errors.InvalidInput) as invalid:
        client.chat({"model": "bad model name!", "messages": []})
    assert (type(invalid.value), invalid.value.http_status) == (errors.InvalidInput, 422)
    service.max_body_bytes = 1000
    with pytest.raises(errors.InputTooLarge) as large:
        client.detect("x" * 2000)
    assert large.value.http_status == 413


def test_not_found_and_an_unknown_code(service: Service, http: TestClient) -> None:
    client = _client(service, http, "audit")
    with pytest.raises(errors.NotFound):
        client.audit_head()  # nothing signed yet
    with pytest.raises(errors.NotFound):
        client.inclusion_proof(99_999)
    with pytest.raises(VeilError) as unknown:
        client.request("DELETE", "/v1/health")
    assert (type(unknown.value), unknown.value.code, unknown.value.http_status) == (
        VeilError, "method_not_allowed", 405)  # fmt: skip


def test_a_rate_limit_carries_retry_after(service: Service, http: TestClient) -> None:
    service.limiter = MemoryLimiter(RateLimits(requests_per_minute=1, tokens_per_minute=None))
    client = _client(service, http, "inference")
    client.chat(_chat("hi"))
    with pytest.raises(errors.RateLimited) as raised:
        client.chat(_chat("hi"))
    assert raised.value.retry_after >= 1


def test_a_refused_stream_raises_before_it_is_iterated(service: Service, http: TestClient) -> None:
    with pytest.raises(errors.TokenInvalid):
        Client(BASE, "veil_nope", http=http).chat_stream(_chat("hi"))


@pytest.mark.parametrize("name", errors.__all__)
def test_every_code_of_the_tree_maps_back_to_its_class(name: str) -> None:
    cls = getattr(errors, name)
    body = json.dumps({"error": cls.code, "message": "what the server said"}).encode()
    exc = error_from(cls.http_status, body, {})
    assert (type(exc), exc.code, exc.message, exc.http_status) == (cls, cls.code, "what the server said",
                                                                    cls.http_status)  # fmt: skip


def test_answers_that_are_not_veils_become_a_plain_error_with_the_status() -> None:
    exc = error_from(502, b"<html>proxy says ada@example.org</html>", {})
    assert (type(exc), exc.http_status) == (VeilError, 502)
    assert "ada@example.org" not in exc.message
    malformed = error_from(400, b'{"error": "malformed_body", "message": "not JSON"}', {})
    assert (type(malformed), malformed.code) == (errors.InvalidInput, "malformed_body")
    limited = error_from(429, b'{"error": "rate_limited", "message": "slow down"}', {"retry-after": "7"})
    assert isinstance(limited, errors.RateLimited)
    assert limited.retry_after == 7


def test_an_error_inside_a_stream_raises_its_class() -> None:
    events = b'data: {"choices": []}\n\ndata: {"error": {"code": "output_blocked", "message": "blocked"}}\n\n'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=events + b"data: [DONE]\n\n"))
    stream = Client(BASE, "veil_x", transport=transport).chat_stream(_chat("hi"))
    assert next(stream) == {"choices": []}
    with pytest.raises(errors.OutputBlocked, match="blocked"):
        next(stream)


def test_a_connection_failure_is_an_upstream_error_without_the_token() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = Client(BASE, "veil_secret_value", transport=httpx.MockTransport(refuse))
    with client, pytest.raises(errors.UpstreamError) as raised:
        client.health()
    assert "veil_secret_value" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__  # httpx's exception (with the request) is not chained


def test_the_arguments_are_checked() -> None:
    with pytest.raises(errors.InvalidInput):
        Client("localhost:8000", "veil_x")
    with pytest.raises(errors.InvalidInput):
        Client(BASE, "veil_x\r\nX-Evil: 1")
    with pytest.raises(errors.InvalidInput):
        list(Client(BASE, "veil_x").audit_entries(colour="red"))  # type: ignore[call-arg]


# -- the async client -------------------------------------------------------------------------


def test_the_async_client_speaks_the_same_api(service: Service, canary_pii: Canary) -> None:
    service.audit.append_many([AuditEntry("test.async", "tester", f"item:{n}") for n in range(3)])
    transport = httpx.ASGITransport(app=create_app(service))
    inference, audit = _secret(service, "inference"), _secret(service, "audit")

    async def scenario() -> None:
        async with AsyncClient(BASE, inference, transport=transport) as client:
            assert (await client.health())["status"] == "ok"
            assert "<EMAIL_ADDRESS_1>" in await client.redact(canary_pii.text())
            answer = await client.chat(_chat(canary_pii.text()))
            assert answer["choices"][0]["message"]["content"] == canary_pii.text()
            events = [event async for event in await client.chat_stream(_chat(canary_pii.text()))]
            assert _stream_texts(iter(events)) == {0: canary_pii.text()}
            with pytest.raises(errors.AccessDenied):
                await client.audit_head(sign=True)
        async with AsyncClient(BASE, audit, transport=transport) as client:
            found = [e["resource"] async for e in client.audit_entries(action="test.async", page_size=2)]
            assert found == ["item:0", "item:1", "item:2"]
            with pytest.raises(errors.TokenInvalid):
                await AsyncClient(BASE, "veil_nope", transport=transport).chat_stream(_chat("hi"))

    asyncio.run(scenario())


def test_the_client_is_at_veils_front_door_and_imports_no_gateway() -> None:
    assert (veil.Client, veil.AsyncClient) == (Client, AsyncClient)
    code = "import sys, veil.client; print(sorted({'veil.gateway', 'sqlalchemy', 'httpx'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
