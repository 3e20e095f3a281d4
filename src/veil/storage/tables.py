"""The SQLAlchemy Core tables of the two Veil databases.

``data``: subjects, sealed records, blind indexes, consent ledger, requests, derived
artefacts and the audit log. ``keys``: wrapped per-subject data keys, wrapped index
keys, key epochs and the ids of destroyed keys. Nothing in ``data`` opens anything
without ``keys``; nothing in ``keys`` is personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

DATA_METADATA = sa.MetaData()
KEYS_METADATA = sa.MetaData()

ID = 128  # subject and record ids: opaque, validated before they get here
NAME = 64  # collection, field, purpose names


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes on both backends (SQLite has no time zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")  # a programming error: Veil passes aware times only
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _at(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, UtcDateTime(), nullable=nullable)


subjects = sa.Table(
    "veil_subjects",
    DATA_METADATA,
    sa.Column("subject_id", sa.String(ID), primary_key=True),
    sa.Column("region", sa.String(16), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False),  # active | erasing
    _at("created_at"),
)

records = sa.Table(
    "veil_records",
    DATA_METADATA,
    sa.Column("collection", sa.String(NAME), primary_key=True),
    sa.Column("record_id", sa.String(ID), primary_key=True),
    sa.Column("subject_id", sa.String(ID), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    _at("created_at"),
    _at("updated_at"),
    _at("expires_at", nullable=True),
    sa.Index("ix_veil_records_subject", "subject_id", "collection"),
    sa.Index("ix_veil_records_expires", "expires_at"),
)

blind_index = sa.Table(
    "veil_blind_index",
    DATA_METADATA,
    sa.Column("collection", sa.String(NAME), primary_key=True),
    sa.Column("field", sa.String(NAME), primary_key=True),
    sa.Column("digest", sa.LargeBinary(32), primary_key=True),
    sa.Column("record_id", sa.String(ID), primary_key=True),
    sa.Column("key_version", sa.Integer, primary_key=True),
    sa.Column("subject_id", sa.String(ID), nullable=False),
    sa.Index("ix_veil_blind_index_subject", "subject_id"),
    sa.Index("ix_veil_blind_index_version", "key_version"),
)

# Which blind-index key version new digests use: each key epoch starts a new one and retires the old,
# so blind-index rows in old data backups match no guess once their key is destroyed.
index_versions = sa.Table(
    "veil_index_versions",
    DATA_METADATA,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    _at("created_at"),
    _at("retired_at", nullable=True),
)

consent_events = sa.Table(
    "veil_consent_events",
    DATA_METADATA,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subject_id", sa.String(ID), nullable=False),
    sa.Column("purpose", sa.String(NAME), nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    _at("at"),
    sa.Column("source", sa.String(128), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Index("ix_veil_consent_subject", "subject_id", "purpose"),
    sa.Index("ix_veil_consent_purpose", "purpose"),
)

requests = sa.Table(
    "veil_requests",
    DATA_METADATA,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("subject_id", sa.String(ID), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("profile", sa.String(32), nullable=False),
    _at("received_at"),
    _at("deadline"),
    sa.Column("extended", sa.Boolean, nullable=False),
    _at("completed_at", nullable=True),
    sa.Column("receipt", sa.Text, nullable=True),
    sa.Index("ix_veil_requests_subject", "subject_id"),
    sa.Index("ix_veil_requests_open", "status", "deadline"),
)

artifacts = sa.Table(
    "veil_artifacts",
    DATA_METADATA,
    sa.Column("artifact_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # dataset | model
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("purpose", sa.String(NAME), nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=True),
    sa.Column("parent_id", sa.String(36), nullable=True),
    _at("created_at"),
    _at("tainted_at", nullable=True),
    sa.Column("erased_subjects", sa.Integer, nullable=False),
)

artifact_subjects = sa.Table(
    "veil_artifact_subjects",
    DATA_METADATA,
    sa.Column("artifact_id", sa.String(36), primary_key=True),
    sa.Column("subject_id", sa.String(ID), primary_key=True),
    sa.Index("ix_veil_artifact_subjects_subject", "subject_id"),
)

audit_entries = sa.Table(
    "veil_audit_entries",
    DATA_METADATA,
    # the leaf's position in the Merkle tree (0-based, as RFC 9162 numbers leaves), assigned under the
    # append lock: no gaps, no reuse
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at_us", sa.BigInteger, nullable=False),  # microseconds since the Unix epoch, UTC
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource", sa.String(256), nullable=False),
    sa.Column("subject", sa.String(ID), nullable=True),
    sa.Column("purpose", sa.String(NAME), nullable=True),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("rule", sa.String(128), nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("counts", sa.Text, nullable=False),
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    sa.Index("ix_veil_audit_actor", "actor", "idx"),
    sa.Index("ix_veil_audit_action", "action", "idx"),
    sa.Index("ix_veil_audit_subject", "subject", "idx"),
    sa.Index("ix_veil_audit_at", "at_us"),
)

# The entries written before the tree existed (migration 0002), kept as they were: readable, unprovable.
audit_unchained = sa.Table(
    "veil_audit_unchained",
    DATA_METADATA,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    _at("at"),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("resource", sa.String(256), nullable=False),
    sa.Column("purpose", sa.String(NAME), nullable=True),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("counts", sa.Text, nullable=False),
)

# Perfect subtrees of the audit tree from TILE_HEIGHT up (lower ones are rebuilt from leaf hashes):
# proofs read O(log n) rows, appends write about one row per eight entries.
audit_nodes = sa.Table(
    "veil_audit_nodes",
    DATA_METADATA,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
)

# One row: the tree's size and right frontier, read and rewritten by every append under its lock.
audit_state = sa.Table(
    "veil_audit_state",
    DATA_METADATA,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("frontier", sa.LargeBinary, nullable=False),
)

audit_heads = sa.Table(
    "veil_audit_heads",
    DATA_METADATA,
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    _at("signed_at"),
    sa.Column("note", sa.Text, nullable=False),  # the C2SP signed-note checkpoint, as published
)

tokens = sa.Table(
    "veil_tokens",
    DATA_METADATA,
    sa.Column("token_id", sa.String(32), primary_key=True),
    sa.Column("principal", sa.String(128), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),  # JSON list of scope strings
    sa.Column("digest", sa.LargeBinary(32), nullable=False),  # HMAC-SHA256 of the secret; never the secret
    sa.Column("label", sa.String(128), nullable=True),
    _at("created_at"),
    _at("expires_at"),
    _at("revoked_at", nullable=True),
    sa.Index("ix_veil_tokens_principal", "principal"),
)

# Differential privacy: one budget per dataset, with the running composition its charges update under
# the row's lock, and every release that spent from it (mechanisms and metadata, never results).
dp_budgets = sa.Table(
    "veil_dp_budgets",
    DATA_METADATA,
    sa.Column("dataset", sa.String(NAME), primary_key=True),
    sa.Column("epsilon", sa.Float, nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),  # subject
    sa.Column("max_contributions", sa.Integer, nullable=False),
    sa.Column("owner", sa.String(128), nullable=False),
    _at("created_at"),
    sa.Column("releases", sa.Integer, nullable=False),
    sa.Column("spent", sa.Float, nullable=False),  # the tightest bound known for all releases so far
    sa.Column("rdp", sa.Text, nullable=False),  # JSON: cumulative Renyi divergence at the accountant's orders
    sa.Column("naive_epsilon", sa.Float, nullable=False),
    sa.Column("naive_delta", sa.Float, nullable=False),
)

dp_releases = sa.Table(
    "veil_dp_releases",
    DATA_METADATA,
    sa.Column("release_id", sa.String(32), primary_key=True),
    sa.Column("dataset", sa.String(NAME), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    _at("at"),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("purpose", sa.String(NAME), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("mechanisms", sa.Text, nullable=False),  # JSON list of {kind, params}
    sa.Column("details", sa.Text, nullable=False),  # JSON metadata: query kind, columns, hyperparameters
    sa.Column("spent_after", sa.Float, nullable=False),
    sa.UniqueConstraint("dataset", "seq", name="uq_veil_dp_releases_seq"),
)

data_keys = sa.Table(
    "veil_data_keys",
    KEYS_METADATA,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("kek_version", sa.Integer, nullable=False),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),
    _at("created_at"),
    # half-empty pages let an epoch rewrite every wrapped key in place (HOT updates), twice as fast
    postgresql_with={"fillfactor": 50},
)

index_keys = sa.Table(
    "veil_index_keys",
    KEYS_METADATA,
    sa.Column("name", sa.String(NAME), primary_key=True),
    sa.Column("kek_version", sa.Integer, nullable=False),
    sa.Column("wrapped", sa.LargeBinary, nullable=False),
)

destroyed_keys = sa.Table(
    "veil_destroyed_keys",
    KEYS_METADATA,
    sa.Column("key_id", sa.String(32), primary_key=True),
    _at("destroyed_at"),
    sa.Column("epoch", sa.Integer, nullable=False),
)

key_epochs = sa.Table(
    "veil_key_epochs",
    KEYS_METADATA,
    sa.Column("epoch", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kek_version", sa.Integer, nullable=False),
    _at("started_at"),
    _at("completed_at", nullable=True),
    sa.Column("rewrapped", sa.Integer, nullable=False),
)
