"""The FastAPI app: the library's REST API under ``/v1`` and the OpenAI-compatible gateway.

No postponed annotations in this module: FastAPI reads the route signatures at run time.

Every route declares the token scope it needs (``inference`` for detection, redaction and chat;
``audit`` for the audit log); health, readiness and metrics need none and say nothing personal.
Errors are ``{"error": code, "message": text}`` with the ``VeilError``'s status.
"""


import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from veil import __version__
from veil.access import Token
from veil.detect import Detector, default_detector
from veil.errors import InvalidInput, NotFound, VeilError
from veil.redact import Redactor, redact_json
from veil.service._http import Authenticator, error_response, parse_model, read_json, request_schema
from veil.service._metrics import Observed
from veil.service._state import Service
from veil.service._vault_routes import add_vault_routes

#: The header naming a conversation: the same value keeps its tag across the conversation's turns.
SESSION_HEADER = "x-veil-session"
#: Audit indexes fit a signed 64-bit column; anything larger is refused before the database sees it.
MAX_INDEX = 2**62


class DetectBody(BaseModel):
    text: str = Field(description="The text to search for personal data and secrets.")


class RedactBody(BaseModel):
    text: str | None = Field(default=None, description="A text to redact.")
    json_value: Any = Field(default=None, alias="json", description="A JSON value to redact the strings of.")
    paths: list[str] | None = Field(default=None, description="Only these JSON paths (user.email, a[*].b).")


class ChatBody(BaseModel):
    """The OpenAI chat completion request (only the fields Veil reads are listed; others pass through)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(description="The upstream's model id.")
    messages: list[dict[str, Any]] = Field(description="The conversation, OpenAI's message objects.")
    stream: bool = Field(default=False, description="Answer as server-sent events.")
    n: int = Field(default=1, ge=1, le=16, description="How many choices.")


def create_app(service: Service, *, on_ready: Callable[[], None] | None = None) -> FastAPI:
    """The app; ``on_ready`` is called once the detector is built, before the first request is taken."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(service.warm)  # uvicorn accepts connections only after this
        if on_ready is not None:
            on_ready()
        yield
        await service.aclose()

    about = "Privacy layer for AI applications: redaction, audit and an LLM gateway."
    app = FastAPI(title="Veil", version=__version__, lifespan=lifespan, description=about)
    auth = Authenticator(service.tokens, service.audit)
    inference = Annotated[Token, Depends(auth.require("inference"))]
    auditor = Annotated[Token, Depends(auth.require("audit"))]
    _errors(app)

    async def body(request: Request) -> Any:
        return await read_json(request, max_bytes=service.max_body_bytes, max_depth=service.max_json_depth)

    if service.vault is not None:
        add_vault_routes(app, service.vault, auth, body)

    @app.get("/v1/health", tags=["service"])
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok", "version": __version__}

    @app.get("/v1/ready", tags=["service"], responses={503: {"description": "storage unavailable"}})
    async def ready() -> dict[str, Any]:
        """Storage answers (the audit tree's size is read)."""
        size = await asyncio.to_thread(service.audit.size)
        return {"status": "ready", "audit_size": size}

    @app.get("/metrics", tags=["service"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics: counts and timings only."""
        return Response(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.post("/v1/detect", tags=["detection"], openapi_extra=request_schema(DetectBody))
    async def detect(request: Request, token: inference) -> dict[str, Any]:
        """Findings (offsets, types, scores) in a text; the values themselves are not returned."""
        parsed = parse_model(DetectBody, await body(request))
        findings = await asyncio.to_thread(_detector(service).detect, parsed.text)
        return {"findings": [f.to_dict() for f in findings]}

    @app.post("/v1/redact", tags=["detection"], openapi_extra=request_schema(RedactBody))
    async def redact(request: Request, token: inference) -> dict[str, Any]:
        """A text, or a JSON value's strings, with personal data and secrets replaced by tags."""
        parsed = parse_model(RedactBody, await body(request))
        if (parsed.text is None) == ("json_value" not in parsed.model_fields_set):
            raise InvalidInput("send exactly one of text and json")
        redactor = Redactor(service.detector)
        if parsed.text is not None:
            done = await asyncio.to_thread(redactor.apply, parsed.text)
            counts = Counter(str(replacement.entity) for replacement in done.replacements)
            service.metrics.count_entities(counts)
            return {"text": done.text, "counts": counts}
        value = await asyncio.to_thread(redact_json, parsed.json_value, redactor=redactor, paths=parsed.paths)
        return {"json": value}

    @app.get("/v1/audit/head", tags=["audit"])
    async def audit_head(token: auditor, sign: bool = False) -> dict[str, Any]:
        """The latest signed tree head (``sign=true``: sign the current tree first)."""
        head = await asyncio.to_thread(service.audit.sign_head if sign else service.audit.latest_head)
        if head is None:
            raise NotFound("no signed head yet: ask with sign=true")
        return {"size": head.size, "signed_at": head.signed_at.isoformat(), "checkpoint": head.note,
                "verifier_key": service.audit.verifier_key()}  # fmt: skip

    @app.get("/v1/audit/entries", tags=["audit"])
    async def audit_entries(
        token: auditor,
        actor: str | None = None,
        subject: str | None = None,
        action: str | None = None,
        purpose: str | None = None,
        decision: str | None = None,
        resource: str | None = None,
        after: Annotated[int, Query(ge=-1, le=MAX_INDEX)] = -1,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Entries in order, filtered, one page at a time (``after``: the last index seen)."""
        found = await asyncio.to_thread(
            service.audit.entries, actor=actor, subject=subject, action=action, purpose=purpose,
            decision=decision, resource=resource, after=after, limit=limit,
        )  # fmt: skip
        return {"entries": [_entry(e) for e in found], "next_after": found[-1].index if found else None}

    @app.get("/v1/audit/proofs/inclusion/{index}", tags=["audit"])
    async def inclusion(token: auditor, index: Annotated[int, Path(ge=0, le=MAX_INDEX)]) -> dict[str, Any]:
        """Entry ``index``'s inclusion proof with the signed head it is against."""
        return await asyncio.to_thread(service.audit.inclusion_bundle, index)

    @app.get("/v1/audit/proofs/consistency", tags=["audit"])
    async def consistency(token: auditor, old: Annotated[int, Query(ge=1, le=MAX_INDEX)]) -> dict[str, Any]:
        """Proof that the signed head of size ``old`` is a prefix of a fresh signed head."""
        heads = {head.size: head for head in await asyncio.to_thread(service.audit.heads)}
        if old not in heads:
            raise NotFound(f"no signed head of size {old}")
        return await asyncio.to_thread(service.audit.consistency_bundle, heads[old])

    @app.post("/v1/chat/completions", tags=["gateway"], response_model=None,
              openapi_extra=request_schema(ChatBody))
    async def chat(request: Request, token: inference) -> Response:
        """OpenAI-compatible chat completion, pseudonymized on the way out and restored on the way back."""
        payload = await body(request)
        if not isinstance(payload, dict):
            raise InvalidInput("request body must be a JSON object")
        if service.limiter is not None:
            await service.limiter.admit(token.token_id, tokens=_token_estimate(payload))
        session = request.headers.get(SESSION_HEADER)
        if payload.get("stream") is True:
            events = await service.gateway.stream(payload, token=token, session_id=session)
            return StreamingResponse(_sse(events), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-store"})  # fmt: skip
        answer = await service.gateway.complete(payload, token=token, session_id=session)
        return JSONResponse(answer, headers={"Cache-Control": "no-store"})

    return Observed(app, service.metrics)  # type: ignore[return-value]  # the ASGI app around FastAPI


def _errors(app: FastAPI) -> None:
    @app.exception_handler(VeilError)
    async def veil_error(_: Request, exc: VeilError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problem = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in problem.get("loc", ())) or "request"
        return error_response(InvalidInput(f"{where}: {problem.get('msg', 'invalid')}"))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": code, "message": str(exc.detail)}, exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # the class name only: an exception's text may quote the data it choked on
        message = f"internal error ({type(exc).__name__})"
        return JSONResponse({"error": "internal_error", "message": message}, 500)


def _detector(service: Service) -> Detector:
    return service.detector if service.detector is not None else default_detector()


def _entry(entry: Any) -> dict[str, Any]:
    return {"index": entry.index, "at": entry.at.isoformat(), "action": entry.action, "actor": entry.actor,
            "resource": entry.resource, "decision": entry.decision, "purpose": entry.purpose,
            "subject": entry.subject, "rule": entry.rule, "request_id": entry.request_id,
            "counts": dict(entry.counts)}  # fmt: skip


def _token_estimate(payload: dict[str, Any]) -> int:
    """Tokens the request may use: its size in bytes / 4 (a common rule of thumb) plus what it asks for."""
    asked = payload.get("max_completion_tokens", payload.get("max_tokens"))
    prompt = len(json.dumps(payload.get("messages"), ensure_ascii=False)) // 4
    return prompt + (asked if isinstance(asked, int) and asked > 0 else 0)


async def _sse(events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    try:
        async for event in events:
            yield b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n"
    except VeilError as exc:  # the status is sent already: the error goes in the stream, then it ends
        yield b"data: " + json.dumps({"error": {"code": exc.code, "message": exc.message}}).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"
