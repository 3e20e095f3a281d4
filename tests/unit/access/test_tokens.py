"""Scoped, short-lived access tokens, on SQLite and PostgreSQL (veil.access._tokens)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Backend
from veil._clock import FixedClock
from veil.access import _tokens
from veil.access._tokens import (
    MAX_TTL,
    TOKEN_PATTERN,
    IssuedToken,
    Token,
    TokenStore,
)
from veil.audit import AuditLog
from veil.crypto import constant_time_equal, keyed_hash
from veil.errors import AccessDenied, InvalidInput, NotFound, TokenExpired, TokenInvalid
from veil.storage import Database
from veil.storage.tables import tokens

KEY = b"token-hash-key-for-tests-32bytes"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def data(databases: tuple[Database, Database]) -> Database:
    return databases[0]


@pytest.fixture
def audit(data: Database, clock: FixedClock) -> Iterator[AuditLog]:
    log = AuditLog(data, clock=clock)
    yield log
    log.close()


@pytest.fixture
def store(data: Database, audit: AuditLog, clock: FixedClock) -> TokenStore:
    return TokenStore(data, KEY, audit=audit, clock=clock)


@pytest.fixture
def other_process(backend: Backend, databases: tuple[Database, Database]) -> Iterator[Database]:
    """The same database through its own engine, as another worker process would open it."""
    data, keys = backend.open()
    keys.dispose()
    yield data
    data.dispose()


def issue(store: TokenStore, *scopes: str, **options: object) -> IssuedToken:
    return store.issue("svc-gateway", scopes or ("vault:read:customers",), actor="admin-alice", **options)  # type: ignore[arg-type]


def tampered(secret: str, at: int) -> str:
    """``secret`` with the character at ``at`` changed to another of the same alphabet."""
    swap = "0" if secret[at] != "0" else "1"
    return secret[:at] + swap + secret[at + 1 :]


# -- issue and authenticate --------------------------------------------------------------


def test_issued_secret_authenticates_to_its_token(store: TokenStore, clock: FixedClock) -> None:
    issued = issue(store, "vault:read:customers", "dsr", label="support bot")
    token = store.authenticate(issued.secret, scope="dsr")
    assert token == issued.token
    assert token.principal == "svc-gateway"
    assert token.scopes == frozenset({"vault:read:customers", "dsr"})
    assert token.label == "support bot"
    assert token.created_at == clock.now()
    assert token.revoked_at is None
    assert store.authenticate(issued.secret) == token


def test_secret_has_the_documented_shape_with_the_token_id_inside(store: TokenStore) -> None:
    issued = issue(store)
    assert re.fullmatch(TOKEN_PATTERN, issued.secret)
    assert re.fullmatch(r"[0-9a-f]{32}", issued.token.token_id)
    assert issued.secret.startswith(f"veil_{issued.token.token_id}_")
    assert len(issued.secret) == 81


def test_each_issue_makes_a_new_id_and_secret(store: TokenStore) -> None:
    first, second = issue(store), issue(store)
    assert first.token.token_id != second.token.token_id
    assert first.secret[38:] != second.secret[38:]


def test_secret_is_never_stored_nor_shown_after_issue(
    store: TokenStore, data: Database, audit: AuditLog, backend: Backend, tmp_path: Path
) -> None:
    issued = issue(store, label="ci")
    key_part = issued.secret[38:]
    with data.read() as conn:
        rows = conn.execute(sa.select(tokens)).mappings().all()
    assert len(rows) == 1
    stored = repr([dict(row) for row in rows])
    assert key_part not in stored
    assert key_part.encode() not in bytes(rows[0]["digest"])
    shown = [repr(issued), str(issued), repr(issued.token), repr(store.list()), repr(audit.entries())]
    assert not [text for text in shown if key_part in text]
    if backend.name == "sqlite":  # the database file and its WAL hold no copy either
        files = b"".join(path.read_bytes() for path in tmp_path.glob("veil.db*"))
        assert key_part.encode() not in files


def test_authenticate_without_a_matching_row_or_secret_says_only_invalid_token(
    store: TokenStore,
) -> None:
    issued = issue(store)
    token_id = issued.token.token_id
    unknown = issued.secret.replace(token_id, "f" * 32 if token_id != "f" * 32 else "e" * 32)
    cases = [
        tampered(issued.secret, len(issued.secret) - 1),  # wrong secret for a real id
        tampered(issued.secret, 10),  # tampered id
        unknown,  # a well-formed id that was never issued
        issued.secret.upper(),
        issued.secret + "x",
        "veil_" + "x" * 300,
        "",
        None,
        b"veil_",
    ]
    for secret in cases:
        with pytest.raises(TokenInvalid) as caught:
            store.authenticate(secret)  # type: ignore[arg-type]
        assert caught.value.message == "invalid token"


def test_a_store_with_another_hash_key_verifies_nothing(store: TokenStore, data: Database) -> None:
    issued = issue(store)
    with pytest.raises(TokenInvalid):
        TokenStore(data, b"another-key-of-thirty-two-bytes!").authenticate(issued.secret)


def test_unknown_id_costs_a_keyed_hash_and_a_compare_like_a_wrong_secret(
    store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    issued = issue(store)
    calls: list[str] = []

    def counted_hash(key: bytes, data: bytes) -> bytes:
        calls.append("hash")
        return keyed_hash(key, data)

    def counted_equal(a: bytes, b: bytes) -> bool:
        calls.append("eq")
        return constant_time_equal(a, b)

    monkeypatch.setattr(_tokens, "keyed_hash", counted_hash)
    monkeypatch.setattr(_tokens, "constant_time_equal", counted_equal)
    for secret in (tampered(issued.secret, 40), "veil_" + "0" * 32 + issued.secret[37:]):
        calls.clear()
        with pytest.raises(TokenInvalid):
            store.authenticate(secret)
        assert calls == ["hash", "eq"]


# -- expiry and default lifetimes --------------------------------------------------------


def test_token_expires_exactly_at_its_expiry_even_when_cached(store: TokenStore, clock: FixedClock) -> None:
    issued = issue(store, ttl=timedelta(minutes=5))
    store.authenticate(issued.secret)  # now cached
    clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    assert store.authenticate(issued.secret).active(clock.now())
    clock.advance(timedelta(microseconds=1))
    with pytest.raises(TokenExpired):
        store.authenticate(issued.secret)
    assert not issued.token.active(clock.now())


def test_expiry_is_checked_on_a_fresh_cache_entry(data: Database, clock: FixedClock) -> None:
    store = TokenStore(data, KEY, clock=clock, cache_ttl=timedelta(hours=2))
    issued = issue(store, ttl=timedelta(seconds=30))
    store.authenticate(issued.secret)
    clock.advance(timedelta(seconds=30))
    with pytest.raises(TokenExpired):
        store.authenticate(issued.secret)


@pytest.mark.parametrize(
    ("scopes", "lifetime"),
    [
        (("inference",), timedelta(minutes=15)),
        (("inference", "vault:read:customers"), timedelta(minutes=15)),
        (("vault:read:customers",), timedelta(hours=1)),
        (("admin", "audit", "dsr"), timedelta(hours=1)),
    ],
)
def test_default_lifetime_is_fifteen_minutes_for_inference_else_one_hour(
    store: TokenStore, scopes: tuple[str, ...], lifetime: timedelta
) -> None:
    token = issue(store, *scopes).token
    assert token.expires_at - token.created_at == lifetime


def test_explicit_lifetime_up_to_thirty_days(store: TokenStore, clock: FixedClock) -> None:
    issued = issue(store, ttl=MAX_TTL)
    assert issued.token.expires_at == clock.now() + timedelta(days=30)
    clock.advance(MAX_TTL - timedelta(seconds=1))
    assert store.authenticate(issued.secret) == issued.token


# -- scopes ------------------------------------------------------------------------------


def test_inference_token_is_refused_for_the_vault_naming_the_scope(store: TokenStore) -> None:
    issued = issue(store, "inference")
    assert store.authenticate(issued.secret, scope="inference") == issued.token
    with pytest.raises(AccessDenied) as caught:
        store.authenticate(issued.secret, scope="vault:read:customers")
    assert type(caught.value) is AccessDenied
    assert caught.value.message == "token lacks scope 'vault:read:customers'"


def test_wildcard_collection_covers_every_collection_of_its_action_only(store: TokenStore) -> None:
    issued = issue(store, "vault:read:*")
    for scope in ("vault:read:customers", "vault:read:orders", "vault:read:*"):
        assert store.authenticate(issued.secret, scope=scope) == issued.token
    for scope in ("vault:write:customers", "vault:decrypt:customers", "admin"):
        with pytest.raises(AccessDenied):
            store.authenticate(issued.secret, scope=scope)


@pytest.mark.parametrize(
    ("held", "asked", "allowed"),
    [
        ("admin", "admin", True),
        ("admin", "vault:read:customers", False),
        ("admin", "audit", False),
        ("inference", "vault:read:customers", False),
        ("inference", "vault:read:*", False),
        ("vault:read:customers", "vault:read:customers", True),
        ("vault:read:customers", "vault:read:orders", False),
        ("vault:read:customers", "vault:read:*", False),
        ("vault:read:*", "vault:read:orders", True),
        ("vault:read:*", "vault:export:orders", False),
        ("vault:erase:*", "vault:erase:*", True),
        ("dsr", "audit", False),
    ],
)
def test_no_scope_implies_another(held: str, asked: str, allowed: bool) -> None:
    token = Token("0" * 32, "svc", frozenset({held}), None, NOW, NOW + timedelta(hours=1), None)
    assert token.allows(asked) is allowed


def test_authenticate_refuses_a_scope_that_is_not_a_scope(store: TokenStore) -> None:
    issued = issue(store)
    with pytest.raises(InvalidInput) as caught:
        store.authenticate(issued.secret, scope="vault:read")
    assert "scope" in caught.value.message


# -- revocation and the cache ------------------------------------------------------------


def test_revocation_takes_effect_at_once_in_the_same_store_even_when_cached(
    store: TokenStore, clock: FixedClock
) -> None:
    issued = issue(store)
    store.authenticate(issued.secret)  # now cached
    revoked = store.revoke(issued.token.token_id, actor="admin-alice")
    assert revoked.revoked_at == clock.now()
    assert not revoked.active(clock.now())
    with pytest.raises(TokenInvalid):
        store.authenticate(issued.secret)


def test_another_process_sees_a_revocation_once_its_cache_ttl_elapses(
    store: TokenStore, other_process: Database, clock: FixedClock
) -> None:
    issued = issue(store)
    their_clock = FixedClock(clock.now())
    theirs = TokenStore(other_process, KEY, clock=their_clock, cache_ttl=timedelta(seconds=1))
    theirs.authenticate(issued.secret)  # cached there
    store.revoke(issued.token.token_id, actor="admin-alice")
    assert theirs.authenticate(issued.secret) == issued.token  # the documented window
    their_clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenInvalid):
        theirs.authenticate(issued.secret)


def test_zero_cache_ttl_sees_every_revocation_at_once(
    store: TokenStore, other_process: Database, clock: FixedClock
) -> None:
    issued = issue(store)
    theirs = TokenStore(other_process, KEY, clock=clock, cache_ttl=timedelta(0))
    theirs.authenticate(issued.secret)
    store.revoke(issued.token.token_id, actor="admin-alice")
    with pytest.raises(TokenInvalid):
        theirs.authenticate(issued.secret)


def test_cache_keeps_at_most_its_size_evicting_the_oldest(
    store: TokenStore, data: Database, clock: FixedClock
) -> None:
    small = TokenStore(data, KEY, clock=clock, cache_ttl=timedelta(hours=1), cache_size=1)
    first, second = issue(store), issue(store)
    small.authenticate(first.secret)
    small.authenticate(second.secret)  # evicts the first
    for issued in (first, second):
        store.revoke(issued.token.token_id, actor="admin-alice")
    assert small.authenticate(second.secret) == second.token  # still cached
    with pytest.raises(TokenInvalid):
        small.authenticate(first.secret)  # read again: revoked


def test_revoke_is_idempotent_and_keeps_the_first_time(store: TokenStore, clock: FixedClock) -> None:
    issued = issue(store)
    first = store.revoke(issued.token.token_id, actor="admin-alice")
    clock.advance(timedelta(minutes=1))
    again = store.revoke(issued.token.token_id, actor="admin-alice")
    assert again == first
    assert again.revoked_at == NOW


def test_revoke_unknown_or_malformed_id(store: TokenStore) -> None:
    with pytest.raises(NotFound):
        store.revoke("a" * 32, actor="admin-alice")
    issued = issue(store)
    with pytest.raises(InvalidInput) as caught:
        store.revoke(issued.secret, actor="admin-alice")  # the secret by mistake: not echoed
    assert issued.secret not in caught.value.message


# -- bad issue arguments -------------------------------------------------------------------


SECRET_LIKE = "veil_" + "a" * 32 + "_" + "b" * 43


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"principal": ""}, "principal"),
        ({"principal": "has space"}, "principal"),
        ({"principal": "p" * 129}, "principal"),
        ({"scopes": []}, "scopes"),
        ({"scopes": "admin"}, "scopes"),
        ({"scopes": ["vault:read"]}, "scopes"),
        ({"scopes": ["vault:admin:customers"]}, "scopes"),
        ({"scopes": ["vault:read:Customers"]}, "scopes"),
        ({"scopes": ["superuser"]}, "scopes"),
        ({"scopes": [SECRET_LIKE]}, "scopes"),
        ({"scopes": [7]}, "scopes"),
        ({"ttl": timedelta(0)}, "ttl"),
        ({"ttl": timedelta(seconds=-1)}, "ttl"),
        ({"ttl": MAX_TTL + timedelta(microseconds=1)}, "ttl"),
        ({"ttl": 60}, "ttl"),
        ({"label": ""}, "label"),
        ({"label": "line\nbreak"}, "label"),
        ({"label": "l" * 129}, "label"),
    ],
)
def test_bad_issue_arguments_name_the_argument_and_store_nothing(
    store: TokenStore, data: Database, arguments: dict[str, object], named: str
) -> None:
    call: dict[str, object] = {"principal": "svc-gateway", "scopes": ["dsr"], "actor": "admin-alice"}
    with pytest.raises(InvalidInput) as caught:
        store.issue(**{**call, **arguments})  # type: ignore[arg-type]
    assert caught.value.message.startswith(named)
    assert SECRET_LIKE not in caught.value.message
    with data.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tokens)).scalar_one() == 0


# -- audit, listing, purging ---------------------------------------------------------------


def test_issue_and_revoke_are_audited_once_each(store: TokenStore, audit: AuditLog) -> None:
    issued = issue(store, "dsr", "audit")
    store.revoke(issued.token.token_id, actor="admin-bob")
    store.revoke(issued.token.token_id, actor="admin-bob")
    [issue_entry] = audit.entries(action="token.issue")
    assert (issue_entry.actor, issue_entry.resource) == ("admin-alice", f"token:{issued.token.token_id}")
    assert dict(issue_entry.counts) == {"scopes": 2}
    [revoke_entry] = audit.entries(action="token.revoke")
    assert (revoke_entry.actor, revoke_entry.resource) == ("admin-bob", f"token:{issued.token.token_id}")


def test_list_orders_by_creation_and_hides_inactive_unless_asked(
    store: TokenStore, clock: FixedClock
) -> None:
    first = issue(store, "inference")  # lives 15 minutes
    clock.advance(timedelta(minutes=1))
    second = store.issue("svc-batch", ["vault:export:*"], actor="admin-alice")
    clock.advance(timedelta(minutes=1))
    third = issue(store, "dsr")
    store.revoke(third.token.token_id, actor="admin-alice")
    assert store.list() == [first.token, second.token]
    assert store.list(principal="svc-batch") == [second.token]
    clock.advance(timedelta(minutes=15))
    assert store.list() == [second.token]
    assert [t.token_id for t in store.list(include_inactive=True)] == [
        first.token.token_id, second.token.token_id, third.token.token_id,
    ]  # fmt: skip


def test_purge_expired_deletes_only_rows_expired_before(store: TokenStore, clock: FixedClock) -> None:
    short = issue(store, ttl=timedelta(minutes=1))
    long = issue(store, ttl=timedelta(days=1))
    clock.advance(timedelta(hours=1))
    assert store.purge_expired(clock.now() - timedelta(minutes=30)) == 1
    assert [t.token_id for t in store.list(include_inactive=True)] == [long.token.token_id]
    with pytest.raises(TokenInvalid):
        store.authenticate(short.secret)
    with pytest.raises(InvalidInput):
        store.purge_expired(clock.now() + timedelta(seconds=1))  # would delete live tokens
