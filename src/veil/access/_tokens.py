"""Scoped, short-lived access tokens: shown once at issue, stored as a keyed digest, checked in microseconds.

A secret reads ``veil_<token id>_<key>``: the token id (16 random bytes as 32 lower-case hex
characters) is the lookup key and is not secret; the key is 32 random bytes from ``secrets``,
base64url without padding (43 characters). Only ``keyed_hash(hash_key, secret)`` is stored. The
fixed prefix and shape (``TOKEN_PATTERN``) let secret scanners recognise a leaked Veil token.

Scopes: ``inference``, ``dsr``, ``audit``, ``admin`` and ``vault:<action>:<collection>``, where
collection ``*`` covers every collection of that action. No scope implies another.

Every failure says nothing more than ``TokenInvalid`` (unknown, malformed, wrong secret, revoked),
``TokenExpired`` or ``AccessDenied`` (the missing scope, by name).
"""

from __future__ import annotations

import builtins
import functools
import json
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from veil._clock import Clock, SystemClock
from veil.access._model import ID as PRINCIPAL_ID
from veil.audit import AuditEntry, AuditLog
from veil.crypto import constant_time_equal, keyed_hash
from veil.errors import AccessDenied, InvalidInput, NotFound, TokenExpired, TokenInvalid
from veil.storage import Database
from veil.storage.tables import tokens

#: The exact shape of a Veil token secret (81 characters), for secret scanners and ``authenticate``.
TOKEN_PATTERN: Final = r"veil_[0-9a-f]{32}_[A-Za-z0-9_-]{43}"  # noqa: S105 (a pattern, not a password)
#: The scopes without a collection; vault scopes are ``vault:<action>:<collection or *>``.
SCOPES: Final = ("admin", "audit", "dsr", "inference")
VAULT_ACTIONS: Final = ("read", "write", "export", "erase", "decrypt")
INFERENCE_TTL: Final = timedelta(minutes=15)
DEFAULT_TTL: Final = timedelta(hours=1)
MAX_TTL: Final = timedelta(days=30)
MAX_SECRET_CHARS: Final = 256
CACHE_SIZE: Final = 10_000

_SECRET = re.compile(TOKEN_PATTERN)
_TOKEN_ID = re.compile(r"[0-9a-f]{32}")
_COLLECTION = r"[a-z][a-z0-9_]{0,63}"  # the vault schema's collection names
_SCOPE = re.compile(rf"{'|'.join(SCOPES)}|vault:(?:{'|'.join(VAULT_ACTIONS)}):(?:\*|{_COLLECTION})")
_LABEL = re.compile(r"[^\x00-\x1f\x7f]{1,128}")
_SCOPE_FORMS = "inference, dsr, audit, admin or vault:<action>:<collection or *>"


@dataclass(frozen=True, slots=True)
class Token:
    """A token's public record: who, what it may do, and when it lives. Never its secret or digest."""

    token_id: str
    principal: str
    scopes: frozenset[str]
    label: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def allows(self, scope: str) -> bool:
        """Exact match, or ``vault:<action>:*`` for any collection of that action; nothing else implies."""
        if scope in self.scopes:
            return True
        parts = scope.split(":")
        return len(parts) == 3 and parts[0] == "vault" and f"vault:{parts[1]}:*" in self.scopes

    def active(self, now: datetime) -> bool:
        """Not revoked and not yet expired (a token is expired from ``expires_at`` on)."""
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token and its secret: the only time the secret exists outside its holder (not in repr)."""

    token: Token
    secret: str = field(repr=False)


class TokenStore:
    """Issue, authenticate, revoke and list tokens in the ``veil_tokens`` table.

    ``authenticate`` caches rows it has verified for ``cache_ttl`` by the injected clock, so a
    cached check is a keyed hash and a compare. ``revoke`` evicts in this process at once; a store
    in another process sees a revocation within its own ``cache_ttl`` (``timedelta(0)`` disables the
    cache). Expiry is checked on every call, cached or not. A cached id answers faster than an
    uncached one whatever the secret: that tells only that the id was used lately, and ids are not secret.
    """

    def __init__(
        self,
        db: Database,
        hash_key: bytes,
        *,
        audit: AuditLog | None = None,
        clock: Clock | None = None,
        cache_ttl: timedelta = timedelta(seconds=1),
        cache_size: int = CACHE_SIZE,
    ) -> None:
        if not isinstance(hash_key, bytes) or len(hash_key) < 16:
            raise InvalidInput("hash_key must be at least 16 bytes")
        if not isinstance(cache_ttl, timedelta) or cache_ttl < timedelta(0):
            raise InvalidInput("cache_ttl must be a non-negative timedelta")
        if not isinstance(cache_size, int) or cache_size < 1:
            raise InvalidInput("cache_size must be a positive integer")
        self.db = db
        self.audit = audit
        self.clock = clock or SystemClock()
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self._hash_key = hash_key
        self._dummy = secrets.token_bytes(32)  # an unknown id is compared with this: the same work as a miss
        self._cache: dict[str, tuple[Token, bytes, datetime, datetime]] = {}  # id -> row, fetched, until
        self._lock = threading.Lock()
        self._evictions = 0  # a fetch that raced a revoke must not re-cache the row it read before

    def issue(
        self,
        principal: str,
        scopes: Iterable[str],
        *,
        ttl: timedelta | None = None,
        label: str | None = None,
        actor: str,
    ) -> IssuedToken:
        """A new token for ``principal``; default ttl 15 minutes with ``inference``, else one hour."""
        if not isinstance(principal, str) or not PRINCIPAL_ID.fullmatch(principal):
            raise InvalidInput("principal must be 1 to 128 characters from A-Z a-z 0-9 . _ : -")
        wanted = _scopes(scopes)
        lifetime = _ttl(ttl, wanted)
        if label is not None and (not isinstance(label, str) or not _LABEL.fullmatch(label)):
            raise InvalidInput("label must be 1 to 128 printable characters")
        token_id = secrets.token_hex(16)
        secret = f"veil_{token_id}_{secrets.token_urlsafe(32)}"
        now = self.clock.now()
        token = Token(token_id, principal, wanted, label, now, now + lifetime, None)
        with self.db.write() as conn:
            conn.execute(sa.insert(tokens).values(
                token_id=token_id, principal=principal, scopes=json.dumps(sorted(wanted)),
                digest=self._digest(secret), label=label, created_at=now, expires_at=token.expires_at,
            ))  # fmt: skip
            self._audited(conn, "token.issue", actor, token_id, scopes=len(wanted))
        return IssuedToken(token, secret)

    def authenticate(self, secret: str, *, scope: str | None = None) -> Token:
        """The live token behind ``secret``, holding ``scope`` when one is asked for."""
        if scope is not None and not _is_scope(scope):
            raise InvalidInput(f"scope must be {_SCOPE_FORMS}")
        if not isinstance(secret, str) or len(secret) > MAX_SECRET_CHARS or not _SECRET.fullmatch(secret):
            raise TokenInvalid()
        token_id, now, seen = secret[5:37], self.clock.now(), self._evictions
        hit = self._cache.get(token_id)
        fresh = hit is not None and hit[2] <= now < hit[3]  # a clock set back also ends the entry
        found = (hit[0], hit[1]) if hit is not None and fresh else self._fetch(token_id)
        digest = self._digest(secret)
        if found is None:
            constant_time_equal(digest, self._dummy)  # an unknown id costs what a wrong secret costs
            raise TokenInvalid()
        token, stored = found
        if not constant_time_equal(digest, stored):
            raise TokenInvalid()
        if not fresh:
            self._remember(token, stored, now, seen)
        if token.revoked_at is not None:
            raise TokenInvalid()
        if now >= token.expires_at:
            raise TokenExpired("token expired")
        if scope is not None and not token.allows(scope):
            raise AccessDenied(f"token lacks scope {scope!r}")
        return token

    def revoke(self, token_id: str, *, actor: str) -> Token:
        """Revoke now (idempotent: an already revoked token keeps its first revocation time)."""
        if not isinstance(token_id, str) or not _TOKEN_ID.fullmatch(token_id):
            raise InvalidInput("token_id must be 32 lower-case hex characters")
        with self.db.write() as conn:
            query = sa.select(tokens).where(tokens.c.token_id == token_id).with_for_update()
            row = conn.execute(query).mappings().first()
            if row is None:
                raise NotFound(f"token {token_id} not found")
            token = _token(row)
            if token.revoked_at is None:
                token = replace(token, revoked_at=self.clock.now())
                update = sa.update(tokens).where(tokens.c.token_id == token_id)
                conn.execute(update.values(revoked_at=token.revoked_at))
                self._audited(conn, "token.revoke", actor, token_id)
        with self._lock:
            self._cache.pop(token_id, None)
            self._evictions += 1
        return token

    def list(self, *, principal: str | None = None, include_inactive: bool = False) -> builtins.list[Token]:
        """Tokens by creation time (live ones only unless ``include_inactive``); never secrets or digests."""
        query = sa.select(tokens).order_by(tokens.c.created_at, tokens.c.token_id)
        if principal is not None:
            query = query.where(tokens.c.principal == principal)
        if not include_inactive:
            query = query.where(tokens.c.revoked_at.is_(None), tokens.c.expires_at > self.clock.now())
        with self.db.read() as conn:
            return [_token(row) for row in conn.execute(query).mappings()]

    def purge_expired(self, before: datetime) -> int:
        """Delete tokens that expired before ``before`` (not later than now); returns how many."""
        if not isinstance(before, datetime) or before.tzinfo is None:
            raise InvalidInput("before must be a timezone-aware datetime")
        if before > self.clock.now():
            raise InvalidInput("before must not be in the future: live tokens are never purged")
        with self.db.write() as conn:
            return conn.execute(sa.delete(tokens).where(tokens.c.expires_at < before)).rowcount

    # -- helpers -----------------------------------------------------------------------

    def _digest(self, secret: str) -> bytes:
        return keyed_hash(self._hash_key, secret.encode())

    def _fetch(self, token_id: str) -> tuple[Token, bytes] | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(tokens).where(tokens.c.token_id == token_id)).mappings().first()
        return None if row is None else (_token(row), bytes(row["digest"]))

    def _remember(self, token: Token, digest: bytes, now: datetime, seen: int) -> None:
        if not self.cache_ttl:
            return
        with self._lock:
            if self._evictions != seen:
                return  # a revoke ran while this row was read: it may predate the revocation
            cache = self._cache
            cache.pop(token.token_id, None)  # re-inserted last, so the oldest entry leaves first
            while len(cache) >= self.cache_size:
                del cache[next(iter(cache))]
            cache[token.token_id] = (token, digest, now, now + self.cache_ttl)

    def _audited(self, conn: Connection, action: str, actor: str, token_id: str, **counts: int) -> None:
        if self.audit is not None:
            entry = AuditEntry(action, actor, f"token:{token_id}", counts=counts, rule=None)
            self.audit.append(entry, conn=conn)


def _scopes(scopes: Iterable[str]) -> frozenset[str]:
    if isinstance(scopes, str) or not isinstance(scopes, Iterable):
        raise InvalidInput("scopes must be a collection of scope names, not one string")
    names = builtins.list(scopes)
    if not names or not all(_is_scope(name) for name in names):
        raise InvalidInput(f"scopes must name at least one scope, each {_SCOPE_FORMS}")
    return frozenset(names)


def _is_scope(scope: object) -> bool:
    return isinstance(scope, str) and _scope_form(scope)


@functools.lru_cache(maxsize=1024)  # callers ask for a few scopes, many times: a cached answer is cheap
def _scope_form(scope: str) -> bool:
    return _SCOPE.fullmatch(scope) is not None


def _ttl(ttl: timedelta | None, scopes: frozenset[str]) -> timedelta:
    if ttl is None:
        return INFERENCE_TTL if "inference" in scopes else DEFAULT_TTL
    if not isinstance(ttl, timedelta) or not timedelta(0) < ttl <= MAX_TTL:
        raise InvalidInput("ttl must be a timedelta above zero and at most 30 days")
    return ttl


def _token(row: RowMapping) -> Token:
    scopes = frozenset(json.loads(row["scopes"]))
    return Token(row["token_id"], row["principal"], scopes, row["label"], row["created_at"],
                 row["expires_at"], row["revoked_at"])  # fmt: skip
