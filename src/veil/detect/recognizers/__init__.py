"""The built-in recognizers, one module per family.

Families are imported on first use: the credential families alone (``secret_recognizers``)
load no phone-number or national-id library, which keeps ``veil scan`` quick to start.
"""

from __future__ import annotations

import importlib
from functools import cache

from veil.detect._recognizer import Recognizer

_FAMILIES = (
    "_contact", "_network", "_finance", "_us", "_dates", "_address", "_national", "_documents", "_wallets",
    "_secrets", "_tokens", "_places", "_labelled", "_columns",
)
_SECRET_FAMILIES = ("_secrets", "_tokens")


def _load(families: tuple[str, ...]) -> tuple[Recognizer, ...]:
    modules = [importlib.import_module(f"veil.detect.recognizers.{name}") for name in families]
    return tuple(r for module in modules for r in module.RECOGNIZERS)


@cache
def builtin_recognizers() -> tuple[Recognizer, ...]:
    return _load(_FAMILIES)


@cache
def secret_recognizers() -> tuple[Recognizer, ...]:
    """The built-in credential recognizers: every built-in whose entity is a secret."""
    return _load(_SECRET_FAMILIES)


__all__ = ["builtin_recognizers", "secret_recognizers"]
