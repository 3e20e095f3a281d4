"""Who may do what with personal data: deny-by-default access decisions.

A ``Policy`` (principals, roles, grants, denies and time-bound elevations, read from
the ``[access]`` table of veil.toml) answers an ``AccessRequest`` with a ``Decision``
that names the rule that decided. Nothing is allowed unless a grant says so, and an
explicit deny always wins.
"""

from __future__ import annotations

from veil.access._model import (
    ACTIONS,
    DEFAULT_DENY,
    UNKNOWN_PRINCIPAL,
    AccessRequest,
    Decision,
    Principal,
    Rule,
)
from veil.access._policy import Policy
from veil.access._tokens import (
    DEFAULT_TTL,
    INFERENCE_TTL,
    MAX_TTL,
    SCOPES,
    TOKEN_PATTERN,
    IssuedToken,
    Token,
    TokenStore,
)

__all__ = [
    "ACTIONS",
    "DEFAULT_DENY",
    "DEFAULT_TTL",
    "INFERENCE_TTL",
    "MAX_TTL",
    "SCOPES",
    "TOKEN_PATTERN",
    "UNKNOWN_PRINCIPAL",
    "AccessRequest",
    "Decision",
    "IssuedToken",
    "Policy",
    "Principal",
    "Rule",
    "Token",
    "TokenStore",
]
