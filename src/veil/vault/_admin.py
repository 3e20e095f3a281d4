"""The vault's administration: access tokens and key-encryption keys, each an ``admin`` decision."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from veil._clock import Clock
from veil.access import IssuedToken, Policy, Token, TokenStore
from veil.audit import AuditEntry, AuditLog
from veil.errors import InvalidInput
from veil.storage import Database
from veil.vault import _blind
from veil.vault._guard import Actor, Guard
from veil.vault._keystore import EpochReport, KeyStore, RewrapReport

if TYPE_CHECKING:
    from veil.vault._vault import Vault


class VaultAdmin:
    """Token and key operations of ``Vault`` (kept apart so that each module stays readable)."""

    data: Database
    audit: AuditLog
    policy: Policy
    guard: Guard
    keys: KeyStore
    clock: Clock
    _tokens: TokenStore | None

    # -- tokens --------------------------------------------------------------------------

    @property
    def tokens(self) -> TokenStore:
        """The deployment's access tokens (hashed under a key kept in the key store)."""
        if self._tokens is None:
            key = self.keys.secret("tokens")
            self._tokens = TokenStore(self.data, key, audit=self.audit, clock=self.clock)
        return self._tokens

    def issue_token(
        self,
        principal: str,
        scopes: Iterable[str],
        *,
        actor: Actor,
        ttl: timedelta | None = None,
        label: str | None = None,
    ) -> IssuedToken:
        """A scoped, short-lived token for a principal of the policy: an ``admin`` action."""
        with self.guard.check(actor, "token.issue", "admin", resource="tokens") as allowed:
            if self.policy.principal(principal) is None:
                raise InvalidInput("the token's principal is not in the access policy")
            return self.tokens.issue(principal, scopes, ttl=ttl, label=label, actor=allowed.actor)

    def revoke_token(self, token_id: str, *, actor: Actor) -> Token:
        """Revoke at once (other processes within their token cache's lifetime): an ``admin`` action."""
        with self.guard.check(actor, "token.revoke", "admin", resource="tokens") as allowed:
            return self.tokens.revoke(token_id, actor=allowed.actor)

    def list_tokens(
        self, *, actor: Actor, principal: str | None = None, include_inactive: bool = False
    ) -> list[Token]:
        """Tokens without their secrets (none are stored): an ``admin`` action."""
        with self.guard.check(actor, "token.list", "admin", resource="tokens"):
            return self.tokens.list(principal=principal, include_inactive=include_inactive)

    # -- keys ----------------------------------------------------------------------------

    def rotate_keys(self, *, actor: Actor) -> RewrapReport:
        """A new key-encryption key version; every data key is rewrapped, no field is re-encrypted."""
        with self.guard.check(actor, "keys.rotate", "admin", resource="kek") as allowed:
            report = self.keys.rotate()
            self.audit.append(
                AuditEntry(
                    "keys.rotate",
                    allowed.actor,
                    f"kek:{report.kek_version}",
                    rule=allowed.rule,
                    counts={"data_keys": report.data_keys, "index_keys": report.index_keys},
                )
            )
            return report

    def retire_key(self, version: int, *, actor: Actor) -> None:
        """Destroy an old key-encryption key version; refused while anything still depends on it."""
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidInput("version must be an integer")
        with self.guard.check(actor, "keys.retire", "admin", resource=f"kek:{version}") as allowed:
            self.keys.retire(version)
            self.audit.append(AuditEntry("keys.retire", allowed.actor, f"kek:{version}", rule=allowed.rule))

    def advance_epoch(self, *, actor: Actor) -> EpochReport:
        """Rewrap every live key under a new key-encryption key and destroy the old ones, then replace the
        blind-index key: key-store backups and blind-index rows from before this epoch become useless."""
        with self.guard.check(actor, "keys.epoch", "admin", resource="kek") as allowed:
            started = time.perf_counter()
            report = self.keys.advance_epoch()
            index_version, reindexed = _blind.rotate(cast("Vault", self))
            report = replace(
                report,
                index_version=index_version,
                reindexed=reindexed,
                seconds=time.perf_counter() - started,
            )
            self.audit.append(
                AuditEntry(
                    "keys.epoch",
                    allowed.actor,
                    f"epoch:{report.epoch}",
                    rule=allowed.rule,
                    counts={
                        "data_keys": report.rewrapped,
                        "destroyed_versions": len(report.destroyed_versions),
                        "reindexed": reindexed,
                    },
                )
            )
            return report
