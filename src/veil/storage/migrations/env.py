"""Shared Alembic environment: the caller hands over an open connection (see ``_migrate``)."""

from __future__ import annotations

from alembic import context

from veil.storage._migrate import Which, version_table
from veil.storage.tables import DATA_METADATA, KEYS_METADATA


def run(which: Which) -> None:
    connection = context.config.attributes["connection"]
    metadata = DATA_METADATA if which == "data" else KEYS_METADATA
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        version_table=version_table(which),
    )
    with context.begin_transaction():
        context.run_migrations()
