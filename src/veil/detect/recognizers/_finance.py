"""Payment cards and IBANs, each checked by its checksum."""

from __future__ import annotations

import re

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect._validators import IBAN_LENGTHS, credit_card, iban

_NEGATIVE = ("order", "invoice", "ref", "reference", "tracking", "serial", "sku", "ticket",
             "transaction id", "confirmation", "uuid", "hash", "id")

CREDIT_CARD = Recognizer(
    name="credit_card",
    entity=Entity.CREDIT_CARD,
    patterns=(
        # 12-19 digits, optionally grouped by single spaces or dashes.
        Pattern("card", r"(?<![\w.-])\d(?:[ -]?\d){11,18}(?![\w]|[.-]\d)", 0.85),
    ),
    validator=credit_card,
    context=("card", "credit", "debit", "visa", "mastercard", "amex", "american express",
             "discover", "cc", "payment", "pan", "cvv", "expiry"),
    negative_context=_NEGATIVE,
    priority=90,
)

_ALNUM = re.compile(r"[A-Za-z0-9]")


def _iban_spans(candidate: str) -> list[tuple[int, int, float]]:
    """Cut the candidate at the country's IBAN length (capitals may follow it)."""
    wanted = IBAN_LENGTHS.get(candidate[:2].upper())
    if wanted is None:
        return []
    for seen, match in enumerate(_ALNUM.finditer(candidate), start=1):
        if seen == wanted:
            end = match.end()
            return [(0, end, 0.95)] if iban(candidate[:end]) else []
    return []


IBAN = Recognizer(
    name="iban",
    entity=Entity.IBAN_CODE,
    patterns=(
        Pattern("iban", r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![a-z0-9])", 0.95),
    ),
    refine=_iban_spans,
    context=("iban", "bank", "account", "transfer", "sepa", "wire"),
    priority=90,
)

RECOGNIZERS: tuple[Recognizer, ...] = (CREDIT_CARD, IBAN)
