"""Decisions: deny by default, explicit deny wins, categories by prefix, elevations that expire."""

from __future__ import annotations

import random
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest

from veil._clock import FixedClock
from veil.access import (
    ACTIONS,
    DEFAULT_DENY,
    UNKNOWN_PRINCIPAL,
    AccessRequest,
    Decision,
    Policy,
    Principal,
    Rule,
)
from veil.access._decide import _decision

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ANY = frozenset({"*"})


def fs(*values: str) -> frozenset[str]:
    return frozenset(values)


def grant(name: str, **kw: object) -> Rule:
    return rule(name, "grant", **kw)


def deny(name: str, **kw: object) -> Rule:
    return rule(name, "deny", **kw)


def rule(name: str, effect: str, **kw: object) -> Rule:
    fields: dict[str, object] = {"roles": fs("support"), "actions": fs("read"), "purposes": fs("support")}
    fields.update({k: fs(*v) if isinstance(v, list) else v for k, v in kw.items()})
    return Rule(name, effect, **fields)  # type: ignore[arg-type]


PEOPLE = [
    Principal("svc", "service", fs("support")),
    Principal("ann", "person", fs("support", "analyst")),
    Principal("ops", "person", fs("analyst")),
]


def policy(*rules: Rule, environment: str | None = None) -> Policy:
    return Policy(PEOPLE, rules, environment=environment)


def ask(
    p: Policy, principal: str = "svc", action: str = "read", collection: str | None = "customers",
    categories: tuple[str, ...] = (), purpose: str | None = "support", *,
    environment: str | None = None, region: str | None = None, at: datetime = AT,
) -> Decision:
    request = AccessRequest(principal, action, collection, frozenset(categories), purpose,
                            environment=environment, region=region, at=at)
    return p.decide(request)


def said(decision: Decision) -> tuple[bool, str, str | None]:
    return decision.allowed, decision.rule, decision.category


# -- deny by default ----------------------------------------------------------------------
def test_nothing_is_allowed_without_a_grant() -> None:
    p = policy(grant("other-purpose", purposes=["billing"]))
    for action in ACTIONS:
        assert said(ask(p, action=action)) == (False, DEFAULT_DENY, None)


def test_an_unknown_principal_is_denied_by_name_even_under_a_wildcard_grant() -> None:
    p = policy(grant("everyone", roles=["*"], actions=["*"], purposes=["*"]))
    assert said(ask(p, principal="mallory")) == (False, UNKNOWN_PRINCIPAL, None)
    assert said(ask(p, principal="ops", action="admin")) == (True, "everyone", None)


def test_a_grant_applies_by_role_or_by_principal_id() -> None:
    p = policy(grant("by-id", roles=[], principals=["ops"]))
    assert ask(p, principal="ops").allowed
    assert not ask(p, principal="svc").allowed
    assert p.rules[0].applies_to(PEOPLE[2])
    assert not p.rules[0].applies_to(PEOPLE[0])


def test_principals_with_the_same_roles_still_differ_when_one_is_named() -> None:
    twin = Principal("twin", "service", fs("support"))
    p = Policy([PEOPLE[0], twin], [grant("named", roles=[], principals=["twin"])])
    assert (ask(p, principal="svc").allowed, ask(p, principal="twin").allowed) == (False, True)


def test_no_action_implies_another() -> None:
    p = policy(grant("admin", actions=["admin"]), grant("writes", actions=["write"]))
    assert {a for a in ACTIONS if ask(p, action=a)} == {"admin", "write"}


# -- what a rule matches ------------------------------------------------------------------------
def test_a_request_without_collection_or_purpose_matches_only_wildcards() -> None:
    named = policy(grant("named", collections=["customers"]))
    wild = policy(grant("wild", collections=["*"], purposes=["*"]))
    assert not ask(named, collection=None).allowed
    assert not ask(named, purpose=None).allowed
    assert said(ask(wild, collection=None, purpose=None)) == (True, "wild", None)
    assert said(ask(named, collection="customers")) == (True, "named", None)


def test_collections_and_purposes_must_be_listed() -> None:
    p = policy(grant("g", collections=["customers", "orders"], purposes=["support", "billing"]))
    assert ask(p, collection="orders", purpose="billing").allowed
    assert not ask(p, collection="invoices").allowed
    assert not ask(p, purpose="marketing").allowed


def test_environment_must_match_and_defaults_to_the_policys() -> None:
    p = policy(grant("prod-only", environment="prod"), environment="prod")
    assert ask(p).allowed  # a request without one is in the deployment's environment
    assert not ask(p, environment="dev").allowed
    assert not ask(policy(grant("prod-only", environment="prod"))).allowed


def test_region_matches_case_insensitively_and_a_regional_rule_needs_a_region() -> None:
    p = policy(grant("eu-only", region="EU"))
    assert ask(p, region="eu").allowed
    assert ask(p, region="Eu").allowed
    assert not ask(p, region="us").allowed
    assert not ask(p).allowed


# -- categories ---------------------------------------------------------------------------------
def test_a_category_covers_its_dotted_descendants_only() -> None:
    p = policy(grant("contact", categories=["user.contact"]))
    assert ask(p, categories=("user.contact",)).allowed
    assert ask(p, categories=("user.contact.email",)).allowed
    assert ask(p, categories=("user.contact.email.work",)).allowed
    assert said(ask(p, categories=("user.contactless",))) == (False, DEFAULT_DENY, "user.contactless")
    assert said(ask(p, categories=("user",))) == (False, DEFAULT_DENY, "user")


def test_every_category_must_be_covered_and_the_first_uncovered_is_named() -> None:
    p = policy(grant("contact", categories=["user.contact"]))
    decision = ask(p, categories=("user.health", "user.contact.email", "user.financial"))
    assert said(decision) == (False, DEFAULT_DENY, "user.financial")


def test_different_grants_may_cover_different_categories_and_are_all_named() -> None:
    p = policy(grant("health", categories=["user.health"]), grant("contact", categories=["user.contact"]),
               grant("contact-too", categories=["user.contact.email"]))
    decision = ask(p, categories=("user.health", "user.contact.email", "user.contact.phone"))
    assert said(decision) == (True, "contact+health", None)  # category order, first covering grant, distinct


def test_a_request_without_categories_needs_a_grant_for_any_category() -> None:
    assert not ask(policy(grant("contact", categories=["user.contact"]))).allowed
    assert said(ask(policy(grant("all", categories=["*"])))) == (True, "all", None)


def test_joined_rule_names_are_cut_at_128_characters() -> None:
    rules = [grant(f"grant-number-{i:02d}-" + "x" * 20, categories=[f"c{i:02d}"]) for i in range(10)]
    decision = ask(policy(*rules), categories=tuple(f"c{i:02d}" for i in range(10)))
    assert decision.allowed
    assert len(decision.rule) == 128
    assert decision.rule.startswith("grant-number-00-" + "x" * 20 + "+grant-number-01-")


# -- explicit deny wins ------------------------------------------------------------------------------
def test_an_explicit_deny_wins_over_any_grant() -> None:
    p = policy(grant("all", roles=["*"], actions=["*"], purposes=["*"]),
               deny("no-financial", roles=["*"], actions=["*"], purposes=["*"], categories=["user.financial"]))
    decision = ask(p, categories=("user.contact", "user.financial.card"))
    assert said(decision) == (False, "no-financial", "user.financial.card")
    assert said(ask(p, categories=("user.contact",))) == (True, "all", None)


def test_a_deny_with_specific_categories_ignores_requests_without_categories() -> None:
    p = policy(grant("all"), deny("no-financial", categories=["user.financial"]))
    assert said(ask(p)) == (True, "all", None)
    blanket = policy(grant("all"), deny("blanket"))
    assert said(ask(blanket)) == (False, "blanket", None)
    assert said(ask(blanket, categories=("b", "a"))) == (False, "blanket", "a")


def test_the_first_matching_deny_in_declaration_order_is_named() -> None:
    p = policy(grant("all"), deny("second", categories=["user.health"]), deny("first", categories=["user"]))
    assert ask(p, categories=("user.health",)).rule == "second"


def test_a_deny_applies_only_where_it_matches() -> None:
    p = policy(grant("all"), deny("dev-only", environment="dev"), environment="prod")
    assert ask(p).allowed
    assert said(ask(p, environment="dev")) == (False, "dev-only", None)


# -- time ---------------------------------------------------------------------------------------------
def test_an_elevation_works_until_it_expires_without_anyone_removing_it() -> None:
    clock = FixedClock(AT)
    expires = AT + timedelta(hours=4)
    p = policy(grant("incident-4711", roles=[], principals=["ops"], actions=["decrypt"],
                     purposes=["incident-response"], approver="ann", expires=expires))

    def now() -> Decision:
        return ask(p, principal="ops", action="decrypt", purpose="incident-response", at=clock.now())

    assert said(now()) == (True, "incident-4711", None)
    clock.advance(timedelta(hours=4) - timedelta(microseconds=1))
    assert now().allowed
    clock.advance(timedelta(microseconds=1))  # expires > at no longer holds
    assert said(now()) == (False, DEFAULT_DENY, None)


def test_an_expired_deny_is_ignored_too() -> None:
    p = policy(grant("all"), deny("freeze", expires=AT))
    assert said(ask(p, at=AT - timedelta(seconds=1))) == (False, "freeze", None)
    assert said(ask(p, at=AT)) == (True, "all", None)


# -- the decision itself ---------------------------------------------------------------------------
def test_every_decision_names_what_decided() -> None:
    rng = random.Random(11)
    rules = [grant(f"g{i}", categories=[rng.choice(["*", "a", "a.b", "c"])], actions=[rng.choice(ACTIONS)],
                   purposes=[rng.choice(["*", "support", "billing"])]) for i in range(20)]
    rules += [deny(f"d{i}", categories=[rng.choice(["a.b", "c"])], purposes=["*"], actions=["*"]) for i in range(3)]
    p = policy(*rules)
    names = {r.name for r in rules}
    for _ in range(500):
        decision = ask(p, principal=rng.choice(["svc", "ops", "ghost"]), action=rng.choice(ACTIONS),
                       categories=tuple(rng.sample(["a", "a.b", "a.b.c", "c", "d"], rng.randint(0, 3))),
                       purpose=rng.choice(["support", "billing", None]), at=AT)
        assert decision.rule
        if decision.allowed:
            assert set(decision.rule.split("+")) <= names
        else:
            assert decision.rule in names | {DEFAULT_DENY, UNKNOWN_PRINCIPAL}


def test_the_decision_carries_its_request_and_is_frozen() -> None:
    request = AccessRequest("svc", "read", "customers", fs(), "support", at=AT)
    decision = policy(grant("g")).decide(request)
    assert decision.request is request
    assert bool(decision) is True
    with pytest.raises(FrozenInstanceError):
        decision.allowed = False  # type: ignore[misc]


def test_the_fast_decision_equals_the_dataclass_one() -> None:
    request = AccessRequest("svc", "read", None, fs(), None, at=AT)
    made = _decision(False, "r", request, "c")
    assert made == Decision(False, "r", request, "c")
    assert type(made) is Decision
    assert repr(made) == "Decision(allowed=False, rule='r', category='c')"
