"""From settings to library objects: the databases, the key provider and a ready ``Vault``.

Shared by the two adapters (``veil.cli`` and ``veil.service``), so each stays parse, one call,
render. Database URLs are never printed: they may hold a password.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from veil.access import Policy
from veil.config import Settings, load_deployment
from veil.crypto import EnvKeyProvider, KeyProvider, LocalKeyring
from veil.errors import ConfigError
from veil.storage import Database, current_revision, upgrade
from veil.vault import ProfileSet, Vault, VaultSchema

Which = Literal["data", "keys"]
NOT_INITIALISED = "database is not initialised: run `veil db upgrade`"

def key_provider(settings: Settings) -> KeyProvider:
    """``VEIL_KEK`` when it is set, else the project's keyring file."""
    if settings.kek is not None:
        seed = settings.signing_seed.get_secret_value() if settings.signing_seed is not None else None
        return EnvKeyProvider(settings.kek.get_secret_value(), signing_seed=seed)
    return LocalKeyring.open(settings.keyring)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other backends and in-memory databases."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        return None  # Database.from_url reports it
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists (SQLite gives its WAL the same mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create {path} ({type(exc).__name__})") from None


def migrate(url: str, which: Which) -> str | None:
    """Bring one database to the newest revision and return the revision it is at."""
    path = sqlite_file(url)
    if path is not None:
        create_private_file(path)
    db = Database.from_url(url, secure_delete=which == "keys")
    try:
        upgrade(db, which)
        return current_revision(db, which)
    finally:
        db.dispose()


def open_databases(settings: Settings) -> tuple[Database, Database]:
    """The data and key databases, refused before their first migration."""
    for url in (settings.database_url, settings.keystore_url):
        path = sqlite_file(url)
        if path is not None and not path.is_file():  # connecting would create an empty file
            raise ConfigError(NOT_INITIALISED)
    data = Database.from_url(settings.database_url)
    keys = Database.from_url(settings.keystore_url, secure_delete=True)
    try:
        if current_revision(data, "data") is None or current_revision(keys, "keys") is None:
            raise ConfigError(NOT_INITIALISED)
    except BaseException:
        data.dispose()
        keys.dispose()
        raise
    return data, keys


def open_vault(settings: Settings) -> Vault:
    """The deployment's vault: ``veil.toml`` checked first, then databases and keys."""
    deployment = load_deployment(settings)
    schema = VaultSchema.from_mapping(deployment.raw, source=str(deployment.source))
    policy = Policy.from_mapping(deployment.raw, source=str(deployment.source))
    profiles = ProfileSet.load(list(deployment.profiles), deployment.default_profile)
    data, keys = open_databases(settings)
    try:
        return Vault(data, keys, key_provider(settings), schema, profiles=profiles,
                     location=deployment.location, regions=deployment.regions, policy=policy)
    except BaseException:
        data.dispose()
        keys.dispose()
        raise

