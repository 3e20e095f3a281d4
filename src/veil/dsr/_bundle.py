"""The export bundle of an access or portability request: everything held about one subject, as JSON.

Its shape is ``export.schema.json`` (``EXPORT_SCHEMA``); every value is plain JSON, dates
and times as ISO 8601 strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from importlib.resources import files
from typing import Any

from veil.errors import NotFound
from veil.vault import Artifact, ConsentEvent, Record, SubjectData, Vault

#: The ``format`` of every bundle this version writes.
EXPORT_FORMAT = "veil-export/1"


def load_schema() -> dict[str, Any]:
    text = files("veil.dsr").joinpath("export.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def build(vault: Vault, *, request_id: str, subject_id: str, profile: str,
          previous: Sequence[Mapping[str, str]], actor: str, now: datetime) -> dict[str, Any]:
    """The bundle for ``subject_id``; an unregistered subject gets empty collections, not an error."""
    data = _subject_data(vault, subject_id, actor=actor, request_id=request_id)
    return {
        "format": EXPORT_FORMAT,
        "generated_at": now.isoformat(),
        "request_id": request_id,
        "subject": {"subject_id": subject_id, "region": data.region if data else None, "profile": profile},
        "collections": {name: [_record(r) for r in found]
                        for name, found in (data.records.items() if data else ())},
        "consent": [_consent(e) for e in (data.consent if data else vault.consent.history(subject_id))],
        "derived": {
            "artifacts": [_artifact(a) for a in data.artifacts] if data else [],
            "stores": dict(data.derived) if data else _store_counts(vault, subject_id),
        },
        "requests": [dict(summary) for summary in previous],
    }


def _subject_data(vault: Vault, subject_id: str, *, actor: str, request_id: str) -> SubjectData | None:
    try:
        vault.subject(subject_id, actor=actor)
    except NotFound:
        return None  # never registered, or already erased: nothing sealed to export
    return vault.subject_data(subject_id, actor=actor, request_id=request_id)


def _store_counts(vault: Vault, subject_id: str) -> dict[str, int]:
    return {name: store.count_subject(subject_id) for name, store in vault.derived_stores.items()}


def _record(record: Record) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "fields": {name: _plain(value) for name, value in record.fields.items()},
    }


def _plain(value: object) -> object:
    # date and datetime are the only decoded field values JSON cannot carry as they are
    return value.isoformat() if isinstance(value, date) else value


def _consent(event: ConsentEvent) -> dict[str, Any]:
    return {"purpose": event.purpose, "granted": event.granted, "at": event.at.isoformat(),
            "source": event.source, "policy_version": event.policy_version}


def _artifact(artifact: Artifact) -> dict[str, Any]:
    return {"artifact_id": artifact.artifact_id, "kind": artifact.kind, "name": artifact.name,
            "purpose": artifact.purpose, "created_at": artifact.created_at.isoformat()}


def counts(bundle: Mapping[str, Any]) -> dict[str, int]:
    """Records per collection of a bundle: what its receipt states instead of values."""
    return {name: len(found) for name, found in bundle["collections"].items()}
