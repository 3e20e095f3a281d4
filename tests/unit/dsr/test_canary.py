"""Canary values planted in a subject's records never reach audit entries, receipts or error messages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.conftest import Canary
from veil.dsr import DataSubjectRequests, Receipt
from veil.errors import VeilError
from veil.vault import Vault


@pytest.fixture
def planted(vault: Vault, canary_pii: Canary) -> str:
    """A record of subject ``c1`` holding every canary value in fields that keep them as given."""
    vault.add_subject("c1", "DE", actor="tester")
    vault.put("tickets", "c1", {"body": canary_pii.text()}, purpose="support", actor="tester")
    return vault.put("customers", "c1", {"email": canary_pii.email, "name": f"{canary_pii.phone} {canary_pii.ssn}",
                                         "notes": canary_pii.text()}, purpose="support", actor="tester")


def _message(action: Callable[[], object]) -> str:
    with pytest.raises(VeilError) as caught:
        action()
    return f"{caught.value.message}\n{caught.value}\n{caught.value!r}"


def _errors(dsr: DataSubjectRequests, canary: Canary, record_id: str) -> list[str]:
    access = dsr.open("c1", "access", actor="tester").request_id
    fix = dsr.open("c1", "rectification", actor="tester").request_id
    attempts: list[Callable[[], object]] = [
        lambda: dsr.open(canary.email, "access", actor="tester"),
        lambda: dsr.open("c1", canary.email, actor="tester"),
        lambda: dsr.open("nobody", "access", region=canary.email, actor="tester"),
        lambda: dsr.open("c1", "access", actor=canary.text() * 3),  # longer than an actor may be
        lambda: dsr.get(canary.email),
        lambda: dsr.list(status=canary.ssn),
        lambda: dsr.erase(access, actor="tester"),
        lambda: dsr.reject(access, reason=canary.card, actor="tester"),
        lambda: dsr.rectify(fix, canary.email, record_id, {"email": "x@example.org"}, actor="tester"),
        lambda: dsr.rectify(fix, "customers", canary.phone, {"email": "x@example.org"}, actor="tester"),
        lambda: dsr.rectify(fix, "customers", record_id, {canary.email: "x"}, actor="tester"),
        lambda: dsr.rectify(fix, "customers", record_id, {"age": canary.ssn}, actor="tester"),
        lambda: dsr.rectify(fix, "customers", record_id, {"notes": canary.text() * 2_000}, actor="tester"),
        lambda: Receipt.from_json(canary.text()),
    ]
    return [_message(attempt) for attempt in attempts]


def test_no_canary_in_errors_audit_or_receipts(vault: Vault, dsr: DataSubjectRequests, canary_pii: Canary,
                                               planted: str) -> None:
    messages = _errors(dsr, canary_pii, planted)
    bundle = dsr.export(dsr.open("c1", "portability", actor="tester").request_id, actor="tester")
    assert canary_pii.email in json.dumps(bundle)  # the subject does get its own data back
    fix = dsr.open("c1", "rectification", actor="tester")
    dsr.rectify(fix.request_id, "customers", planted, {"name": canary_pii.card}, actor="tester")
    erasure = dsr.erase(dsr.open("c1", "erasure", actor="tester").request_id, actor="tester")
    requests = dsr.list(subject_id="c1")
    assert len(messages) == 14
    assert len(requests) == 5
    canary_pii.assert_absent(messages, repr(vault.audit.entries(limit=1000)), erasure.to_json(),
                             [repr(r) for r in requests], [json.dumps(r.receipt) for r in requests])


def test_no_canary_after_errors_on_a_closed_request(vault: Vault, dsr: DataSubjectRequests,
                                                    canary_pii: Canary, planted: str) -> None:
    request = dsr.open("c1", "rectification", actor="tester")
    dsr.rectify(request.request_id, "customers", planted, {"email": "fresh@example.org"}, actor="tester")
    again = _message(lambda: dsr.rectify(request.request_id, "customers", planted, {"email": canary_pii.email}, actor="tester"))
    assert "completed" in again
    canary_pii.assert_absent(again, repr(vault.audit.entries(limit=1000)))
    assert vault.find("customers", "email", canary_pii.email, purpose="support", actor="tester") == []


def test_no_canary_in_the_error_for_an_unknown_region(dsr: DataSubjectRequests, canary_pii: Canary) -> None:
    # a 16-character phone number passes the length check every region goes through
    canary_pii.assert_absent(_message(lambda: dsr.open("nobody", "access", region=canary_pii.phone, actor="tester")))
