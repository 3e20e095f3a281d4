"""Helpers shared by the vault tests: raw row counts and a second vault on the same databases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from veil.storage import Database
from veil.vault import Vault


def count(db: Database, table: sa.Table, *where: Any) -> int:
    """Rows of ``table`` in ``db`` (optionally filtered), read past the vault's API."""
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())


def sibling(vault: Vault, **options: Any) -> Vault:
    """Another vault on ``vault``'s databases and key provider (a second process, another store)."""
    settings: dict[str, Any] = {"profiles": vault.profiles, "location": vault.location, "clock": vault.clock,
                                "schema": vault.schema, "policy": vault.policy}
    settings.update(options)
    schema = settings.pop("schema")
    return Vault(vault.data, vault.keys.db, vault.keys.provider, schema, **settings)


def raw_rows(db: Database) -> list[tuple[str, dict[str, Any]]]:
    """Every column of every row of every table in ``db``, as the database returns them."""
    with db.read() as conn:
        rows: list[tuple[str, dict[str, Any]]] = []
        for name in sa.inspect(conn).get_table_names():
            result = conn.execute(sa.select(sa.literal_column("*")).select_from(sa.table(name)))
            rows += [(name, dict(row)) for row in result.mappings()]
    return rows


#: For tests of input checks that run before any statement: the backend cannot change their outcome,
#: and every PostgreSQL test pays for two fresh migrated schemas.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
