"""Reading the ``[access]`` table of veil.toml: the model it builds and every refusal, word for word."""

from __future__ import annotations

import tomllib
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import veil.access
from veil.access import ACTIONS, AccessRequest, Policy, Principal, Rule
from veil.errors import ConfigError, InvalidInput

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

EXAMPLE = """\
[access]
environment = "prod"

[access.roles]
support = "support agents"
oncall = "incident responders"

[[access.principals]]
id = "svc-support"
kind = "service"
roles = ["support"]

[[access.principals]]
id = "alice"
kind = "person"
roles = ["oncall"]

[[access.principals]]
id = "bob"
kind = "person"

[[access.grants]]
name = "support-reads-contact"
roles = ["support"]
actions = ["read", "decrypt"]
collections = ["customers"]
categories = ["user.contact"]
purposes = ["support"]
environment = "prod"
region = "eu"

[[access.denies]]
name = "no-financial-in-dev"
roles = ["*"]
actions = ["*"]
categories = ["user.financial"]
environment = "dev"

[[access.elevations]]
name = "incident-4711"
principals = ["alice"]
actions = ["decrypt"]
collections = ["customers"]
purposes = ["incident-response"]
approver = "bob"
expires = 2026-12-02T10:00:00Z
"""

# A principal and a grant to hang a broken key on: (TOML, expected message).
BASE = '[[access.principals]]\nid = "p"\nkind = "service"\nroles = ["r"]\n'
GRANT = '[[access.grants]]\nname = "g"\nroles = ["r"]\nactions = ["read"]\npurposes = ["*"]\n'


def parse(text: str, source: str = "veil.toml") -> Policy:
    return Policy.from_mapping(tomllib.loads(text), source=source)


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    return caught.value.message


def test_the_documented_example_parses_into_typed_rules() -> None:
    policy = parse(EXAMPLE)
    assert policy.environment == "prod"
    assert policy.roles == {"support": "support agents", "oncall": "incident responders"}
    assert policy.principal("svc-support") == Principal("svc-support", "service", frozenset({"support"}))
    assert policy.principal("nobody") is None
    assert sorted(policy.principals) == ["alice", "bob", "svc-support"]
    assert [r.name for r in policy.rules] == ["support-reads-contact", "no-financial-in-dev", "incident-4711"]
    grant, deny, elevation = policy.rules
    assert grant == Rule(
        "support-reads-contact", "grant", roles=frozenset({"support"}), actions=frozenset({"read", "decrypt"}),
        collections=frozenset({"customers"}), categories=frozenset({"user.contact"}),
        purposes=frozenset({"support"}), environment="prod", region="eu",
    )
    assert (deny.effect, deny.purposes, deny.collections) == ("deny", frozenset({"*"}), frozenset({"*"}))
    assert elevation.elevation
    assert not grant.elevation
    assert (elevation.approver, elevation.expires) == ("bob", datetime(2026, 12, 2, 10, 0, tzinfo=UTC))
    assert elevation.categories == frozenset({"*"})


def test_elevation_expiry_may_be_an_rfc3339_string() -> None:
    text = EXAMPLE.replace("expires = 2026-12-02T10:00:00Z", 'expires = "2026-12-02T12:00:00+02:00"')
    assert parse(text).rules[2].expires == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def test_a_missing_access_table_is_a_policy_that_denies_everything() -> None:
    policy = Policy.from_mapping({"collections": {}}, source="veil.toml")
    assert (dict(policy.principals), policy.rules, policy.environment) == ({}, (), None)
    decision = policy.decide(AccessRequest("anyone", "read", "c", frozenset(), "p", at=AT))
    assert (decision.allowed, decision.rule) == (False, "unknown-principal")


def test_deny_all_has_no_principals_and_no_rules() -> None:
    policy = Policy.deny_all()
    assert (len(policy.principals), policy.rules) == (0, ())
    assert not policy.decide(AccessRequest("x", "admin", None, frozenset(), None, at=AT)).allowed


def test_roles_come_from_principals_when_access_roles_is_absent() -> None:
    policy = parse("[access]\n" + BASE + GRANT)
    assert policy.roles == {}
    assert policy.rules[0].roles == frozenset({"r"})


def test_the_source_names_the_file_in_every_message() -> None:
    with pytest.raises(ConfigError, match=r"^deploy/veil\.toml: access\.grants\[0\]\.actions: "):
        parse("[access]\n" + BASE + GRANT.replace('"read"', '"raed"'), source="deploy/veil.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE + GRANT.replace('["read"]', '["read", "raed"]'),
         "veil.toml: access.grants[0].actions: unknown action 'raed' (one of read, write, export, erase, decrypt, admin)"),
        (BASE + GRANT + GRANT.replace('"g"', '"h"').replace('"read"', '"admln"'),
         "veil.toml: access.grants[1].actions: unknown action 'admln' (one of read, write, export, erase, decrypt, admin)"),
        (BASE + GRANT.replace('actions = ["read"]\n', ""),
         'veil.toml: access.grants[0].actions: required: list the actions (one of read, write, export, erase, decrypt, admin), or ["*"] for all'),
        (BASE + GRANT.replace('["read"]', "[]"),
         'veil.toml: access.grants[0].actions: must not be empty (["*"] means any)'),
        (BASE + GRANT.replace('purposes = ["*"]\n', ""),
         'veil.toml: access.grants[0].purposes: required: list the purposes, or ["*"] for any'),
        (BASE + GRANT.replace('roles = ["r"]\nactions', 'roles = ["suport"]\nactions'),
         "veil.toml: access.grants[0].roles: undefined role 'suport': declare it under [access.roles] or give it to a principal"),
        (BASE + GRANT.replace('roles = ["r"]\nactions', 'principals = ["carol"]\nactions'),
         "veil.toml: access.grants[0].principals: undefined principal 'carol': add it under [[access.principals]]"),
        (BASE + GRANT.replace('roles = ["r"]\nactions', "actions"),
         "veil.toml: access.grants[0]: names no one: add roles = [...] and/or principals = [...]"),
        (BASE + GRANT + GRANT,
         "veil.toml: access.grants[1].name: duplicate rule name 'g': rename one (names are unique across all rules)"),
        (BASE + GRANT + GRANT.replace("grants", "denies"),
         "veil.toml: access.denies[0].name: duplicate rule name 'g': rename one (names are unique across all rules)"),
        (BASE + BASE,
         "veil.toml: access.principals[1].id: duplicate principal id 'p'"),
        (BASE.replace('"service"', '"robot"'),
         'veil.toml: access.principals[0].kind: must be "service" or "person"'),
        (BASE.replace('id = "p"', 'id = "p q"'),
         "veil.toml: access.principals[0].id: 'p q' is not an id (letters, digits and . _ : -, at most 128)"),
        (BASE.replace('id = "p"\n', ""),
         "veil.toml: access.principals[0]: needs an id"),
        (BASE + GRANT.replace('name = "g"', 'name = "g/1"'),
         "veil.toml: access.grants[0].name: 'g/1' is not an id (letters, digits and . _ : -, at most 128)"),
        (BASE + GRANT.replace('name = "g"\n', ""),
         "veil.toml: access.grants[0]: needs a name"),
        (BASE + GRANT + 'categories = ["user..contact"]\n',
         "veil.toml: access.grants[0].categories: 'user..contact' is not a category (dotted names like user.contact)"),
        (BASE + GRANT + 'collections = "customers"\n',
         "veil.toml: access.grants[0].collections: must be a list of strings"),
        (BASE + GRANT + 'expires = 2026-12-02T10:00:00Z\n',
         "veil.toml: access.grants[0]: unknown key 'expires' (allowed: actions, categories, collections, environment, name, principals, purposes, region, roles)"),
        (BASE + GRANT + 'colections = ["c"]\n',
         "veil.toml: access.grants[0]: unknown key 'colections' (allowed: actions, categories, collections, environment, name, principals, purposes, region, roles)"),
        (BASE.replace('roles = ["r"]', 'roles = ["r"]\nteam = "x"'),
         "veil.toml: access.principals[0]: unknown key 'team' (allowed: id, kind, roles)"),
        ('policies = []\n',
         "veil.toml: access: unknown key 'policies' (allowed: denies, elevations, environment, grants, principals, roles)"),
        ('[access.grants]\nname = "g"\n',
         "veil.toml: access.grants: must be an array of tables: write [[access.grants]]"),
        ('roles = ["r"]\n',
         'veil.toml: access.roles: must be a table of role = "description"'),
        ('[access.roles]\nother = "another role"\n' + BASE,
         "veil.toml: access.principals[0].roles: undefined role 'r': declare it under [access.roles] or give it to a principal"),
        ('environment = "prod env"\n',
         "veil.toml: access.environment: 'prod env' is not an id (letters, digits and . _ : -, at most 128)"),
    ],
)
def test_every_config_error_names_the_file_the_key_and_what_to_do(text: str, message: str) -> None:
    assert refusal(text if text.startswith("[access.") else "[access]\n" + text) == message


ELEVATION = """\
[[access.principals]]
id = "alice"
kind = "person"
roles = ["oncall"]

[[access.principals]]
id = "bob"
kind = "person"
roles = ["oncall"]

[[access.elevations]]
name = "e"
principals = ["alice"]
actions = ["decrypt"]
purposes = ["incident"]
approver = "bob"
expires = 2026-12-02T10:00:00Z
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('approver = "bob"\n', "",
         "veil.toml: access.elevations[0].approver: required: who approved this elevation"),
        ("expires = 2026-12-02T10:00:00Z\n", "",
         "veil.toml: access.elevations[0].expires: required: when it ends, e.g. 2026-12-02T10:00:00Z"),
        ('approver = "bob"', 'approver = "alice"',
         "veil.toml: access.elevations[0].approver: 'alice' is elevated by this rule: another person must approve"),
        ('principals = ["alice"]', 'roles = ["oncall"]',
         "veil.toml: access.elevations[0].approver: 'bob' is elevated by this rule: another person must approve"),
        ("expires = 2026-12-02T10:00:00Z", "expires = 2026-12-02T10:00:00",
         "veil.toml: access.elevations[0].expires: must be a date-time with an offset, e.g. 2026-12-02T10:00:00Z"),
        ("expires = 2026-12-02T10:00:00Z", "expires = 2026-12-02",
         "veil.toml: access.elevations[0].expires: must be a date-time with an offset, e.g. 2026-12-02T10:00:00Z"),
        ("expires = 2026-12-02T10:00:00Z", 'expires = "next tuesday"',
         "veil.toml: access.elevations[0].expires: must be an RFC 3339 date-time, e.g. 2026-12-02T10:00:00Z"),
    ],
)
def test_an_elevation_needs_another_approver_and_an_aware_expiry(old: str, new: str, message: str) -> None:
    assert refusal("[access]\n" + ELEVATION.replace(old, new)) == message


def test_an_approver_outside_the_principals_is_accepted() -> None:
    policy = parse("[access]\n" + ELEVATION.replace('approver = "bob"', 'approver = "carol"'))
    assert policy.rules[0].approver == "carol"


def test_a_deny_needs_no_purposes_and_defaults_to_any() -> None:
    policy = parse("[access]\n" + BASE + GRANT.replace("grants", "denies").replace('purposes = ["*"]\n', ""))
    assert policy.rules[0].purposes == frozenset({"*"})


def test_wildcards_are_accepted_where_documented_but_not_as_a_principal() -> None:
    policy = parse("[access]\n" + BASE + GRANT.replace('["read"]', '["*"]') + 'collections = ["*"]\n')
    assert policy.rules[0].actions == frozenset({"*"})
    message = refusal("[access]\n" + BASE + GRANT.replace('roles = ["r"]', 'principals = ["*"]'))
    assert message == "veil.toml: access.grants[0].principals: '*' is not an id (letters, digits and . _ : -, at most 128)"


def test_the_constructor_refuses_duplicates_and_undefined_names() -> None:
    p = Principal("p", "service", frozenset({"r"}))
    grant = Rule("g", "grant", roles=frozenset({"r"}), actions=frozenset({"read"}), purposes=frozenset({"*"}))
    with pytest.raises(ConfigError, match=r"^policy: duplicate principal id 'p'$"):
        Policy([p, p])
    with pytest.raises(ConfigError, match=r"^policy: duplicate rule name 'g'$"):
        Policy([p], [grant, grant])
    stray = Rule("s", "grant", roles=frozenset({"x"}), actions=frozenset({"read"}), purposes=frozenset({"*"}))
    with pytest.raises(ConfigError, match=r"^policy: rule 's' names undefined role or principal 'x'$"):
        Policy([p], [stray])
    with pytest.raises(ConfigError, match=r"^policy: undeclared role 'r'$"):
        Policy([p], roles={"other": ""})


def test_a_rule_refuses_unknown_actions_naive_expiry_and_no_one_to_apply_to() -> None:
    with pytest.raises(ConfigError, match=r"^rule 'g': unknown action 'raed' "):
        Rule("g", "grant", roles=frozenset({"r"}), actions=frozenset({"raed"}), purposes=frozenset({"*"}))
    with pytest.raises(ConfigError, match=r"^rule 'g': expires needs a time zone offset$"):
        Rule("g", "grant", roles=frozenset({"r"}), actions=frozenset({"read"}), purposes=frozenset({"*"}),
             approver="b", expires=datetime(2026, 1, 1))
    with pytest.raises(ConfigError, match=r"^rule 'g': names no roles or principals$"):
        Rule("g", "grant", actions=frozenset({"read"}), purposes=frozenset({"*"}))


def test_a_request_refuses_unknown_actions_and_naive_times_and_keeps_utc() -> None:
    with pytest.raises(InvalidInput, match="unknown action 'raed'"):
        AccessRequest("p", "raed", None, frozenset(), None, at=AT)
    with pytest.raises(InvalidInput, match="time zone aware"):
        AccessRequest("p", "read", None, frozenset(), None, at=datetime(2026, 1, 1))
    plus_two = AccessRequest("p", "read", None, frozenset(), None, at=AT.astimezone(timezone(timedelta(hours=2))))
    assert plus_two.at == AT
    assert plus_two.at.utcoffset() == timedelta(0)


def test_the_model_is_frozen() -> None:
    request = AccessRequest("p", "read", None, frozenset(), None, at=AT)
    with pytest.raises(FrozenInstanceError):
        request.principal = "q"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        Principal("p", "person").roles = frozenset()  # type: ignore[misc]


def test_actions_are_the_six_and_none_implies_another() -> None:
    assert ACTIONS == ("read", "write", "export", "erase", "decrypt", "admin")
    policy = Policy(
        [Principal("root", "person", frozenset({"admins"}))],
        [Rule("admin-only", "grant", roles=frozenset({"admins"}), actions=frozenset({"admin"}),
              purposes=frozenset({"*"}))],
    )
    allowed = {a for a in ACTIONS if policy.decide(AccessRequest("root", a, None, frozenset(), None, at=AT))}
    assert allowed == {"admin"}


def test_the_front_door_exports_one_sorted_all() -> None:
    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    exported: list[Any] = list(veil.access.__all__)
    assert exported == sorted(exported, key=order)
    assert all(hasattr(veil.access, name) for name in exported)
    assert {"ACTIONS", "AccessRequest", "Decision", "Policy", "Principal", "Rule"} <= set(exported)
