"""Storage: SQLAlchemy Core tables over SQLite (embedded default) or PostgreSQL, and migrations.

The personal data and the keys that open it live in two databases (``data`` and
``keys``), so that a backup of one never holds both.
"""

from __future__ import annotations

from veil.storage import tables
from veil.storage._database import Database
from veil.storage._migrate import current_revision, upgrade
from veil.storage.tables import DATA_METADATA, KEYS_METADATA

__all__ = [
    "DATA_METADATA",
    "KEYS_METADATA",
    "Database",
    "current_revision",
    "tables",
    "upgrade",
]
