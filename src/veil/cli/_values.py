"""``FIELD=VALUE`` arguments: a value is JSON when it parses as JSON, else the text as given.

A field declared ``string`` keeps the text as typed (``name=123`` is the string "123"), a
``date`` field takes ``YYYY-MM-DD``; ``null`` removes a field where the call allows it.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated

import typer

from veil.cli._io import UsageProblem
from veil.errors import InvalidInput
from veil.vault import CollectionSpec, FieldType

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

FieldValues = Annotated[list[str], typer.Argument(
    metavar="FIELD=VALUE...", show_default=False,
    help="Field values; JSON when a value parses as JSON (42, true, null), else the text as given.")]


def field_values(pairs: list[str], spec: CollectionSpec) -> dict[str, object]:
    """The values of ``pairs`` for collection ``spec``; errors name fields, never values."""
    values: dict[str, object] = {}
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name:
            raise UsageProblem("field values must be given as FIELD=VALUE")
        if name in values:
            raise UsageProblem(f"field {_shown(name)} is given twice")
        declared = spec.fields.get(name)
        values[name] = _value(text, declared.type if declared else None, f"{spec.name}.{_shown(name)}")
    return values


def _value(text: str, kind: FieldType | None, where: str) -> object:
    try:
        parsed: object = json.loads(text)
    except (ValueError, RecursionError):
        parsed = text
    if kind is FieldType.STRING and parsed is not None and not isinstance(parsed, str):
        return text
    if kind is FieldType.DATE and isinstance(parsed, str):
        try:
            return date.fromisoformat(parsed)
        except ValueError:
            raise InvalidInput(f"field {where} must be a date (YYYY-MM-DD)") from None
    return parsed


def _shown(name: str) -> str:
    return name if _NAME.fullmatch(name) else "(a name that is not an identifier)"
