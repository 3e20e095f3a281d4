"""The Merkle-tree audit log, its signed heads, and access tokens.

The entries of 0001 were not chained, so nothing can prove them: the table is kept, renamed
``veil_audit_unchained``, and the tree starts empty.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_veil_audit_action", table_name="veil_audit_entries")
    op.rename_table("veil_audit_entries", "veil_audit_unchained")
    op.create_table(
        "veil_audit_entries",
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("at_us", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(256), nullable=False),
        sa.Column("subject", sa.String(128), nullable=True),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(128), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    for name, columns in (
        ("ix_veil_audit_actor", ["actor", "idx"]),
        ("ix_veil_audit_action", ["action", "idx"]),
        ("ix_veil_audit_subject", ["subject", "idx"]),
        ("ix_veil_audit_at", ["at_us"]),
    ):
        op.create_index(name, "veil_audit_entries", columns)
    op.create_table(
        "veil_audit_nodes",
        sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "veil_audit_state",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "veil_audit_heads",
        sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "veil_tokens",
        sa.Column("token_id", sa.String(32), primary_key=True),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("label", sa.String(128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_veil_tokens_principal", "veil_tokens", ["principal"])


def downgrade() -> None:
    for table in ("veil_tokens", "veil_audit_heads", "veil_audit_state", "veil_audit_nodes"):
        op.drop_table(table)
    op.drop_table("veil_audit_entries")
    op.rename_table("veil_audit_unchained", "veil_audit_entries")
    op.create_index("ix_veil_audit_action", "veil_audit_entries", ["action", "at"])
