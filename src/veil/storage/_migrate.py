"""Schema migrations with Alembic, run from the library (``veil db upgrade`` calls this)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from veil.storage._database import Database

Which = Literal["data", "keys"]
_MIGRATIONS = Path(__file__).parent / "migrations"
#: Any fixed number: PostgreSQL workers upgrading at once take turns on this advisory lock.
_PG_MIGRATION_LOCK = 0x7665696C


def _config(which: Which) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS / which))
    return config


def upgrade(db: Database, which: Which, revision: str = "head") -> None:
    """Bring database ``which`` (``data`` or ``keys``) to ``revision`` in one transaction."""
    config = _config(which)
    with db.write() as conn:
        if not db.is_sqlite:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def current_revision(db: Database, which: Which) -> str | None:
    """The revision a database is at, or None before its first upgrade."""
    with db.read() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": version_table(which)})
        return context.get_current_revision()


def version_table(which: Which) -> str:
    return f"veil_{which}_version"
