"""The vault, consent and data subject request routes under ``/v1`` (being written)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request

from veil.service._http import Authenticator
from veil.vault import Vault

Body = Callable[[Request], Awaitable[Any]]


def add_vault_routes(app: FastAPI, vault: Vault, auth: Authenticator, body: Body) -> None:
    """Register the vault routes on ``app``; each declares the token scope it needs."""
    del app, vault, auth, body  # placeholder until the routes land
