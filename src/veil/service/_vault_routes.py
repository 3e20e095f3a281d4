"""The vault, consent and data subject request routes under ``/v1``.

No postponed annotations in this module: FastAPI reads the route signatures at run time, and
the token dependencies are aliases local to the functions that register the routes.

Every call takes the route's ``Token`` as its actor, so the vault decides on the token's
principal and its scope. One JSON shape per resource, dates and times as ISO 8601 strings:

- record: ``{"collection", "record_id", "subject_id", "fields": {name: value}, "created_at",
  "updated_at", "expires_at"}``; a listing is ``{"records": [record, ...]}``;
- consent event: ``{"subject_id", "purpose", "granted", "at", "source", "policy_version"}``; a
  subject's consent is ``{"subject_id", "purposes": {purpose: granted}, "events": [event, ...]}``;
- data subject request: ``{"request_id", "subject_id", "kind", "status", "profile",
  "received_at", "deadline", "extended", "completed_at", "receipt"}``; a listing is
  ``{"requests": [request, ...]}``;
- receipt: ``{"payload", "signature", "public_key"}`` (``veil.dsr.Receipt``).

Field values are personal data: they are in the answers to authorized reads (sent ``no-store``)
and nowhere else; logs, metrics, errors and audit entries carry ids, names and counts.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AwareDatetime, BaseModel, Field

from veil.access import Token
from veil.audit import AuditEntry
from veil.dsr import DataSubjectRequests, DsrRequest, Receipt
from veil.errors import InvalidInput, NotFound
from veil.service._http import Authenticator, parse_model, request_schema
from veil.vault import CollectionSpec, ConsentEvent, FieldType, Record, RequestKind, Vault
from veil.vault._ids import check_id

Body = Callable[[Request], Awaitable[Any]]
TokenCheck = Callable[[Request], Awaitable[Token]]
#: Answers that carry personal data must not be kept by a cache on the way.
NO_STORE = {"Cache-Control": "no-store"}
_FIELDS = "Field values by name; a date field takes YYYY-MM-DD."


class NewRecord(BaseModel):
    subject_id: str = Field(description="The subject the record is about (an opaque id).")
    purpose: str = Field(description="The declared purpose the record is stored for.")
    fields: dict[str, Any] = Field(description=_FIELDS)
    region: str | None = Field(default=None, description="Register a new subject of this region first.")


class RecordChange(BaseModel):
    purpose: str = Field(description="The purpose whose view of the record is replaced.")
    fields: dict[str, Any] = Field(description=_FIELDS + " The purpose's fields left out are removed.")


class ConsentChange(BaseModel):
    purpose: str = Field(description="The declared purpose consent is given or withdrawn for.")
    granted: bool = Field(strict=True, description="true: consent given; false: withdrawn.")
    source: str = Field(description="Where the subject said so (web-form, unsubscribe link, ...).")
    policy_version: str = Field(description="The version of the privacy notice the subject saw.")
    at: AwareDatetime | None = Field(default=None, description="When the subject said so (default: now).")


class NewRequest(BaseModel):
    subject_id: str = Field(description="The subject the request is about.")
    kind: RequestKind = Field(description="access, portability, erasure or rectification.")
    region: str | None = Field(default=None, description="The subject's region, when the vault lacks them.")
    received_at: AwareDatetime | None = Field(default=None, description="When it arrived (default: now).")


class Rectification(BaseModel):
    collection: str = Field(description="The collection of the subject's record.")
    record_id: str = Field(description="The record to correct.")
    fields: dict[str, Any] = Field(description=_FIELDS + " null removes a field.")


class Rejection(BaseModel):
    reason: str = Field(description="identity_not_verified, manifestly_unfounded, excessive or legal_hold.")


def add_vault_routes(app: FastAPI, vault: Vault, auth: Authenticator, body: Body) -> None:
    """Register the vault routes on ``app``; each declares the token scope it needs."""
    _record_routes(app, vault, auth, body)
    _consent_routes(app, vault, auth, body)
    _dsr_routes(app, DataSubjectRequests(vault), auth, body)


def _collection_token(vault: Vault, auth: Authenticator, action: str) -> TokenCheck:
    """A dependency wanting ``vault:<action>:<the path's collection>``; it runs before any parameter
    is validated, so a caller without the scope learns nothing about the request's shape."""

    async def dependency(request: Request) -> Token:
        collection = request.path_params["collection"]
        declared = collection in vault.schema.collections
        # an undeclared name is caller input: it needs the wildcard scope and never reaches the audit log
        token = auth.check(request, f"vault:{action}:{collection if declared else '*'}")
        if not declared:
            raise NotFound("no such collection")
        return token

    dependency.__name__ = f"token_with_vault_{action}"
    return dependency


def _record_routes(app: FastAPI, vault: Vault, auth: Authenticator, body: Body) -> None:
    writer = Annotated[Token, Depends(_collection_token(vault, auth, "write"))]
    reader = Annotated[Token, Depends(_collection_token(vault, auth, "decrypt"))]
    eraser = Annotated[Token, Depends(_collection_token(vault, auth, "erase"))]
    purpose_query = Query(description="The declared purpose of the read: only its fields are returned.")

    @app.post("/v1/vault/{collection}/records", tags=["vault"], status_code=201,
              openapi_extra=request_schema(NewRecord))  # fmt: skip
    async def create_record(request: Request, collection: str, token: writer) -> JSONResponse:
        """Store a record (scope ``vault:write:{collection}``); the vault picks its id. Answers 201
        ``{"collection", "record_id", "subject_id"}`` with the record's ``Location``."""
        new = parse_model(NewRecord, await body(request))
        values = _incoming(vault.schema.collection(collection), new.fields)
        record_id = await asyncio.to_thread(vault.put, collection, new.subject_id, values,
                                            purpose=new.purpose, region=new.region, actor=token)  # fmt: skip
        answer = {"collection": collection, "record_id": record_id, "subject_id": new.subject_id}
        return JSONResponse(answer, 201, headers={"Location": f"/v1/vault/{collection}/records/{record_id}"})

    @app.put("/v1/vault/{collection}/records/{record_id}", tags=["vault"], status_code=204,
             response_class=Response, openapi_extra=request_schema(RecordChange))  # fmt: skip
    async def replace_record(request: Request, collection: str, record_id: str, token: writer) -> Response:
        """Replace what ``purpose`` sees of a record (scope ``vault:write:{collection}``): the fields
        given are set, the purpose's other fields removed, fields it does not see are kept. 204."""
        change = parse_model(RecordChange, await body(request))
        spec = vault.schema.collection(collection)
        values = {f.name: None for f in spec.fields_for(change.purpose)} | _incoming(spec, change.fields)
        await asyncio.to_thread(vault.update, collection, record_id, values, purpose=change.purpose,
                                actor=token)  # fmt: skip
        return Response(status_code=204)

    @app.get("/v1/vault/{collection}/records/{record_id}", tags=["vault"], response_class=JSONResponse)
    async def get_record(collection: str, record_id: str, token: reader,
                         purpose: Annotated[str, purpose_query]) -> JSONResponse:  # fmt: skip
        """One record with only the fields ``purpose`` may see (scope ``vault:decrypt:{collection}``);
        403 ``consent_missing`` when its subject's consent does not cover the purpose."""
        found = await asyncio.to_thread(vault.get, collection, record_id, purpose=purpose, actor=token)
        return JSONResponse(_record(found), headers=NO_STORE)

    @app.get("/v1/vault/{collection}/records", tags=["vault"], response_class=JSONResponse)
    async def list_records(collection: str, token: reader, purpose: Annotated[str, purpose_query],
                           subject_id: str | None = None) -> JSONResponse:  # fmt: skip
        """``{"records": [...]}``: the collection's (or one subject's) records ``purpose`` may see, oldest
        first (scope ``vault:decrypt:{collection}``); subjects without the consent it needs are left out."""
        found = await asyncio.to_thread(vault.records, collection, purpose=purpose, subject_id=subject_id,
                                        actor=token)  # fmt: skip
        return JSONResponse({"records": [_record(r) for r in found]}, headers=NO_STORE)

    @app.delete("/v1/vault/{collection}/records/{record_id}", tags=["vault"], status_code=204,
                response_class=Response)  # fmt: skip
    async def delete_record(collection: str, record_id: str, token: eraser) -> Response:
        """Remove one record and its blind-index rows (scope ``vault:erase:{collection}``). 204."""
        await asyncio.to_thread(vault.delete, collection, record_id, actor=token)
        return Response(status_code=204)


def _consent_routes(app: FastAPI, vault: Vault, auth: Authenticator, body: Body) -> None:
    # the ledger asks the vault for a ``write`` (and this read for a ``read``) in no collection
    writer = Annotated[Token, Depends(auth.require("vault:write:*"))]
    reader = Annotated[Token, Depends(auth.require("vault:read:*"))]

    @app.post("/v1/subjects/{subject_id}/consent", tags=["consent"], status_code=201,
              openapi_extra=request_schema(ConsentChange))  # fmt: skip
    async def record_consent(request: Request, subject_id: str, token: writer) -> JSONResponse:
        """Record that the subject gave (``granted: true``) or withdrew consent for a purpose (scope
        ``vault:write:*``); the ledger keeps every event. Answers 201 with the consent event."""
        change = parse_model(ConsentChange, await body(request))
        ledger = vault.consent.grant if change.granted else vault.consent.revoke
        event = await asyncio.to_thread(ledger, subject_id, change.purpose, source=change.source,
                                        policy_version=change.policy_version, at=change.at,
                                        actor=token)  # fmt: skip
        return JSONResponse(_event(event), 201)

    @app.get("/v1/subjects/{subject_id}/consent", tags=["consent"], response_class=JSONResponse)
    async def read_consent(subject_id: str, token: reader) -> JSONResponse:
        """The subject's consent (scope ``vault:read:*``): ``purposes`` maps each purpose the subject
        has spoken on to whether consent stands now; ``events`` is the whole history, oldest first."""
        state = await asyncio.to_thread(_consent_state, vault, subject_id, token)
        return JSONResponse(state, headers=NO_STORE)


def _consent_state(vault: Vault, subject_id: str, token: Token) -> dict[str, Any]:
    """The ledger's reads are not guarded: decide a ``read`` and audit it here, as the vault's reads do."""
    resource = f"subject:{check_id('subject', subject_id)}"
    with vault.guard.check(token, "consent.read", "read", resource=resource, subject=subject_id) as allowed:
        events = vault.consent.history(subject_id)
        standing = {p: vault.consent.standing(p, [subject_id]) for p in sorted({e.purpose for e in events})}
        vault.audit.append(AuditEntry("consent.read", allowed.actor, resource, subject=subject_id,
                                      rule=allowed.rule, counts={"events": len(events)}))  # fmt: skip
    purposes = {p: found[subject_id] for p, found in standing.items() if subject_id in found}
    return {"subject_id": subject_id, "purposes": purposes, "events": [_event(e) for e in events]}


def _dsr_routes(app: FastAPI, desk: DataSubjectRequests, auth: Authenticator, body: Body) -> None:
    dsr = Annotated[Token, Depends(auth.require("dsr"))]
    one = "/v1/dsr/requests/{request_id}"

    @app.post("/v1/dsr/requests", tags=["dsr"], status_code=201, openapi_extra=request_schema(NewRequest))
    async def open_request(request: Request, token: dsr) -> JSONResponse:
        """Open a data subject request (scope ``dsr``); its deadline comes from the subject's regulation
        profile. Answers 201 with the request and its ``Location``."""
        new = parse_model(NewRequest, await body(request))
        opened = await asyncio.to_thread(desk.open, new.subject_id, new.kind, region=new.region,
                                         received_at=new.received_at, actor=token)  # fmt: skip
        location = f"/v1/dsr/requests/{opened.request_id}"
        return JSONResponse(_request(opened), 201, headers={"Location": location})

    @app.get("/v1/dsr/requests", tags=["dsr"])
    async def list_requests(token: dsr, status: str | None = None,
                            subject_id: str | None = None) -> dict[str, Any]:  # fmt: skip
        """``{"requests": [...]}``, oldest first, by ``status`` (open, extended, completed, rejected)
        and/or subject (scope ``dsr``)."""
        found = await asyncio.to_thread(desk.list, status=status, subject_id=subject_id)
        return {"requests": [_request(r) for r in found]}

    @app.get(one, tags=["dsr"])
    async def get_request(token: dsr, request_id: str) -> dict[str, Any]:
        """One request, with its signed receipt once answered (scope ``dsr``)."""
        return _request(await asyncio.to_thread(desk.get, request_id))

    @app.post(f"{one}/export", tags=["dsr"], response_class=JSONResponse)
    async def export_request(token: dsr, request_id: str) -> JSONResponse:
        """Answer an access or portability request (scope ``dsr``): the subject's export bundle
        (``veil.dsr.EXPORT_SCHEMA``, every field decrypted); completes the request."""
        bundle = await asyncio.to_thread(desk.export, request_id, actor=token)
        return JSONResponse(bundle, headers=NO_STORE)

    @app.post(f"{one}/erase", tags=["dsr"])
    async def erase_request(token: dsr, request_id: str) -> dict[str, Any]:
        """Answer an erasure request by crypto-shredding the subject (scope ``dsr``); the signed receipt."""
        return _receipt(await asyncio.to_thread(desk.erase, request_id, actor=token))

    @app.post(f"{one}/rectify", tags=["dsr"], openapi_extra=request_schema(Rectification))
    async def rectify_request(request: Request, token: dsr, request_id: str) -> dict[str, Any]:
        """Answer a rectification request: correct fields of one of the subject's records (scope
        ``dsr``); the signed receipt. Another subject's record is answered 404, like a missing one."""
        fix = parse_model(Rectification, await body(request))
        values = _incoming(desk.vault.schema.collection(fix.collection), fix.fields)
        receipt = await asyncio.to_thread(desk.rectify, request_id, fix.collection, fix.record_id, values,
                                          actor=token)  # fmt: skip
        return _receipt(receipt)

    @app.post(f"{one}/extend", tags=["dsr"])
    async def extend_request(token: dsr, request_id: str) -> dict[str, Any]:
        """Apply the regulation's one deadline extension (scope ``dsr``); the request."""
        return _request(await asyncio.to_thread(desk.extend, request_id, actor=token))

    @app.post(f"{one}/reject", tags=["dsr"], openapi_extra=request_schema(Rejection))
    async def reject_request(request: Request, token: dsr, request_id: str) -> dict[str, Any]:
        """Close a request unanswered for a reason code, never free text (scope ``dsr``); the request."""
        reason = parse_model(Rejection, await body(request)).reason
        return _request(await asyncio.to_thread(desk.reject, request_id, reason=reason, actor=token))


def _incoming(spec: CollectionSpec, fields: Mapping[str, Any]) -> dict[str, Any]:
    """JSON values as the vault takes them: a date field's ISO 8601 text becomes a ``date``."""
    return {name: _parsed(spec, name, value) for name, value in fields.items()}


def _parsed(spec: CollectionSpec, name: str, value: Any) -> Any:
    declared = spec.fields.get(name)
    if declared is None or declared.type is not FieldType.DATE or not isinstance(value, str):
        return value  # the vault checks the rest and names no value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"field {spec.name}.{declared.name} must be a date (YYYY-MM-DD)") from None


def _iso(moment: date | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _plain(value: object) -> object:
    # a date is the only decoded field value JSON cannot carry as it is
    return value.isoformat() if isinstance(value, date) else value


def _record(record: Record) -> dict[str, Any]:
    return {"collection": record.collection, "record_id": record.record_id, "subject_id": record.subject_id,
            "fields": {name: _plain(value) for name, value in record.fields.items()},
            "created_at": _iso(record.created_at), "updated_at": _iso(record.updated_at),
            "expires_at": _iso(record.expires_at)}  # fmt: skip


def _event(event: ConsentEvent) -> dict[str, Any]:
    return {"subject_id": event.subject_id, "purpose": event.purpose, "granted": event.granted,
            "at": _iso(event.at), "source": event.source, "policy_version": event.policy_version}  # fmt: skip


def _request(request: DsrRequest) -> dict[str, Any]:
    return {"request_id": request.request_id, "subject_id": request.subject_id, "kind": request.kind.value,
            "status": request.status, "profile": request.profile, "received_at": _iso(request.received_at),
            "deadline": _iso(request.deadline), "extended": request.extended,
            "completed_at": _iso(request.completed_at), "receipt": request.receipt}  # fmt: skip


def _receipt(receipt: Receipt) -> dict[str, Any]:
    return {"payload": receipt.payload, "signature": receipt.signature, "public_key": receipt.public_key}
