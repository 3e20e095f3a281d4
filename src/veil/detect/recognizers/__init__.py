"""The built-in recognizers, one module per family."""

from __future__ import annotations

from functools import cache

from veil.detect._recognizer import Recognizer
from veil.detect.recognizers import (
    _address,
    _columns,
    _contact,
    _dates,
    _documents,
    _finance,
    _labelled,
    _national,
    _network,
    _places,
    _secrets,
    _us,
    _wallets,
)

_FAMILIES = (
    _contact, _network, _finance, _us, _dates, _address, _national, _documents, _wallets,
    _secrets, _places, _labelled, _columns,
)


@cache
def builtin_recognizers() -> tuple[Recognizer, ...]:
    return tuple(r for family in _FAMILIES for r in family.RECOGNIZERS)


__all__ = ["builtin_recognizers"]
