"""Veil: a privacy layer for AI applications."""

from __future__ import annotations

from veil.detect import Detector, Entity, Finding, detect
from veil.errors import VeilError

__version__ = "0.1.0"

__all__ = [
    "Detector",
    "Entity",
    "Finding",
    "VeilError",
    "__version__",
    "detect",
]
