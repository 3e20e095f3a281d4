"""Opening, tracking, extending and rejecting requests: deadlines come from the subject's profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from veil._clock import FixedClock
from veil.dsr import DataSubjectRequests, DsrRequest
from veil.errors import IntegrityError, InvalidInput, NotFound
from veil.vault import RequestKind, Vault

DAY = timedelta(days=1)


def test_gdpr_request_is_due_in_30_days(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", RequestKind.ACCESS, actor="tester")
    assert (request.kind, request.status, request.profile) == (RequestKind.ACCESS, "open", "gdpr")
    assert request.received_at == clock.now()
    assert request.deadline == clock.now() + 30 * DAY
    assert (request.extended, request.completed_at, request.receipt) == (False, None, None)


def test_ccpa_request_is_due_in_45_days(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("ca1", "US-CA", actor="tester")
    request = dsr.open("ca1", "erasure", actor="tester")
    assert request.profile == "ccpa"
    assert request.kind is RequestKind.ERASURE
    assert request.deadline == clock.now() + 45 * DAY


def test_deadline_counts_from_received_at(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    received = clock.now() - 10 * DAY
    request = dsr.open("s1", "access", received_at=received, actor="tester")
    assert request.received_at == received
    assert request.deadline == received + 30 * DAY


def test_request_for_an_unregistered_subject_needs_its_region(dsr: DataSubjectRequests,
                                                              clock: FixedClock) -> None:
    with pytest.raises(InvalidInput, match="not registered"):
        dsr.open("ghost", "access", actor="tester")
    request = dsr.open("ghost", "access", region="US-CA", actor="tester")
    assert request.profile == "ccpa"
    assert request.deadline == clock.now() + 45 * DAY


def test_registered_subject_region_wins_over_the_given_one(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    assert dsr.open("s1", "access", region="US-CA", actor="tester").profile == "gdpr"


@pytest.mark.parametrize("kind", ["delete", "", 7, None])
def test_unknown_kind_is_refused(vault: Vault, dsr: DataSubjectRequests, kind: object) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput, match="kind must be one of"):
        dsr.open("s1", kind, actor="tester")  # type: ignore[arg-type]
    assert dsr.list() == []


def test_naive_or_future_received_at_is_refused(vault: Vault, dsr: DataSubjectRequests,
                                                clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput, match="timezone-aware"):
        dsr.open("s1", "access", received_at=datetime(2026, 3, 1, 9, 0), actor="tester")
    with pytest.raises(InvalidInput, match="future"):
        dsr.open("s1", "access", received_at=clock.now() + DAY, actor="tester")
    assert dsr.list() == []


def test_bad_actor_is_refused(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    with pytest.raises(InvalidInput, match="actor"):
        dsr.open("s1", "access", actor="")
    assert dsr.list() == []


def test_get_returns_the_stored_request(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    opened = dsr.open("s1", "portability", actor="tester")
    assert dsr.get(opened.request_id) == opened


def test_get_of_unknown_or_malformed_id(dsr: DataSubjectRequests) -> None:
    with pytest.raises(NotFound):
        dsr.get("00000000-0000-4000-8000-000000000000")
    with pytest.raises(InvalidInput, match="UUID"):
        dsr.get("not-a-request")


def test_list_filters_by_status_and_subject(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "FR", actor="tester")
    first = dsr.open("s1", "access", actor="tester")
    clock.advance(timedelta(minutes=1))
    second = dsr.open("s2", "erasure", actor="tester")
    clock.advance(timedelta(minutes=1))
    third = dsr.open("s1", "erasure", actor="tester")
    dsr.reject(third.request_id, reason="identity_not_verified", actor="tester")
    assert [r.request_id for r in dsr.list()] == [first.request_id, second.request_id, third.request_id]
    assert [r.request_id for r in dsr.list(subject_id="s1")] == [first.request_id, third.request_id]
    assert [r.request_id for r in dsr.list(status="open")] == [first.request_id, second.request_id]
    assert [r.request_id for r in dsr.list(status="rejected", subject_id="s1")] == [third.request_id]
    with pytest.raises(InvalidInput, match="status"):
        dsr.list(status="pending")


def test_overdue_lists_unanswered_requests_past_deadline(vault: Vault, dsr: DataSubjectRequests,
                                                         clock: FixedClock) -> None:
    vault.add_subject("eu", "DE", actor="tester")
    vault.add_subject("ca", "US-CA", actor="tester")
    gdpr = dsr.open("eu", "access", actor="tester")
    ccpa = dsr.open("ca", "access", actor="tester")
    answered = dsr.open("eu", "erasure", actor="tester")
    dsr.reject(answered.request_id, reason="excessive", actor="tester")
    assert dsr.overdue() == []
    clock.advance(31 * DAY)
    assert [r.request_id for r in dsr.overdue()] == [gdpr.request_id]
    assert dsr.get(gdpr.request_id).overdue(clock.now())
    assert not dsr.get(ccpa.request_id).overdue(clock.now())
    clock.advance(15 * DAY)
    assert {r.request_id for r in dsr.overdue()} == {gdpr.request_id, ccpa.request_id}
    assert [r.request_id for r in dsr.overdue(now=clock.now() - 20 * DAY)] == []
    with pytest.raises(InvalidInput, match="timezone-aware"):
        dsr.overdue(now=datetime(2026, 5, 1))


def test_deadline_itself_is_not_yet_overdue(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "access", actor="tester")
    assert dsr.overdue(now=request.deadline) == []
    assert not request.overdue(request.deadline)
    assert request.overdue(request.deadline + timedelta(seconds=1))


def test_extend_applies_the_profile_extension(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("eu", "DE", actor="tester")
    vault.add_subject("ca", "US-CA", actor="tester")
    gdpr = dsr.extend(dsr.open("eu", "access", actor="tester").request_id, actor="tester")
    ccpa = dsr.extend(dsr.open("ca", "access", actor="tester").request_id, actor="tester")
    assert (gdpr.status, gdpr.extended, gdpr.deadline) == ("extended", True, clock.now() + 90 * DAY)
    assert (ccpa.status, ccpa.extended, ccpa.deadline) == ("extended", True, clock.now() + 90 * DAY)
    assert dsr.get(gdpr.request_id) == gdpr


def test_extended_request_is_no_longer_overdue(vault: Vault, dsr: DataSubjectRequests,
                                               clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "access", actor="tester")
    clock.advance(31 * DAY)
    assert [r.request_id for r in dsr.overdue()] == [request.request_id]
    dsr.extend(request.request_id, actor="tester")
    assert dsr.overdue() == []
    clock.advance(60 * DAY)
    assert [r.status for r in dsr.overdue()] == ["extended"]


def test_second_extension_is_refused(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    extended = dsr.extend(dsr.open("s1", "access", actor="tester").request_id, actor="tester")
    with pytest.raises(InvalidInput, match="already extended"):
        dsr.extend(extended.request_id, actor="tester")
    assert dsr.get(extended.request_id).deadline == extended.deadline


def test_profile_without_extension_refuses_one(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("in1", "IN", actor="tester")  # DPDP: 90 days, no extension
    request = dsr.open("in1", "erasure", actor="tester")
    assert request.profile == "dpdp"
    with pytest.raises(InvalidInput, match="no deadline extension"):
        dsr.extend(request.request_id, actor="tester")
    assert dsr.get(request.request_id) == request


def test_reject_closes_with_a_signed_reason(vault: Vault, dsr: DataSubjectRequests, clock: FixedClock) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "erasure", actor="tester")
    rejected = dsr.reject(request.request_id, reason="legal_hold", actor="dpo")
    assert (rejected.status, rejected.completed_at) == ("rejected", clock.now())
    assert rejected.receipt is not None
    payload = rejected.receipt["payload"]
    assert (payload["status"], payload["reason"], payload["actor"]) == ("rejected", "legal_hold", "dpo")
    assert not rejected.overdue(clock.now() + 365 * DAY)


@pytest.mark.parametrize("reason", ["because", "", "LEGAL_HOLD"])
def test_reject_takes_only_known_reason_codes(vault: Vault, dsr: DataSubjectRequests, reason: str) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "access", actor="tester")
    with pytest.raises(InvalidInput, match="reason must be one of"):
        dsr.reject(request.request_id, reason=reason, actor="tester")
    assert dsr.get(request.request_id).status == "open"


def test_closed_requests_refuse_any_further_action(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    rid = vault.put("customers", "s1", {"email": "ada@example.org"}, purpose="support", actor="tester")
    done = dsr.open("s1", "access", actor="tester")
    dsr.export(done.request_id, actor="tester")
    rejected = dsr.reject(dsr.open("s1", "rectification", actor="tester").request_id, reason="manifestly_unfounded", actor="tester")
    for request_id in (done.request_id, rejected.request_id):
        with pytest.raises(IntegrityError):
            dsr.extend(request_id, actor="tester")
        with pytest.raises(IntegrityError):
            dsr.reject(request_id, reason="excessive", actor="tester")
    with pytest.raises(IntegrityError):
        dsr.export(done.request_id, actor="tester")
    with pytest.raises(IntegrityError):
        dsr.rectify(rejected.request_id, "customers", rid, {"email": "new@example.org"}, actor="tester")
    assert vault.get("customers", rid, purpose="support", actor="tester").fields["email"] == "ada@example.org"
    assert sorted(r.status for r in dsr.list()) == ["completed", "rejected"]


def test_wrong_kind_of_action_is_refused(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    rid = vault.put("customers", "s1", {"email": "ada@example.org"}, purpose="support", actor="tester")
    access = dsr.open("s1", "access", actor="tester")
    erasure = dsr.open("s1", "erasure", actor="tester")
    with pytest.raises(InvalidInput, match="access request"):
        dsr.erase(access.request_id, actor="tester")
    with pytest.raises(InvalidInput, match="erasure request"):
        dsr.export(erasure.request_id, actor="tester")
    with pytest.raises(InvalidInput, match="not rectification"):
        dsr.rectify(erasure.request_id, "customers", rid, {"email": "x@example.org"}, actor="tester")
    assert [r.status for r in dsr.list()] == ["open", "open"]
    assert vault.records("customers", purpose="support", subject_id="s1", actor="tester")


def test_every_state_change_is_an_audit_entry(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "erasure", actor="agent-7")
    dsr.extend(request.request_id, actor="agent-7")
    dsr.reject(request.request_id, reason="legal_hold", actor="dpo")
    entries = [e for e in vault.audit.entries(limit=1000) if e.action.startswith("dsr.")]
    assert [(e.action, e.actor) for e in entries] == [
        ("dsr.open", "agent-7"), ("dsr.extend", "agent-7"), ("dsr.reject", "dpo")]
    assert {(e.resource, e.request_id) for e in entries} == {(f"request:{request.request_id}", request.request_id)}
    stored = dsr.get(request.request_id).receipt
    assert stored is not None
    assert stored["payload"]["audit_seq"] == entries[-1].index


def test_answer_lost_to_another_worker_is_rolled_back(vault: Vault, dsr: DataSubjectRequests,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "erasure", actor="tester")
    other = DataSubjectRequests(vault)
    erase_subject = vault.erase_subject

    def racing(subject_id: str, **options: str | None) -> object:
        other.reject(request.request_id, reason="legal_hold", actor="tester")  # lands between the check and the close
        return erase_subject(subject_id, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(vault, "erase_subject", racing)
    with pytest.raises(IntegrityError, match="another worker"):
        dsr.erase(request.request_id, actor="tester")
    final = dsr.get(request.request_id)
    assert final.status == "rejected"
    assert final.receipt is not None
    assert final.receipt["payload"]["reason"] == "legal_hold"
    assert [e.action for e in vault.audit.entries(limit=1000) if e.action == "dsr.erase"] == []


def test_request_is_immutable_and_hashable(vault: Vault, dsr: DataSubjectRequests) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    request = dsr.open("s1", "access", actor="tester")
    assert isinstance(request, DsrRequest)
    assert hash(request) == hash(dsr.get(request.request_id))
    with pytest.raises(AttributeError):
        request.status = "completed"  # type: ignore[misc]
    assert dsr.get(request.request_id).status == "open"


def test_clock_defaults_to_the_vault_clock(vault: Vault, clock: FixedClock) -> None:
    assert DataSubjectRequests(vault).clock is vault.clock
    later = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    vault.add_subject("s1", "DE", actor="tester")
    assert DataSubjectRequests(vault, clock=later).open("s1", "access", actor="tester").received_at == later.now()
