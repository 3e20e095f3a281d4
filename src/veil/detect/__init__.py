"""Detection of personal data and secrets in text.

``detect(text)`` uses the built-in recognizers; ``Detector`` is the configured
form (entities, threshold, allow/deny lists, custom recognizers, NER plug-in).
"""

from __future__ import annotations

from functools import cache

from veil._callable_module import make_callable as _make_callable
from veil.detect._context import CONTEXT_BOOST, NEGATIVE_PENALTY
from veil.detect._custom import load_recognizers
from veil.detect._detector import DEFAULT_THRESHOLD, Detector, NerModel
from veil.detect._engine import compiled_patterns, hyperscan_available, load_compiled_patterns
from veil.detect._entities import SECRET_ENTITIES, Entity, EntityName
from veil.detect._finding import Finding
from veil.detect._ner import SpacyNer
from veil.detect._recognizer import Pattern, Recognizer, Refiner, Validator
from veil.detect._validators import get_validator, register_validator
from veil.detect.recognizers import builtin_recognizers, secret_recognizers


@cache
def default_detector() -> Detector:
    """The shared detector with the built-in recognizers and no NER."""
    return Detector()


def detect(text: str) -> list[Finding]:
    """Personal data and secrets in ``text`` with the built-in recognizers."""
    return default_detector().detect(text)


_make_callable(__name__, detect)

__all__ = [
    "CONTEXT_BOOST",
    "DEFAULT_THRESHOLD",
    "NEGATIVE_PENALTY",
    "SECRET_ENTITIES",
    "Detector",
    "Entity",
    "EntityName",
    "Finding",
    "NerModel",
    "Pattern",
    "Recognizer",
    "Refiner",
    "SpacyNer",
    "Validator",
    "builtin_recognizers",
    "compiled_patterns",
    "default_detector",
    "detect",
    "get_validator",
    "hyperscan_available",
    "load_compiled_patterns",
    "load_recognizers",
    "register_validator",
    "secret_recognizers",
]
