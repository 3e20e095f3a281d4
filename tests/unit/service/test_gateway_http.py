"""The service end to end: a fake OpenAI-compatible upstream on loopback records what reaches it.

No planted canary may arrive upstream, in the audit log, the metrics or the service's log; the
client gets its own values back, whole and streamed; scopes, bounds and bad bodies get 4xx.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs veil[server]")

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient

from tests.conftest import Canary, sqlite_vault
from veil.gateway import Gateway, MemoryLimiter, OpenAICompatible, RateLimits
from veil.service import SESSION_HEADER, Service, create_app
from veil.vault import Vault

NAME = "Ada Lovelace"


class FakeUpstream:
    """An OpenAI-compatible server on 127.0.0.1 that records every body and echoes the last user text."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def chat(request: Request) -> Any:
            body = await request.json()
            self.received.append(body)
            text = "You said: " + body["messages"][-1]["content"]
            if body.get("stream"):
                return StreamingResponse(self._events(text, body.get("n", 1)), media_type="text/event-stream")
            choices = [{"index": n, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                       for n in range(body.get("n", 1))]  # fmt: skip
            return JSONResponse({"id": "x", "object": "chat.completion", "model": body["model"],
                                 "choices": choices})  # fmt: skip

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def _events(self, text: str, n: int) -> Any:
        for index in range(n):
            for start in range(0, len(text), 3):  # 3 characters an event: every tag is split
                event = {"choices": [{"index": index, "delta": {"content": text[start : start + 3]}}]}
                yield f"data: {json.dumps(event)}\n\n"
            yield f"data: {json.dumps({'choices': [{'index': index, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n"
        yield "data: [DONE]\n\n"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.config.port}/v1"

    def __enter__(self) -> FakeUpstream:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the fake upstream did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    opened = sqlite_vault(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def service(vault: Vault, upstream: FakeUpstream) -> Service:
    gateway = Gateway(OpenAICompatible(upstream.url), audit=vault.audit)
    limiter = MemoryLimiter(RateLimits(requests_per_minute=1000, tokens_per_minute=10_000_000))
    return Service(gateway, vault.tokens, vault.audit, limiter=limiter)


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service)) as test_client:
        yield test_client


def _token(service: Service, *scopes: str) -> dict[str, str]:
    issued = service.tokens.issue("tester", list(scopes), actor="tester")
    return {"Authorization": f"Bearer {issued.secret}"}


def _chat(content: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-test", "messages": [{"role": "user", "content": content}], **extra}


def test_no_canary_goes_upstream_and_the_client_gets_its_values_back(
    client: TestClient, service: Service, upstream: FakeUpstream, canary_pii: Canary
) -> None:
    response = client.post("/v1/chat/completions", json=_chat(canary_pii.text()),
                           headers=_token(service, "inference"))  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "You said: " + canary_pii.text()
    canary_pii.assert_absent(json.dumps(upstream.received))
    assert "<EMAIL_ADDRESS_1>" in upstream.received[0]["messages"][0]["content"]


def test_a_stream_is_restored_across_split_tags(
    client: TestClient, service: Service, upstream: FakeUpstream, canary_pii: Canary
) -> None:
    body = _chat(canary_pii.text(), stream=True, n=2)
    with client.stream("POST", "/v1/chat/completions", json=body, headers=_token(service, "inference")) as reply:
        assert reply.status_code == 200
        lines = [line for line in reply.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    texts = {0: "", 1: ""}
    for line in lines[:-1]:
        for choice in json.loads(line[6:])["choices"]:
            texts[choice["index"]] += choice["delta"].get("content", "")
    assert texts == {0: "You said: " + canary_pii.text(), 1: "You said: " + canary_pii.text()}
    canary_pii.assert_absent(json.dumps(upstream.received))


def test_a_session_keeps_tags_across_turns_and_sessions_do_not_share(
    client: TestClient, service: Service, upstream: FakeUpstream
) -> None:
    headers = _token(service, "inference")
    text = "Mail ada@example.org please"
    for session in ("one", "one", "two"):
        client.post("/v1/chat/completions", json=_chat(text), headers={**headers, SESSION_HEADER: session})
    sent = [body["messages"][0]["content"] for body in upstream.received]
    assert sent[0] == sent[1] == sent[2] == "Mail <EMAIL_ADDRESS_1> please"
    other = "Mail bob@example.org please"
    client.post("/v1/chat/completions", json=_chat(other), headers={**headers, SESSION_HEADER: "one"})
    client.post("/v1/chat/completions", json=_chat(other), headers={**headers, SESSION_HEADER: "two"})
    assert upstream.received[3]["messages"][0]["content"] == "Mail <EMAIL_ADDRESS_2> please"
    assert upstream.received[4]["messages"][0]["content"] == "Mail <EMAIL_ADDRESS_2> please"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("post", "/v1/chat/completions", "inference"),
        ("post", "/v1/detect", "inference"),
        ("post", "/v1/redact", "inference"),
        ("get", "/v1/audit/head", "audit"),
        ("get", "/v1/audit/entries", "audit"),
        ("get", "/v1/audit/proofs/inclusion/0", "audit"),
        ("get", "/v1/audit/proofs/consistency?old=1", "audit"),
    ],
)
def test_every_route_wants_its_scope(client: TestClient, service: Service, method: str, path: str,
                                     scope: str) -> None:  # fmt: skip
    assert client.request(method, path).status_code == 401
    assert client.request(method, path, headers={"Authorization": "Bearer veil_nope"}).status_code == 401
    other = "audit" if scope == "inference" else "inference"
    refused = client.request(method, path, headers=_token(service, other), json={"text": "x"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"
    service.audit.close()  # refusals are written through the sequencer: flush it
    denials = service.audit.entries(action="service.auth", decision="deny")
    assert any(e.rule == f"scope_missing:{scope}" and e.actor == "tester" for e in denials)


def test_audit_indexes_past_64_bits_are_refused(client: TestClient, service: Service) -> None:
    headers = _token(service, "audit")
    for path in ("/v1/audit/entries?after=9223372036854775808", "/v1/audit/proofs/inclusion/9223372036854775808",
                 "/v1/audit/proofs/consistency?old=9223372036854775808"):  # fmt: skip
        response = client.get(path, headers=headers)
        assert (response.status_code, response.json()["error"]) == (422, "invalid_input")


def test_an_inference_token_cannot_read_the_audit_log(client: TestClient, service: Service) -> None:
    assert client.get("/v1/audit/entries", headers=_token(service, "inference")).status_code == 403


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"\xff\xfe{}", 400, "malformed_body"),
        (b"{not json", 400, "malformed_body"),
        (b'{"model": "m", "messages": [], "temperature": NaN}', 400, "malformed_body"),
        (b"", 400, "malformed_body"),
        (b"[" * 100 + b"]" * 100, 413, "input_too_large"),
        (b'{"model": "m", "messages": "x"}', 422, "invalid_input"),
        (b'{"model": "bad model name!", "messages": []}', 422, "invalid_input"),
        (b"[1, 2]", 422, "invalid_input"),
    ],
)
def test_bad_bodies_get_a_4xx_with_a_message(client: TestClient, service: Service, upstream: FakeUpstream,
                                             content: bytes, status: int, code: str) -> None:  # fmt: skip
    response = client.post("/v1/chat/completions", content=content, headers=_token(service, "inference"))
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert response.json()["message"]
    assert upstream.received == []


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient, service: Service) -> None:
    service.max_body_bytes = 1000
    response = client.post("/v1/detect", json={"text": "x" * 2000}, headers=_token(service, "inference"))
    assert (response.status_code, response.json()["error"]) == (413, "input_too_large")


def test_detect_and_redact(client: TestClient, service: Service, canary_pii: Canary) -> None:
    headers = _token(service, "inference")
    found = client.post("/v1/detect", json={"text": canary_pii.text()}, headers=headers).json()
    assert {f["label"] for f in found["findings"]} >= {"EMAIL_ADDRESS", "US_SSN", "CREDIT_CARD"}
    canary_pii.assert_absent(json.dumps(found))
    redacted = client.post("/v1/redact", json={"text": canary_pii.text()}, headers=headers).json()
    canary_pii.assert_absent(redacted["text"])
    assert redacted["counts"]["EMAIL_ADDRESS"] == 1
    doc = client.post("/v1/redact", json={"json": {"a": [canary_pii.email]}}, headers=headers).json()
    assert doc == {"json": {"a": ["<EMAIL_ADDRESS_1>"]}}
    both = client.post("/v1/redact", json={"text": "x", "json": {}}, headers=headers)
    assert both.status_code == 422


def test_audit_routes_and_the_gateway_entry(client: TestClient, service: Service, canary_pii: Canary) -> None:
    client.post("/v1/chat/completions", json=_chat(canary_pii.text()), headers=_token(service, "inference"))
    service.audit.close()  # flush the sequencer: the gateway's entry is written asynchronously
    headers = _token(service, "audit")
    entries = client.get("/v1/audit/entries?action=gateway.chat", headers=headers).json()["entries"]
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["actor"], entry["resource"]) == ("tester", "model:gpt-test")
    assert entry["counts"]["entities.email_address"] == 1
    assert entry["counts"]["prompt_bytes"] > 0
    head = client.get("/v1/audit/head?sign=true", headers=headers).json()
    assert head["size"] >= 2
    assert head["checkpoint"].startswith("veil.local/audit\n")
    proof = client.get(f"/v1/audit/proofs/inclusion/{entry['index']}", headers=headers).json()
    assert proof["leaf_index"] == entry["index"]
    assert client.get("/v1/audit/proofs/inclusion/99999", headers=headers).status_code == 404
    every = json.dumps(client.get("/v1/audit/entries?limit=1000", headers=headers).json())
    canary_pii.assert_absent(every)


def test_metrics_and_logs_carry_no_values(client: TestClient, service: Service, canary_pii: Canary,
                                          caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    headers = _token(service, "inference")
    client.post("/v1/chat/completions", json=_chat(canary_pii.text()), headers=headers)
    client.post("/v1/chat/completions?email=" + canary_pii.email, json=_chat("hi"), headers=headers)
    client.post("/v1/redact", json={"text": canary_pii.text()}, headers=headers)
    metrics = client.get("/metrics").text
    assert 'veil_entities_redacted_total{entity="EMAIL_ADDRESS"}' in metrics
    assert 'route="/v1/chat/completions"' in metrics
    service_log = [r.getMessage() for r in caplog.records if r.name.startswith("veil")]
    assert any('"route": "/v1/chat/completions"' in line for line in service_log)
    canary_pii.assert_absent(metrics, service_log)


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/v1/health").json()["status"] == "ok"
    assert client.get("/v1/ready").json()["status"] == "ready"
    assert client.get("/openapi.json").json()["paths"]["/v1/chat/completions"]


def test_a_detection_failure_sends_nothing_upstream(client: TestClient, service: Service,
                                                    upstream: FakeUpstream) -> None:  # fmt: skip
    class Broken:
        def detect(self, text: str) -> list[Any]:
            raise RuntimeError("boom")

        def detect_many(self, texts: Any, batch_size: int = 64) -> Any:
            raise RuntimeError("boom")

    service.gateway.detector = Broken()  # type: ignore[assignment]
    response = client.post("/v1/chat/completions", json=_chat("hello"), headers=_token(service, "inference"))
    assert (response.status_code, response.json()["error"]) == (503, "detection_unavailable")
    assert upstream.received == []


def test_rate_limits_answer_429_with_retry_after(client: TestClient, service: Service) -> None:
    service.limiter = MemoryLimiter(RateLimits(requests_per_minute=2, tokens_per_minute=None))
    headers = _token(service, "inference")
    codes = [client.post("/v1/chat/completions", json=_chat("hi"), headers=headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post("/v1/chat/completions", json=_chat("hi"), headers=headers)
    assert int(refused.headers["Retry-After"]) >= 1
