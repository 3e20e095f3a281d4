"""The differential-privacy ledger: a budget per dataset and the releases charged to it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "veil_dp_budgets",
        sa.Column("dataset", sa.String(64), primary_key=True),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("delta", sa.Float, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("max_contributions", sa.Integer, nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("releases", sa.Integer, nullable=False),
        sa.Column("spent", sa.Float, nullable=False),
        sa.Column("rdp", sa.Text, nullable=False),
        sa.Column("naive_epsilon", sa.Float, nullable=False),
        sa.Column("naive_delta", sa.Float, nullable=False),
    )
    op.create_table(
        "veil_dp_releases",
        sa.Column("release_id", sa.String(32), primary_key=True),
        sa.Column("dataset", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("mechanisms", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("spent_after", sa.Float, nullable=False),
        sa.UniqueConstraint("dataset", "seq", name="uq_veil_dp_releases_seq"),
    )


def downgrade() -> None:
    op.drop_table("veil_dp_releases")
    op.drop_table("veil_dp_budgets")
