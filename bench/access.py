"""Access decision benchmark: ``Policy.decide`` at 1,000 grants, and cedarpy on the same policy.

    .venv/bin/python bench/access.py                   # 200k Veil, 5k Cedar decisions (~30 s)
    .venv/bin/python bench/access.py --quick           # smoke sizes
    .venv/bin/python bench/access.py --output bench/results/access.json

Builds a seeded random policy (1,000 grants over 100 roles and 50 collections, plus 10
denies and 10 elevations; 300 principals) and seeded random requests, half of them
aimed at a grant (its principal, action, collection, purpose and mostly one of its
categories) so that about two in five are allowed. The process is pinned to one CPU.
Each decision is timed on its own with ``time.perf_counter_ns`` (the timer's own cost
is reported apart, not subtracted; building the ``AccessRequest`` is not included and
is reported apart too). The same policy is translated to Cedar and every Cedar-timed request is also checked
for the same answer: Veil's decision for categories S is the AND over c in S of Cedar's
decision for the single-category request (an empty S asks once, with the category
``Category::"__none__"``). Prints one JSON object; exits 1 when the answers differ.
Self-contained: imports veil and cedarpy, nothing else of the repository, no database.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import cedarpy

from veil.access import ACTIONS, AccessRequest, Policy, Principal, Rule

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import percentiles, pin_one_cpu

P50_TARGET_US = 5.0
P99_TARGET_US = 20.0
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ENVIRONMENTS = ("prod", "staging", "dev")
REGIONS = ("eu", "us", "apac")
PURPOSES = (
    "support",
    "billing",
    "fraud",
    "analytics",
    "training",
    "marketing",
    "legal",
    "ops",
    "research",
    "qa",
)
CATEGORIES = (
    "user.contact",
    "user.contact.email",
    "user.contact.phone",
    "user.contact.address",
    "user.financial",
    "user.financial.card",
    "user.financial.bank",
    "user.health",
    "user.identity",
    "user.identity.name",
    "user.identity.national_id",
    "user.location",
    "user.location.precise",
    "user.behavior",
    "user.behavior.purchase",
    "system.device",
    "system.network.ip",
    "user",
    "system",
)
LEAVES = tuple(c for c in CATEGORIES if not any(o.startswith(c + ".") for o in CATEGORIES))


# -- the policy and the requests ----------------------------------------------------
def some(rng: random.Random, pool: Sequence[str], most: int, wildcard: float) -> frozenset[str]:
    return frozenset({"*"}) if rng.random() < wildcard else frozenset(rng.sample(pool, rng.randint(1, most)))


def make_rules(
    rng: random.Random, grants: int = 1000, roles: int = 100, collections: int = 50
) -> tuple[list[Principal], list[Rule]]:
    role_names = [f"role-{i:03d}" for i in range(roles)]
    coll_names = [f"coll-{i:02d}" for i in range(collections)]
    people = [
        Principal(
            f"p-{i:03d}",
            rng.choice(("service", "person")),
            frozenset(rng.sample(role_names, rng.randint(1, 3))),
        )
        for i in range(300)
    ]
    rules: list[Rule] = []
    for i in range(grants + 20):
        kind = "grant" if i < grants else "deny" if i < grants + 10 else "elevation"
        expires = NOW + timedelta(hours=rng.choice((-2, 2))) if kind == "elevation" else None
        rules.append(
            Rule(
                f"{kind}-{i:04d}",
                "deny" if kind == "deny" else "grant",
                roles=frozenset()
                if kind == "elevation"
                else some(rng, role_names, 2, 0.01 if kind == "grant" else 0.3),
                principals=frozenset({rng.choice(people).id}) if kind == "elevation" else frozenset(),
                actions=some(rng, ACTIONS, 3, 0.05),
                collections=some(rng, coll_names, 3, 0.05),
                categories=some(rng, CATEGORIES, 3, 0.1),
                purposes=some(rng, PURPOSES, 2, 0.05 if kind == "grant" else 0.5),
                environment=rng.choice(ENVIRONMENTS) if rng.random() < 0.3 else None,
                region=rng.choice(REGIONS) if rng.random() < 0.2 else None,
                approver="approver" if kind == "elevation" else None,
                expires=expires,
            )
        )
    return people, rules


def pick(rng: random.Random, values: frozenset[str], pool: Sequence[str]) -> str:
    return rng.choice(pool) if "*" in values else rng.choice(sorted(values))


def make_requests(rng: random.Random, policy: Policy, n: int) -> list[AccessRequest]:
    ids = sorted(policy.principals)
    collections = sorted({c for r in policy.rules for c in r.collections} - {"*"})
    grants = [r for r in policy.rules if r.effect == "grant"]
    holders = {r.name: [p for p in ids if r.applies_to(policy.principals[p])] or ids for r in grants}
    out = []
    for _ in range(n):
        categories = frozenset(rng.sample(LEAVES, rng.choice((0, 1, 1, 1, 2, 2, 3))))
        region = rng.choice((*REGIONS, "EU", None))
        if rng.random() < 0.5:  # aimed at a grant: its principal, action, collection, purpose, a category
            rule = rng.choice(grants)
            mine = frozenset({pick(rng, rule.categories, CATEGORIES)}) if rng.random() < 0.8 else categories
            out.append(
                AccessRequest(
                    rng.choice(holders[rule.name]),
                    pick(rng, rule.actions, ACTIONS),
                    pick(rng, rule.collections, collections),
                    mine,
                    pick(rng, rule.purposes, PURPOSES),
                    environment=rule.environment,
                    region=rule.region or region,
                    at=NOW,
                )
            )
            continue
        out.append(
            AccessRequest(
                "p-unknown" if rng.random() < 0.01 else rng.choice(ids),
                rng.choice(ACTIONS),
                None if rng.random() < 0.05 else rng.choice(collections),
                categories,
                None if rng.random() < 0.05 else rng.choice(PURPOSES),
                environment=rng.choice((None, None, None, *ENVIRONMENTS)),
                region=region,
                at=NOW,
            )
        )
    return out


# -- the same policy in Cedar ---------------------------------------------------------
def entity(kind: str, id: str) -> str:
    return f"{kind}::{json.dumps(id)}"


def cedar_rule(rule: Rule) -> str:
    who = (
        ['Role::"__any__"']
        if "*" in rule.roles
        else (
            [entity("Role", r) for r in sorted(rule.roles)]
            + [entity("Principal", p) for p in sorted(rule.principals)]
        )
    )
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
        when.append(
            f"context.category in [{', '.join(entity('Category', c) for c in sorted(rule.categories))}]"
        )
    effect = "forbid" if rule.effect == "deny" else "permit"
    return (
        f"@id({json.dumps(rule.name)})\n{effect}(principal, action, resource) when {{ {' && '.join(when)} }};"
    )


def cedar_entities(policy: Policy, categories: set[str]) -> list[dict[str, Any]]:
    def uid(kind: str, id: str) -> dict[str, str]:
        return {"type": kind, "id": id}

    out = [
        {
            "uid": uid("Principal", p.id),
            "attrs": {},
            "parents": [uid("Role", "__any__")] + [uid("Role", r) for r in sorted(p.roles)],
        }
        for p in policy.principals.values()
    ]
    named = categories | {c for r in policy.rules for c in r.categories if c != "*"}
    closure = {".".join(c.split(".")[: n + 1]) for c in named for n in range(c.count(".") + 1)}
    out += [
        {
            "uid": uid("Category", c),
            "attrs": {},
            "parents": [uid("Category", c.rsplit(".", 1)[0])] if "." in c else [],
        }
        for c in sorted(closure)
    ]
    return out


def cedar_requests(policy: Policy, request: AccessRequest) -> list[dict[str, Any]]:
    """One Cedar request per category (the category ``__none__`` when there is none)."""
    environment = request.environment if request.environment is not None else policy.environment
    context = {
        "purpose": request.purpose or "",
        "environment": environment or "",
        "region": (request.region or "").lower(),
        "now": int(request.at.timestamp()),
    }
    return [
        {
            "principal": entity("Principal", request.principal),
            "action": entity("Action", request.action),
            "resource": entity("Collection", request.collection or "__none__"),
            "context": {**context, "category": {"__entity": {"type": "Category", "id": c}}},
        }
        for c in sorted(request.categories) or ["__none__"]
    ]


# -- timing -----------------------------------------------------------------------------


def time_each(
    items: Sequence[Any], call: Callable[[Any], Any], keep: Callable[[Any], Any] = bool
) -> tuple[list[int], list[Any]]:
    """Each call timed alone; ``keep`` (outside the timing) keeps little, so the heap stays as it was."""
    clock = time.perf_counter_ns
    samples, results = [0] * len(items), [None] * len(items)
    gc.collect()
    for i, item in enumerate(items):
        start = clock()
        result = call(item)
        samples[i] = clock() - start
        results[i] = keep(result)
    return samples, results


def cedar_decide(ps: Any, es: Any) -> Callable[[list[dict[str, Any]]], bool]:
    def decide(requests: list[dict[str, Any]]) -> bool:
        return all(cedarpy.is_authorized(r, ps, es).allowed for r in requests)  # stops at the first deny

    return decide


def run(decisions: int, cedar_decisions: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    pinned = pin_one_cpu()
    people, rules = make_rules(rng)
    started = time.perf_counter()
    policy = Policy(people, rules, environment="prod")
    compile_s = time.perf_counter() - started
    requests = make_requests(rng, policy, decisions)
    time_each(requests[: decisions // 10], policy.decide)  # warm up
    overhead, _ = time_each(requests, lambda r: None)
    samples, veil = time_each(requests, policy.decide)
    built, _ = time_each(
        requests[:20_000],
        lambda r: AccessRequest(
            r.principal,
            r.action,
            r.collection,
            r.categories,
            r.purpose,
            environment=r.environment,
            region=r.region,
            at=r.at,
        ),
    )

    sample = requests[:cedar_decisions]
    policies = cedarpy.PolicySet.from_str("\n".join(cedar_rule(r) for r in policy.rules))
    entities = cedarpy.Entities.from_json_str(
        json.dumps(cedar_entities(policy, {c for r in sample for c in r.categories}))
    )
    cedar_in = [cedar_requests(policy, r) for r in sample]
    cedar_samples, cedar = time_each(cedar_in, cedar_decide(policies, entities))
    calls = sum(len(c) for c in cedar_in)
    mismatches = [i for i, (allowed, ok) in enumerate(zip(veil, cedar, strict=False)) if allowed != ok]
    ours = percentiles(samples)
    return {
        "benchmark": "access",
        "seed": seed,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "cedarpy": version("cedarpy"),
            "pinned_cpu": pinned,
        },
        "policy": {
            "grants": sum(r.effect == "grant" and not r.elevation for r in policy.rules),
            "denies": sum(r.effect == "deny" for r in policy.rules),
            "elevations": sum(r.elevation for r in policy.rules),
            "roles": 100,
            "collections": 50,
            "principals": len(policy.principals),
            "compile_ms": round(compile_s * 1000, 1),
        },
        "veil": {**ours, "allowed_rate": round(sum(veil) / len(veil), 3)},
        "timer_overhead": percentiles(overhead),
        "access_request_construction": percentiles(built),
        "cedar": {
            **percentiles(cedar_samples),
            "is_authorized_calls": calls,
            "note": "per Veil request: one is_authorized call per category, stopping at the first deny",
        },
        "agreement": {"checked": len(sample), "mismatches": len(mismatches), "first": mismatches[:5]},
        "targets": {
            "p50_us": P50_TARGET_US,
            "p99_us": P99_TARGET_US,
            "ok": ours["p50_us"] <= P50_TARGET_US and ours["p99_us"] <= P99_TARGET_US,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000, help="Veil decisions to time (>= 100k)")
    parser.add_argument("--cedar-decisions", type=int, default=5_000, help="Cedar-decided requests to time")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="smoke sizes: 5,000 and 500")
    parser.add_argument("--output", type=Path, help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    decisions, cedar_n = (5_000, 500) if args.quick else (args.decisions, args.cedar_decisions)
    result = run(decisions, min(cedar_n, decisions), args.seed)
    text = json.dumps(result, indent=2)
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")
    return 1 if result["agreement"]["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
