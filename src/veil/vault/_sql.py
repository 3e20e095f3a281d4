"""Dialect-specific statements the two backends spell differently."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from veil.storage import Database


def insert_ignoring_conflicts(db: Database, table: sa.Table) -> sa.Insert:
    """INSERT ... ON CONFLICT DO NOTHING: concurrent writers converge on the first row."""
    if db.is_sqlite:
        return sqlite.insert(table).on_conflict_do_nothing()
    return postgresql.insert(table).on_conflict_do_nothing()


Query = TypeVar("Query", bound=sa.Select[Any])


def locked(db: Database, query: Query, *, shared: bool = False) -> Query:
    """Row locks on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the database's write lock."""
    if db.is_sqlite:
        return query
    return query.with_for_update(read=shared)
