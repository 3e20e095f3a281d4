"""Cedar as a test oracle: random policies translated to Cedar must decide as Veil does.

The translation: principal ``Principal::"id"`` in ``Role::"r"`` (and in ``Role::"__any__"``,
which stands for roles = ["*"]); action ``Action::"read"``; resource ``Collection::"c"`` or
``Collection::"__none__"``; context ``{purpose, environment, region, now, category}`` with
``""`` for a missing purpose, environment or region and ``now`` in epoch seconds.
Categories are entities whose parents follow the dotted taxonomy, so that
``context.category in [Category::"user.contact"]`` covers ``user.contact.email``. Cedar
cannot quantify over a set with a hierarchy, so Veil's decision for categories S is
compared with the AND over c in S of Cedar's decision for the single-category request; an
empty S asks once with ``Category::"__none__"``, which only rules with categories "*" match.
Beyond allow/deny, the rule Veil names must be among the policies Cedar says determined
the answer, and Cedar must report no evaluation errors.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

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

cedarpy = pytest.importorskip("cedarpy")

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NONE = "__none__"


# -- the translation ---------------------------------------------------------------------------
def entity(kind: str, id: str) -> str:
    return f"{kind}::{json.dumps(id)}"


def cedar_rule(rule: Rule) -> str:
    if "*" in rule.roles:
        who = [entity("Role", "__any__")]
    else:
        who = [entity("Role", r) for r in sorted(rule.roles)] + [entity("Principal", p) for p in sorted(rule.principals)]
    when = [f"principal in [{', '.join(who)}]"]
    if "*" not in rule.actions:
        when.append(f"action in [{', '.join(entity('Action', a) for a in sorted(rule.actions))}]")
    if "*" not in rule.collections:
        when.append(f"resource in [{', '.join(entity('Collection', c) for c in sorted(rule.collections))}]")
    if "*" not in rule.purposes:
        when.append(f"{json.dumps(sorted(rule.purposes))}.contains(context.purpose)")
    if rule.environment is not None:
        when.append(f"context.environment == {json.dumps(rule.environment)}")
    if rule.region is not None:
        when.append(f"context.region == {json.dumps(rule.region.lower())}")
    if rule.expires is not None:
        when.append(f"context.now < {int(rule.expires.timestamp())}")
    if "*" not in rule.categories:
        when.append(f"context.category in [{', '.join(entity('Category', c) for c in sorted(rule.categories))}]")
    effect = "forbid" if rule.effect == "deny" else "permit"
    return f"@id({json.dumps(rule.name)})\n{effect}(principal, action, resource) when {{ {' && '.join(when)} }};"


def cedar_policies(policy: Policy) -> str:
    return "\n".join(cedar_rule(rule) for rule in policy.rules)


def uid(kind: str, id: str) -> dict[str, str]:
    return {"type": kind, "id": id}


def cedar_entities(policy: Policy, categories: set[str]) -> list[dict[str, Any]]:
    """Principals in their roles, and every category with its dotted ancestors."""
    out = [
        {"uid": uid("Principal", p.id), "attrs": {},
         "parents": [uid("Role", "__any__"), *(uid("Role", r) for r in sorted(p.roles))]}
        for p in policy.principals.values()
    ]
    named = categories | {c for rule in policy.rules for c in rule.categories if c != "*"}
    closure = {".".join(c.split(".")[: n + 1]) for c in named for n in range(c.count(".") + 1)}
    for c in sorted(closure):
        parents = [uid("Category", c.rsplit(".", 1)[0])] if "." in c else []
        out.append({"uid": uid("Category", c), "attrs": {}, "parents": parents})
    return out


def cedar_requests(policy: Policy, request: AccessRequest) -> list[tuple[str, dict[str, Any]]]:
    """(category, Cedar request) for each category in order, or for ``__none__`` alone."""
    environment = request.environment if request.environment is not None else policy.environment
    context = {"purpose": request.purpose or "", "environment": environment or "",
               "region": (request.region or "").lower(), "now": int(request.at.timestamp())}
    return [
        (c, {"principal": entity("Principal", request.principal), "action": entity("Action", request.action),
             "resource": entity("Collection", request.collection or NONE),
             "context": {**context, "category": {"__entity": uid("Category", c)}}})
        for c in sorted(request.categories) or [NONE]
    ]


class Oracle:
    """One policy in Cedar: its answer for each category of a request, with the policies behind it."""

    def __init__(self, policy: Policy, requests: Sequence[AccessRequest]) -> None:
        self.policy = policy
        self.policies = cedarpy.PolicySet.from_str(cedar_policies(policy))
        categories = {c for r in requests for c in r.categories}
        self.entities = cedarpy.Entities.from_json_str(json.dumps(cedar_entities(policy, categories)))

    def answers(self, requests: Sequence[AccessRequest]) -> list[list[tuple[str, bool, set[str]]]]:
        asked = [self.policies_for(r) for r in requests]
        flat = [q for per in asked for _, q in per]
        results = iter(cedarpy.is_authorized_batch(flat, self.policies, self.entities))
        out = []
        for per in asked:
            row = []
            for category, _ in per:
                result = next(results)
                assert result.diagnostics.errors == [], result.diagnostics.errors
                names = result.diagnostics.id_annotations_by_reason
                row.append((category, bool(result.allowed), {names[r] for r in result.diagnostics.reasons}))
            out.append(row)
        return out

    def policies_for(self, request: AccessRequest) -> list[tuple[str, dict[str, Any]]]:
        return cedar_requests(self.policy, request)


def agree(decision: Decision, cedar: list[tuple[str, bool, set[str]]]) -> str | None:
    """Why Veil's decision and Cedar's per-category answers disagree, or None."""
    allowed = all(ok for _, ok, _ in cedar)
    if decision.allowed != allowed:
        return f"veil {decision.allowed}, cedar {[(c, ok) for c, ok, _ in cedar]}"
    by_category = {c: (ok, why) for c, ok, why in cedar}
    if decision.allowed:
        behind = set().union(*(why for _, _, why in cedar))
        return None if set(decision.rule.split("+")) <= behind else f"veil named {decision.rule}, cedar {behind}"
    if decision.rule == UNKNOWN_PRINCIPAL:
        return None if not any(ok or why for _, ok, why in cedar) else "cedar knows the unknown principal"
    ok, why = by_category[decision.category or NONE]
    if ok:
        return f"veil denied category {decision.category}, which cedar allows"
    if decision.rule == DEFAULT_DENY:
        return None if not why else f"veil said {decision.rule}, cedar forbids by {why}"
    return None if decision.rule in why else f"veil denied by {decision.rule}, cedar by {why}"


# -- hand-written cases: the oracle itself is right ----------------------------------------------------
PEOPLE = [Principal("svc", "service", frozenset({"support"})), Principal("ops", "person", frozenset())]
SUPPORT = Rule("support-reads-contact", "grant", roles=frozenset({"support"}), actions=frozenset({"read"}),
               collections=frozenset({"customers"}), categories=frozenset({"user.contact"}),
               purposes=frozenset({"support"}), region="EU")
NO_DEV = Rule("no-contact-in-dev", "deny", roles=frozenset({"*"}), actions=frozenset({"*"}),
              categories=frozenset({"user.contact.phone"}), purposes=frozenset({"*"}), environment="dev")


def cedar_says(policy: Policy, request: AccessRequest) -> list[tuple[str, bool, set[str]]]:
    return Oracle(policy, [request]).answers([request])[0]


def support_request(*categories: str, **kw: Any) -> AccessRequest:
    fields: dict[str, Any] = {"region": "eu", "at": NOW, **kw}
    return AccessRequest("svc", "read", "customers", frozenset(categories), "support", **fields)


def test_the_translation_of_a_rule_reads_as_written() -> None:
    assert cedar_rule(SUPPORT) == (
        '@id("support-reads-contact")\npermit(principal, action, resource) when { '
        'principal in [Role::"support"] && action in [Action::"read"] && resource in [Collection::"customers"] '
        '&& ["support"].contains(context.purpose) && context.region == "eu" '
        '&& context.category in [Category::"user.contact"] };'
    )


def test_cedar_allows_a_known_allow_through_the_category_hierarchy() -> None:
    policy = Policy(PEOPLE, [SUPPORT, NO_DEV], environment="prod")
    request = support_request("user.contact.email")
    assert cedar_says(policy, request) == [("user.contact.email", True, {"support-reads-contact"})]
    assert policy.decide(request).allowed


def test_cedar_forbids_a_known_deny_and_names_the_deny() -> None:
    policy = Policy(PEOPLE, [SUPPORT, NO_DEV], environment="prod")
    request = support_request("user.contact.email", "user.contact.phone", environment="dev")
    assert cedar_says(policy, request) == [
        ("user.contact.email", True, {"support-reads-contact"}),
        ("user.contact.phone", False, {"no-contact-in-dev"}),
    ]
    assert (policy.decide(request).rule, policy.decide(request).category) == ("no-contact-in-dev", "user.contact.phone")


def test_cedar_denies_by_default_outside_the_hierarchy_and_for_unknown_principals() -> None:
    policy = Policy(PEOPLE, [SUPPORT])
    assert cedar_says(policy, support_request("user.contactless")) == [("user.contactless", False, set())]
    assert cedar_says(policy, support_request("user.contact", region="us")) == [("user.contact", False, set())]
    ghost = AccessRequest("ghost", "read", "customers", frozenset({"user.contact"}), "support", region="eu", at=NOW)
    assert cedar_says(policy, ghost) == [("user.contact", False, set())]


def test_only_wildcard_category_rules_match_the_none_category() -> None:
    anything = Rule("anything", "grant", roles=frozenset({"support"}), actions=frozenset({"read"}),
                    purposes=frozenset({"*"}))
    assert cedar_says(Policy(PEOPLE, [SUPPORT]), support_request()) == [(NONE, False, set())]
    assert cedar_says(Policy(PEOPLE, [SUPPORT, anything]), support_request()) == [(NONE, True, {"anything"})]


def test_cedar_stops_an_elevation_at_its_expiry_second() -> None:
    elevation = Rule("incident", "grant", principals=frozenset({"ops"}), actions=frozenset({"decrypt"}),
                     purposes=frozenset({"incident"}), approver="svc", expires=NOW + timedelta(hours=1))
    policy = Policy(PEOPLE, [elevation])

    def request(at: datetime) -> AccessRequest:
        return AccessRequest("ops", "decrypt", None, frozenset(), "incident", at=at)

    assert cedar_says(policy, request(NOW + timedelta(minutes=59, seconds=59))) == [(NONE, True, {"incident"})]
    assert cedar_says(policy, request(NOW + timedelta(hours=1))) == [(NONE, False, set())]


def test_the_oracle_catches_a_wrong_answer() -> None:
    request = support_request("user.contact")
    wrong = Decision(False, DEFAULT_DENY, request, "user.contact")
    assert agree(wrong, [("user.contact", True, {"support-reads-contact"})]) is not None
    misnamed = Decision(True, "other", request)
    assert agree(misnamed, [("user.contact", True, {"support-reads-contact"})]) is not None


# -- random policies -------------------------------------------------------------------------------
ROLES = ("r1", "r2", "r3", "r4")
IDS = ("p1", "p2", "p3", "p4", "p5")
COLLECTIONS = ("c1", "c2", "c3")
CATEGORIES = ("a", "a.b", "a.b.c", "a.d", "e", "e.f")
PURPOSES = ("u1", "u2", "u3")
ENVIRONMENTS = ("dev", "prod")
REGIONS = ("eu", "us")
OFFSETS = (-60, -1, 0, 1, 60)  # seconds around NOW: expiries land on request instants


def choose(rng: random.Random, pool: Sequence[str], wildcard: float, most: int = 2) -> frozenset[str]:
    if rng.random() < wildcard:
        return frozenset({"*"})
    return frozenset(rng.sample(pool, rng.randint(1, min(most, len(pool)))))


def random_policy(rng: random.Random) -> Policy:
    people = [Principal(i, rng.choice(("service", "person")), frozenset(rng.sample(ROLES, rng.randint(0, 2))))
              for i in IDS]
    rules = [random_rule(rng, n) for n in range(rng.randint(1, 30))]
    return Policy(people, rules, environment=rng.choice((None, "prod", "dev")), roles={r: "" for r in ROLES})


def random_rule(rng: random.Random, n: int) -> Rule:
    effect = "deny" if rng.random() < 0.25 else "grant"
    by_id = rng.random() < 0.3
    expires = NOW + timedelta(seconds=rng.choice(OFFSETS)) if rng.random() < 0.2 else None
    return Rule(
        f"{effect}-{n}", effect,  # type: ignore[arg-type]
        roles=frozenset() if by_id else choose(rng, ROLES, 0.15),
        principals=frozenset(rng.sample(IDS, rng.randint(1, 2))) if by_id else frozenset(),
        actions=choose(rng, ACTIONS, 0.3, 4), collections=choose(rng, COLLECTIONS, 0.4),
        categories=choose(rng, CATEGORIES, 0.4, 3), purposes=choose(rng, PURPOSES, 0.4),
        environment=rng.choice(ENVIRONMENTS) if rng.random() < 0.25 else None,
        region=rng.choice((*REGIONS, "EU")) if rng.random() < 0.25 else None,
        approver="approver" if expires is not None and effect == "grant" else None, expires=expires,
    )


def random_request(rng: random.Random) -> AccessRequest:
    return AccessRequest(
        "ghost" if rng.random() < 0.05 else rng.choice(IDS), rng.choice(ACTIONS),
        rng.choice((*COLLECTIONS, *COLLECTIONS, None, "c9")),
        frozenset(rng.sample((*CATEGORIES, "a.b.z", "ab", "z"), rng.choice((0, 1, 1, 2, 3)))),
        rng.choice((*PURPOSES, *PURPOSES, None, "u9")),
        environment=rng.choice((None, None, *ENVIRONMENTS, "qa")),
        region=rng.choice((None, *REGIONS, "EU", "apac")),
        at=NOW + timedelta(seconds=rng.choice(OFFSETS)),
    )


@pytest.mark.parametrize("chunk", range(6))
def test_random_policies_decide_as_cedar_does(chunk: int) -> None:
    """300 seeded policies of 1..30 rules, 30 requests each (six chunks of 50 policies)."""
    allowed = total = 0
    for seed in range(chunk * 50, chunk * 50 + 50):
        rng = random.Random(seed)
        policy = random_policy(rng)
        requests = [random_request(rng) for _ in range(30)]
        for request, cedar in zip(requests, Oracle(policy, requests).answers(requests), strict=True):
            decision = policy.decide(request)
            problem = agree(decision, cedar)
            assert problem is None, f"seed {seed}: {request}: {decision}: {problem}\n{cedar_policies(policy)}"
            allowed += decision.allowed
            total += 1
    assert 0.05 < allowed / total < 0.95  # the cases are not all one answer
