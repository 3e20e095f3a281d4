"""Veil: a privacy layer for AI applications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from veil.detect import Detector, Entity, Finding
from veil.errors import VeilError

if TYPE_CHECKING:
    from veil.detect import detect
else:  # the package itself, made callable (see veil._callable_module)
    from veil import detect

__version__ = "0.1.0"

__all__ = [
    "Detector",
    "Entity",
    "Finding",
    "VeilError",
    "__version__",
    "detect",
]
