"""Options shared by ``veil detect`` and ``veil redact``, and the detector they configure."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

import typer

from veil.cli._io import UsageProblem, existing_file
from veil.detect import (
    DEFAULT_THRESHOLD,
    Detector,
    Entity,
    NerModel,
    Recognizer,
    SpacyNer,
    default_detector,
    load_recognizers,
)

_ENTITY_NAME = re.compile(r"[A-Z][A-Z0-9_]{0,63}")

Entities = Annotated[str | None, typer.Option(
    "--entities", metavar="NAMES",
    help="Comma-separated entity types to look for, e.g. EMAIL_ADDRESS,PHONE_NUMBER (default: all).")]
Threshold = Annotated[float, typer.Option(
    "--threshold", min=0.0, max=1.0, help="Lowest score a finding needs to be reported.")]
Ner = Annotated[bool, typer.Option(
    "--ner/--no-ner", help="Also find names, places and organisations with spaCy (needs veil[ner]).")]
Recognizers = Annotated[str | None, typer.Option(
    "--recognizers", metavar="FILE", help="Extra recognizers from a TOML or YAML file.")]
Allow = Annotated[list[str] | None, typer.Option(
    "--allow", metavar="VALUE", help="A value never to report (exact match); repeat for more.")]
Output = Annotated[str | None, typer.Option(
    "--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")]


class Errors(StrEnum):
    STRICT = "strict"
    REPLACE = "replace"


ErrorsOption = Annotated[Errors, typer.Option(
    "--errors", help="Invalid UTF-8: 'strict' stops with the byte offset, 'replace' decodes it as U+FFFD.")]


def split_list(raw: str | None) -> list[str] | None:
    return None if raw is None else [part.strip() for part in raw.split(",") if part.strip()]


def build_detector(entities: str | None, threshold: float, ner: bool, recognizers: str | None,
                   allow: list[str] | None) -> Detector:
    """The detector the options describe; the shared default one when no option changes it."""
    wanted = split_list(entities)
    extra = _load_extra(recognizers)
    if wanted is None and threshold == DEFAULT_THRESHOLD and not (ner or extra or allow):
        return default_detector()
    if wanted is not None:
        _check_entities(wanted, extra)
    return Detector(entities=wanted, threshold=threshold, allow=allow or (), extra=extra,
                    ner=_ner_model() if ner else None)


def _load_extra(path: str | None) -> list[Recognizer]:
    if path is None:
        return []
    return load_recognizers(existing_file(path, "recognizer file"))


def _check_entities(wanted: list[str], extra: list[Recognizer]) -> None:
    known = {str(e) for e in Entity} | {str(r.entity) for r in extra}
    unknown = sorted(set(wanted) - known)
    if unknown:  # echoed only when it looks like a name: a value pasted here is not repeated
        name = repr(unknown[0]) if _ENTITY_NAME.fullmatch(unknown[0]) else "(not an entity name)"
        raise UsageProblem(f"unknown entity type {name} (see veil.detect.Entity)")


def _ner_model() -> NerModel:
    return SpacyNer()  # spaCy itself is imported here, only when --ner asks for it
