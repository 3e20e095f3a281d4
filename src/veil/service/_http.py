"""Request bodies read within bounds, errors as ``{"error": code, "message": text}``, and tokens.

Bodies are read here, not by FastAPI: the size is capped while reading (413), the bytes must be
UTF-8 and JSON (400/422) nested no deeper than a bound (413), and only then does a route see
them. A message never quotes the body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from veil.access import Token, TokenStore
from veil.audit import AuditEntry, AuditLog
from veil.errors import AccessDenied, InputTooLarge, InvalidInput, RateLimited, TokenInvalid, VeilError

DEFAULT_MAX_BODY = 4 * 1024 * 1024
DEFAULT_MAX_DEPTH = 64
UNKNOWN = "unknown-principal"

M = TypeVar("M", bound=BaseModel)


class Malformed(InvalidInput):
    """The body is not UTF-8 or not JSON: the request itself is broken."""

    code = "malformed_body"
    http_status = 400


def error_response(exc: VeilError) -> JSONResponse:
    headers = {}
    if isinstance(exc, TokenInvalid | AccessDenied) and exc.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="veil"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse({"error": exc.code, "message": exc.message}, exc.http_status, headers=headers)


async def read_json(request: Request, *, max_bytes: int, max_depth: int) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise InputTooLarge(f"request body is larger than {max_bytes} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise InputTooLarge(f"request body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise Malformed("request body is empty: send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Malformed(f"request body is not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise InputTooLarge(f"request body is nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise Malformed(f"request body is not JSON ({_json_problem(exc)})") from None
    if _depth(value) > max_depth:
        raise InputTooLarge(f"request body is nested deeper than {max_depth} levels")
    return value


def parse_model(model: type[M], value: Any) -> M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise InvalidInput(f"{where}: {problem['msg']}") from None


def request_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as a route's JSON body (the route reads it itself)."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class Authenticator:
    """``Authorization: Bearer veil_...`` to a live token holding the route's scope, or 401/403.

    Every refusal is an audit entry naming the route and the scope (and the principal, when the
    token was valid but too narrow); an unknown token's text never reaches the log.
    """

    def __init__(self, tokens: TokenStore, audit: AuditLog | None) -> None:
        self.tokens = tokens
        self.audit = audit

    def require(self, scope: str) -> Callable[[Request], Awaitable[Token]]:
        async def dependency(request: Request) -> Token:
            return self.check(request, scope)

        dependency.__name__ = f"token_with_{scope.replace(':', '_').replace('*', 'any')}"
        return dependency

    def check(self, request: Request, scope: str) -> Token:
        route = _route_of(request)
        header = request.headers.get("authorization", "")
        kind, _, secret = header.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            self._refused(UNKNOWN, route, scope, "token_missing")
            raise TokenInvalid("a bearer token is required")
        try:
            token = self.tokens.authenticate(secret.strip())
        except VeilError as exc:
            self._refused(UNKNOWN, route, scope, exc.code)
            raise
        if not token.allows(scope):
            self._refused(token.principal, route, scope, "scope_missing")
            raise AccessDenied(f"this route needs a token with scope {scope!r}")
        request.state.principal = token.principal
        return token

    def _refused(self, actor: str, route: str, scope: str, why: str) -> None:
        if self.audit is not None:
            # the rule says why and which scope the route needed: "scope_missing:inference"
            entry = AuditEntry("service.auth", actor, f"route:{route}", decision="deny",
                               rule=f"{why}:{scope}")  # fmt: skip
            self.audit.submit(entry).add_done_callback(lambda future: future.exception())


def _route_of(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", "unknown")


def _no_constant(name: str) -> Any:
    raise Malformed(f"request body is not JSON ({name} is not a JSON number)")


def _json_problem(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}"
    return "unreadable"


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest
