"""Placeholder: filled in by its owner."""

from __future__ import annotations

from veil.detect._recognizer import Recognizer

RECOGNIZERS: tuple[Recognizer, ...] = ()
