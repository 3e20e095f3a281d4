"""Veil: a privacy layer for AI applications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from veil.detect import Detector, Entity, Finding
from veil.errors import VeilError
from veil.redact import Redactor

if TYPE_CHECKING:
    from veil.detect import detect
    from veil.redact import redact
else:  # the packages themselves, made callable (see veil._callable_module)
    from veil import detect, redact

__version__ = "0.1.0"

__all__ = [
    "Detector",
    "Entity",
    "Finding",
    "Redactor",
    "VeilError",
    "__version__",
    "detect",
    "redact",
]
