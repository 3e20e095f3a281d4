"""US Social Security and Individual Taxpayer Identification Numbers."""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect._validators import us_itin, us_ssn

_NEGATIVE = ("order", "invoice", "ref", "reference", "tracking", "serial", "sku", "ticket",
             "phone", "tel", "zip", "routing", "account", "acct", "id")

US_SSN = Recognizer(
    name="us_ssn",
    entity=Entity.US_SSN,
    patterns=(
        Pattern("ssn_dashed", r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w]|-\d)", 0.85),
        Pattern("ssn_spaced", r"(?<![\w-])\d{3} \d{2} \d{4}(?![\w-])", 0.5),
        # Nine bare digits are an SSN only next to a context word.
        Pattern("ssn_plain", r"(?<![\w-])\d{9}(?![\w-])", 0.3),
    ),
    validator=us_ssn,
    context=("ssn", "social security", "social sec", "ss#", "ss #", "soc sec", "taxpayer"),
    negative_context=_NEGATIVE,
    priority=80,
)

US_ITIN = Recognizer(
    name="us_itin",
    entity=Entity.US_ITIN,
    patterns=(
        Pattern("itin_dashed", r"(?<![\w-])9\d{2}-\d{2}-\d{4}(?![\w]|-\d)", 0.5),
        Pattern("itin_plain", r"(?<![\w-])9\d{8}(?![\w-])", 0.2),
    ),
    validator=us_itin,
    context=("itin", "taxpayer", "tax id", "individual taxpayer"),
    negative_context=_NEGATIVE,
    priority=80,
)

RECOGNIZERS: tuple[Recognizer, ...] = (US_SSN, US_ITIN)
