"""Validators: checksums and parses that turn a pattern match into a real finding.

Each takes the candidate text and returns True when it is a real instance.
They are named in ``VALIDATORS`` so custom recognizer files can refer to them;
any python-stdnum format is also available as ``stdnum:<module>`` (for example
``stdnum:nl.bsn``).
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Callable

from veil.errors import ConfigError

_NON_DIGIT = re.compile(r"\D")
_NON_ALNUM = re.compile(r"[^0-9A-Za-z]")


def digits(text: str) -> str:
    return _NON_DIGIT.sub("", text)


def luhn(text: str) -> bool:
    number = digits(text)
    if len(number) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


# Issuer ranges (prefix, lengths) of the card networks in use.
_CARD_RANGES: tuple[tuple[tuple[int, int], tuple[int, ...]], ...] = (
    ((4, 4), (13, 16, 19)),  # Visa
    ((51, 55), (16,)),  # Mastercard
    ((2221, 2720), (16,)),  # Mastercard 2-series
    ((34, 34), (15,)),  # American Express
    ((37, 37), (15,)),
    ((6011, 6011), (16, 19)),  # Discover
    ((644, 649), (16, 19)),
    ((65, 65), (16, 19)),
    ((3528, 3589), (16, 19)),  # JCB
    ((300, 305), (14, 16, 19)),  # Diners Club
    ((36, 36), (14, 16, 19)),
    ((38, 39), (16, 19)),
    ((62, 62), (16, 17, 18, 19)),  # UnionPay
    ((5018, 5018), (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ((5020, 5020), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((5038, 5038), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((5893, 5893), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((6304, 6304), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((6759, 6763), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((2200, 2204), (16, 17, 18, 19)),  # Mir
)


def credit_card(text: str) -> bool:
    """Luhn plus a known issuer range and length; a repeated digit is a placeholder."""
    number = digits(text)
    if len(set(number)) < 2:
        return False
    for (low, high), lengths in _CARD_RANGES:
        width = len(str(low))
        if len(number) in lengths and low <= int(number[:width]) <= high:
            return luhn(number)
    return False


IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}


def iban(text: str) -> bool:
    """ISO 13616: the country's length and the mod-97 check."""
    compact = _NON_ALNUM.sub("", text).upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def us_ssn(text: str) -> bool:
    """Area 000, 666 and 900-999, group 00 and serial 0000 are never issued."""
    number = digits(text)
    if len(number) != 9 or len(set(number)) == 1:
        return False
    area, group, serial = number[:3], number[3:5], number[5:]
    if area in {"000", "666"} or area >= "900" or group == "00" or serial == "0000":
        return False
    return number not in {"123456789", "078051120", "219099999"}


def us_itin(text: str) -> bool:
    """ITINs start with 9 and have a group of 50-65, 70-88, 90-92 or 94-99."""
    number = digits(text)
    if len(number) != 9 or number[0] != "9":
        return False
    group = int(number[3:5])
    return 50 <= group <= 65 or 70 <= group <= 88 or 90 <= group <= 92 or 94 <= group <= 99


def _ipv4_fast(text: str) -> bool | None:
    """Plain dotted quads without a prefix decide here, without ipaddress's overhead."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return None
    return all(int(p) <= 255 and (p == "0" or p[0] != "0") for p in parts)


def ip_address(text: str) -> bool:
    fast = _ipv4_fast(text)
    if fast is not None:
        return fast
    candidate = text.strip("[]")
    if "/" in candidate:
        candidate, _, prefix = candidate.partition("/")
        if not prefix.isdigit():
            return False
    try:
        address = ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return False
    return not (address.version == 4 and candidate.count(".") != 3)


def stdnum_validator(module_name: str) -> Callable[[str], bool]:
    """``is_valid`` of a python-stdnum format module, such as ``nl.bsn``."""
    if not re.fullmatch(r"[a-z_]+(\.[a-z_0-9]+)*", module_name):
        raise ConfigError(f"not a python-stdnum module name: {module_name!r}")
    try:
        module = importlib.import_module(f"stdnum.{module_name}")
    except ImportError as exc:
        raise ConfigError(f"python-stdnum has no module {module_name!r}") from exc
    check = getattr(module, "is_valid", None)
    if check is None:
        raise ConfigError(f"python-stdnum module {module_name!r} has no is_valid()")

    def validate(text: str) -> bool:
        return bool(check(text))

    validate.__name__ = f"stdnum_{module_name.replace('.', '_')}"
    return validate


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "credit_card": credit_card,
    "iban": iban,
    "ip_address": ip_address,
    "luhn": luhn,
    "us_itin": us_itin,
    "us_ssn": us_ssn,
}


def register_validator(name: str, check: Callable[[str], bool]) -> None:
    """Make ``check`` available to recognizer files under ``name``."""
    VALIDATORS[name] = check


def get_validator(name: str) -> Callable[[str], bool]:
    if name.startswith("stdnum:"):
        return stdnum_validator(name.removeprefix("stdnum:"))
    try:
        return VALIDATORS[name]
    except KeyError:
        known = ", ".join(sorted(VALIDATORS))
        raise ConfigError(f"unknown validator {name!r}; known: {known}, stdnum:<module>") from None
