"""The first schema of the key store.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "veil_data_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("kek_version", sa.Integer, nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        postgresql_with={"fillfactor": 50},
    )
    op.create_table(
        "veil_index_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kek_version", sa.Integer, nullable=False),
        sa.Column("wrapped", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "veil_destroyed_keys",
        sa.Column("key_id", sa.String(32), primary_key=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
    )
    op.create_table(
        "veil_key_epochs",
        sa.Column("epoch", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("kek_version", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rewrapped", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("veil_key_epochs", "veil_destroyed_keys", "veil_index_keys", "veil_data_keys"):
        op.drop_table(table)
