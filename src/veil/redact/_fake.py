"""Realistic surrogates: one seeded Faker per operator, one derived seed per value.

Each surrogate is drawn from a generator seeded with HMAC(key, entity + value), so
the same original always gets the same surrogate without remembering any original.
"""

from __future__ import annotations

import os
import random
import re
import string
from collections.abc import Callable
from typing import Any

from veil.crypto import keyed_hash

_DATES = frozenset({"DATE_TIME", "DATE_OF_BIRTH"})
_NUMERIC_DATE = re.compile(r"(\d{1,4})([/.-])(\d{1,2})([/.-])(\d{1,4})")
_ATTEMPTS = 8
_CARD_NETWORK_DIGITS = 4

_BY_ENTITY: dict[str, Callable[[Any, str], str]] = {
    "PERSON": lambda f, v: f.name(),
    "EMAIL_ADDRESS": lambda f, v: f.safe_email(),
    "LOCATION": lambda f, v: f.city(),
    "ORGANIZATION": lambda f, v: f.company(),
    "NRP": lambda f, v: f.language_name(),
    "STREET_ADDRESS": lambda f, v: f.street_address(),
    "URL": lambda f, v: f"https://{f.safe_domain_name()}/{f.uri_path()}",
    "IP_ADDRESS": lambda f, v: f.ipv6() if ":" in v else f.ipv4_private(),
    "MAC_ADDRESS": lambda f, v: f.mac_address(),
}


class FakeMaker:
    """Surrogates for one ``Fake`` operator within one Redactor."""

    def __init__(self, seed: int | None) -> None:
        # No seed: a random key, so surrogates are consistent here but unlinkable elsewhere.
        self._key = os.urandom(32) if seed is None else b"veil-fake:" + str(seed).encode()
        self._faker: Any = None

    def __repr__(self) -> str:
        return "FakeMaker()"

    def surrogate(self, entity: str, value: str) -> str:
        digest = keyed_hash(self._key, f"{entity}\x00{value}".encode())
        rng = random.Random(digest)
        for _ in range(_ATTEMPTS):
            made = self._make(entity, value, rng)
            if made != value:
                return made
        return made

    def _make(self, entity: str, value: str, rng: random.Random) -> str:
        build = _BY_ENTITY.get(entity)
        if build is not None:
            faker = self._get_faker()
            faker.seed_instance(rng.getrandbits(64))
            return str(build(faker, value))
        if entity in _DATES:
            return _fake_date(value, rng)
        if entity == "CREDIT_CARD":
            return with_luhn(_keep_network(value, reshape(value, rng)))
        return reshape(value, rng)

    def _get_faker(self) -> Any:
        if self._faker is None:
            from faker import Faker  # slow to import; only Fake needs it

            self._faker = Faker("en_US")
        return self._faker


def reshape(value: str, rng: random.Random) -> str:
    """Same shape: digits to digits, letters to letters of the same case, the rest kept."""
    out = []
    for index, char in enumerate(value):
        if char.isdigit():
            starts_run = index == 0 or not value[index - 1].isdigit()
            lowest = 1 if starts_run and char != "0" else 0
            out.append(str(rng.randint(lowest, 9)))
        elif char in string.ascii_uppercase:
            out.append(rng.choice(string.ascii_uppercase))
        elif char in string.ascii_lowercase:
            out.append(rng.choice(string.ascii_lowercase))
        else:
            out.append(char)
    return "".join(out)


def _keep_network(original: str, made: str) -> str:
    """The first four digits name the card network (shown on receipts), so a surrogate keeps them."""
    out = list(made)
    for index in [i for i, c in enumerate(original) if c.isdigit()][:_CARD_NETWORK_DIGITS]:
        out[index] = original[index]
    return "".join(out)


def with_luhn(number: str) -> str:
    """Fix the last digit so the surrogate passes the Luhn check, like a real card."""
    positions = [i for i, c in enumerate(number) if c.isdigit()]
    if len(positions) < 2:
        return number
    body = [int(number[i]) for i in positions[:-1]]
    total = 0
    for offset, digit in enumerate(reversed(body)):
        doubled = digit * 2 if offset % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    check = (10 - total % 10) % 10
    last = positions[-1]
    return number[:last] + str(check) + number[last + 1:]


def _fake_date(value: str, rng: random.Random) -> str:
    """A numeric date keeps its layout with a valid day and month; others become ISO."""
    year, month, day = rng.randint(1950, 2020), rng.randint(1, 12), rng.randint(1, 12)
    match = _NUMERIC_DATE.fullmatch(value.strip())
    if match is None:
        return f"{year:04d}-{month:02d}-{day:02d}"
    first, sep1, middle, sep2, last = match.groups()
    if len(first) == 4:
        return f"{year:04d}{sep1}{month:0{len(middle)}d}{sep2}{day:0{len(last)}d}"
    # Day and month are both 1-12, so day-first and month-first readings are both valid.
    year_text = f"{year:04d}"[-len(last):]
    return f"{day:0{len(first)}d}{sep1}{month:0{len(middle)}d}{sep2}{year_text}"
