"""Schemathesis against the published OpenAPI document: no generated request gets a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs veil[server]")
pytest.importorskip("schemathesis", reason="the fuzz test needs schemathesis (dev extra)")

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.conftest import fixture_schema, sqlite_vault
from veil.gateway import EchoUpstream, Gateway
from veil.service import Service, create_app

ALL_SCOPES = ["admin", "audit", "dsr", "inference", "vault:decrypt:*", "vault:erase:*", "vault:export:*",
              "vault:read:*", "vault:write:*"]  # fmt: skip
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    vault = sqlite_vault(tmp_path_factory.mktemp("fuzz"), fixture_schema())
    yield Service(Gateway(EchoUpstream(), audit=vault.audit), vault.tokens, vault.audit, vault=vault)
    vault.close()


@pytest.fixture(scope="module")
def headers(service: Service) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.tokens.issue('tester', ALL_SCOPES, actor='tester').secret}"}


@pytest.fixture(scope="module")
def api(service: Service) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(service))


def test_no_generated_request_gets_a_server_error(api: Any, headers: dict[str, str]) -> None:
    # each operation's strategy driven by hypothesis here (schemathesis' pytest plugin does not load)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 9
    statuses: list[int] = []
    for operation in operations:

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:200])
            if response.status_code >= 400 and response.headers.get("content-type", "") == "application/json":
                assert set(response.json()) == {"error", "message"}, response.text[:200]

        check()
    assert len(statuses) >= 5 * len(operations)
    assert any(status < 300 for status in statuses)  # not everything was refused at the door
