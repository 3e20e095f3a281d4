"""The first schema of the data database.

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


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "veil_subjects",
        sa.Column("subject_id", sa.String(128), primary_key=True),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        _at("created_at"),
    )
    op.create_table(
        "veil_records",
        sa.Column("collection", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(128), primary_key=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _at("expires_at", nullable=True),
    )
    op.create_index("ix_veil_records_subject", "veil_records", ["subject_id", "collection"])
    op.create_index("ix_veil_records_expires", "veil_records", ["expires_at"])
    op.create_table(
        "veil_blind_index",
        sa.Column("collection", sa.String(64), primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("digest", sa.LargeBinary(32), primary_key=True),
        sa.Column("record_id", sa.String(128), primary_key=True),
        sa.Column("key_version", sa.Integer, primary_key=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
    )
    op.create_index("ix_veil_blind_index_subject", "veil_blind_index", ["subject_id"])
    op.create_index("ix_veil_blind_index_version", "veil_blind_index", ["key_version"])
    op.create_table(
        "veil_index_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        _at("created_at"),
        _at("retired_at", nullable=True),
    )
    op.create_table(
        "veil_consent_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        _at("at"),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
    )
    op.create_index("ix_veil_consent_subject", "veil_consent_events", ["subject_id", "purpose"])
    op.create_index("ix_veil_consent_purpose", "veil_consent_events", ["purpose"])
    op.create_table(
        "veil_requests",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("subject_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("profile", sa.String(32), nullable=False),
        _at("received_at"),
        _at("deadline"),
        sa.Column("extended", sa.Boolean, nullable=False),
        _at("completed_at", nullable=True),
        sa.Column("receipt", sa.Text, nullable=True),
    )
    op.create_index("ix_veil_requests_subject", "veil_requests", ["subject_id"])
    op.create_index("ix_veil_requests_open", "veil_requests", ["status", "deadline"])
    op.create_table(
        "veil_artifacts",
        sa.Column("artifact_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("parent_id", sa.String(36), nullable=True),
        _at("created_at"),
        _at("tainted_at", nullable=True),
        sa.Column("erased_subjects", sa.Integer, nullable=False),
    )
    op.create_table(
        "veil_artifact_subjects",
        sa.Column("artifact_id", sa.String(36), primary_key=True),
        sa.Column("subject_id", sa.String(128), primary_key=True),
    )
    op.create_index("ix_veil_artifact_subjects_subject", "veil_artifact_subjects", ["subject_id"])
    op.create_table(
        "veil_audit_entries",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        _at("at"),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(256), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("counts", sa.Text, nullable=False),
    )
    op.create_index("ix_veil_audit_action", "veil_audit_entries", ["action", "at"])


def downgrade() -> None:
    for table in (
        "veil_audit_entries",
        "veil_artifact_subjects",
        "veil_artifacts",
        "veil_requests",
        "veil_consent_events",
        "veil_index_versions",
        "veil_blind_index",
        "veil_records",
        "veil_subjects",
    ):
        op.drop_table(table)
