"""Passport and driver's licence numbers.

Their formats are short letter-and-digit runs with no public checksum, the
same shapes as order and account numbers, so they are reported only next to
a word that names the document.
"""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer

_NEGATIVE = ("order", "invoice", "tracking", "ref", "reference", "sku", "ticket", "serial",
             "phone", "tel", "fax", "zip", "postcode", "account no")

# Edges of an id: no letter, digit or dash on either side.
_START = r"(?<![A-Za-z0-9-])"
_END = r"(?![A-Za-z0-9]|-[A-Za-z0-9])"


def _id(name: str, body: str, score: float) -> Pattern:
    return Pattern(name, _START + body + _END, score)


def _not_placeholder(text: str) -> bool:
    """A run of one repeated digit (000000000) is a form's placeholder."""
    digits = [c for c in text if c.isdigit()]
    return len(set(digits)) > 1


PASSPORT = Recognizer(
    name="passport",
    entity=Entity.PASSPORT,
    patterns=(
        # Most booklets: one or two letters then 6-9 digits (C1234567, AB1234567).
        _id("passport_letters", r"[A-Z]{1,2}\d{6,9}", 0.45),
        # US and UK booklets: nine digits.
        _id("passport_digits", r"\d{9}", 0.45),
    ),
    validator=_not_placeholder,
    context=("passport", "passport no", "passport number", "passport #", "travel document",
             "passeport", "reisepass", "pasaporte", "passaporto"),
    negative_context=_NEGATIVE,
    requires_context=True,
    priority=60,
)

DRIVER_LICENSE = Recognizer(
    name="driver_license",
    entity=Entity.DRIVER_LICENSE,
    patterns=(
        # Many US states: one letter then 7-12 digits (A1234567, D12345678901).
        _id("dl_letter_digits", r"[A-Z]\d{7,12}", 0.45),
        # Florida and Wisconsin print theirs in dashed groups (W426-545-30-761-0).
        _id("dl_dashed", r"[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d", 0.45),
        # Two letters then digits (Washington's older forms, several provinces).
        _id("dl_two_letters", r"[A-Z]{2}\d{6,8}", 0.45),
        # Digit-only states (New York, Texas, Pennsylvania): 7-9 digits.
        _id("dl_digits", r"\d{7,9}", 0.45),
        # Great Britain: surname (9-padded), birth date digits, initials, check, issue.
        _id("dl_gb", r"[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}", 0.45),
    ),
    validator=_not_placeholder,
    context=("driver's license", "driver’s license", "drivers license", "driver license",
             "driver's licence", "driver’s licence", "drivers licence", "driver licence",
             "driving licence", "driving license", "license number", "licence number",
             "license no", "licence no", "dl", "dl#", "dln", "permis de conduire",
             "führerschein", "fuhrerschein"),
    negative_context=_NEGATIVE,
    requires_context=True,
    priority=55,
)

RECOGNIZERS: tuple[Recognizer, ...] = (PASSPORT, DRIVER_LICENSE)
