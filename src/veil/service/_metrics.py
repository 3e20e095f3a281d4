"""Prometheus metrics and the JSON access log: route templates, statuses, timings and counts only.

Both are written by one ASGI middleware that sees the route template (``/v1/audit/entries/{index}``),
never the raw path or query string, which may carry values. Each app has its own registry, so two
apps in one process (tests) do not share counters.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOG = logging.getLogger("veil.service")
_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("veil_requests", "HTTP requests by route and status.",
                                ["route", "status"], registry=self.registry)  # fmt: skip
        self.latency = Histogram("veil_request_seconds", "Time to the response's first byte, by route.",
                                 ["route"], buckets=_BUCKETS, registry=self.registry)  # fmt: skip
        self.entities = Counter("veil_entities_redacted", "Entities replaced in requests, by type.",
                                ["entity"], registry=self.registry)  # fmt: skip
        self.masked = Counter("veil_entities_masked", "Entities masked in answers, by type.",
                              ["entity"], registry=self.registry)  # fmt: skip
        self.decisions = Counter("veil_decisions", "Gateway and access decisions, by kind and outcome.",
                                 ["kind", "decision"], registry=self.registry)  # fmt: skip

    def count_entities(self, counts: Mapping[str, int], *, masked: bool = False) -> None:
        counter = self.masked if masked else self.entities
        for entity, count in counts.items():
            counter.labels(entity).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class Observed:
    """ASGI middleware: a request id, the metrics and one JSON log line per request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, request_id = time.perf_counter(), uuid.uuid4().hex
        state: dict[str, Any] = {"status": 500, "first_byte": None}
        scope.setdefault("state", {})["request_id"] = request_id

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["first_byte"] = time.perf_counter() - started
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            seconds = time.perf_counter() - started
            self.metrics.requests.labels(route, str(state["status"])).inc()
            self.metrics.latency.labels(route).observe(state["first_byte"] or seconds)
            LOG.info(json.dumps({"event": "request", "request_id": request_id, "method": scope["method"],
                                 "route": route, "status": state["status"],
                                 "ms": round(seconds * 1000, 2)}))  # fmt: skip
