"""The vault's one door: every call asks ``access`` first and leaves an audit entry, allowed or not.

A denial is written to the audit log (durably) before ``AccessDenied("access denied")`` is raised,
and says nothing else to the caller; an allowed call that then fails leaves an entry too, so
every decision is on the record. The caller's own entry, written with the operation, carries the
rule that allowed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime

from veil._clock import Clock
from veil.access import AccessRequest, Decision, Policy, Token
from veil.audit import AuditEntry, AuditLog
from veil.errors import AccessDenied, BudgetExhausted, TokenExpired, TokenInvalid, VeilError

UNKNOWN = "unknown-principal"

#: Who calls the vault: a principal id from the policy, or an authenticated token of one.
Actor = str | Token


@dataclass(frozen=True, slots=True)
class Allowed:
    """What the operation's own audit entry needs: who, and the rule that let them."""

    actor: str
    rule: str


class Guard:
    def __init__(self, policy: Policy, audit: AuditLog, clock: Clock, *, region: str) -> None:
        self.policy = policy
        self.audit = audit
        self.clock = clock
        self.region = region

    @contextmanager
    def check(
        self,
        actor: Actor,
        operation: str,
        action: str,
        *,
        resource: str,
        collection: str | None = None,
        categories: Iterable[str] = (),
        purpose: str | None = None,
        subject: str | None = None,
        request_id: str | None = None,
    ) -> Iterator[Allowed]:
        """Decide, audit a denial and raise it; on an allow, run the body and audit its failure."""
        principal = actor.principal if isinstance(actor, Token) else actor
        known = isinstance(principal, str) and self.policy.principal(principal) is not None
        # an unknown principal's id is unvetted input: the log does not repeat it
        entry = AuditEntry(
            operation, principal if known else UNKNOWN, resource, "deny", purpose, subject, None, request_id
        )
        decision = self._decide(actor, principal, action, collection, frozenset(categories), purpose)
        if not decision.allowed:
            self.audit.append(_with(entry, "deny", decision.rule))
            if decision.rule == "token-expired":
                raise TokenExpired("token expired")
            raise AccessDenied("access denied")
        try:
            yield Allowed(entry.actor, decision.rule)
        except BaseException as exc:
            # consent, residency or a privacy budget refused it after the policy allowed: that check decided
            if isinstance(exc, AccessDenied | BudgetExhausted):
                outcome, rule = "deny", exc.code
            else:
                outcome, rule = "error", decision.rule
            with suppress(VeilError):  # the store is failing too: the original error is the one to report
                self.audit.append(_with(entry, outcome, rule))
            raise

    def _decide(
        self,
        actor: Actor,
        principal: str,
        action: str,
        collection: str | None,
        categories: frozenset[str],
        purpose: str | None,
    ) -> Decision:
        now = self.clock.now()
        request = AccessRequest(
            principal=principal if isinstance(principal, str) else "",
            action=action,
            collection=collection,
            categories=categories,
            purpose=purpose,
            environment=self.policy.environment,
            region=self.region,
            at=now,
        )
        if isinstance(actor, Token):
            scope = "admin" if action == "admin" else f"vault:{action}:{collection or '*'}"
            problem = token_problem(actor, scope, now)
            if problem is not None:
                return Decision(False, problem, request)
        return self.policy.decide(request)

    def token_principal(self, token: Token, scope: str, operation: str) -> str:
        """The principal of a live ``token`` holding ``scope``; otherwise a denial, audited, raised."""
        problem = token_problem(token, scope, self.clock.now())
        if problem is None:
            return token.principal
        resource = f"token:{token.token_id}"
        self.audit.append(AuditEntry(operation, token.principal, resource, "deny", rule=problem))
        if problem == "token-scope":
            raise AccessDenied("access denied")
        raise TokenExpired("token expired") if problem == "token-expired" else TokenInvalid()


def token_problem(token: Token, scope: str, now: datetime) -> str | None:
    """Why ``token`` may not act for ``scope`` now (the rule an audit entry names), or None."""
    if not token.active(now):
        return "token-revoked" if token.revoked_at is not None else "token-expired"
    return None if token.allows(scope) else "token-scope"


def _with(entry: AuditEntry, decision: str, rule: str) -> AuditEntry:
    return AuditEntry(
        entry.action,
        entry.actor,
        entry.resource,
        decision,
        entry.purpose,
        entry.subject,
        rule[:128],
        entry.request_id,
    )
