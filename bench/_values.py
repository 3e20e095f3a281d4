"""Seeded generators of labelled values (PII, secrets) for the benchmark dev set.

Every value is synthetic: Faker for names and places, random digits with real
check digits (Luhn, mod-97, CRC32) for numbers that carry one.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from faker import Faker

T = TypeVar("T")
_NAME_LOCALES = ("en_US", "en_US", "en_GB", "en_IN", "de_DE", "fr_FR", "es_ES", "en_AU")
_CITY_LOCALES = ("en_US", "en_GB", "en_IN", "de_DE", "es_ES", "en_AU", "fr_FR")
_STATE_LOCALES = ("en_US", "en_US", "en_IN", "en_AU")
_STREET_LOCALES = ("en_US", "en_US", "en_AU", "en_GB", "de_DE")
_MAIL_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.co.uk", "proton.me", "web.de", "orange.fr", "icloud.com",
    "hotmail.com", "fastmail.fm", "mail.example.org", "corp.acme-widgets.com", "uni-bonn.de",
    "students.ucl.ac.uk", "gmx.net", "zoho.in", "company.io",
)
_URL_TLDS = (
    "com", "org", "net", "io", "biz", "museum", "dev", "app", "co.uk", "de", "fr", "info",
    "travel", "ai", "shop", "xyz", "co", "me", "museum", "biz",
)
_US_AREAS = (
    "212", "213", "305", "312", "404", "415", "503", "512", "617", "646", "702", "713", "206",
    "303", "718", "801", "919", "202", "480", "614",
)
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_B64URL = string.ascii_letters + string.digits + "-_"
_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
_VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]
# BBAN layouts from the IBAN registry: n digits, a capitals, c alphanumerics.
_IBAN_LAYOUTS = {
    "DE": "18n", "GB": "4a14n", "FR": "10n11c2n", "NL": "4a10n", "IT": "1a10n12c", "CH": "5n12c",
    "AT": "16n", "PL": "24n", "IE": "4a14n", "SE": "20n", "DK": "14n",
}


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return luhn_digit(number[:-1]) == number[-1]


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def verhoeff_digit(body: str) -> str:
    c = 0
    for i, ch in enumerate(reversed(body)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return str(_VERHOEFF_INV[c])


def _base62(number: int, width: int) -> str:
    out = ""
    while number:
        number, rem = divmod(number, 62)
        out = _BASE62[rem] + out
    return out.rjust(width, "0")


class Values:
    """One seeded source of values; every method returns a fresh random value."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._fakers: dict[str, Faker] = {}
        self._seed = seed
        self.last_person: tuple[str, str] | None = None

    def faker(self, locale: str) -> Faker:
        if locale not in self._fakers:
            fake = Faker(locale)
            fake.seed_instance(self._seed * 1000 + len(self._fakers))
            self._fakers[locale] = fake
        return self._fakers[locale]

    def pick(self, items: Sequence[T]) -> T:
        return self.rng.choice(items)

    def digits(self, n: int) -> str:
        return "".join(self.rng.choice(string.digits) for _ in range(n))

    # -- people and places -------------------------------------------------
    def person(self) -> str:
        fake = self.faker(self.pick(_NAME_LOCALES))
        first, last = fake.first_name(), fake.last_name()
        self.last_person = (first, last)
        if self.rng.random() < 0.12:
            return f"{first} {self.pick(string.ascii_uppercase)}. {last}"
        return f"{first} {last}"

    def first_name(self) -> str:
        name = self.faker(self.pick(_NAME_LOCALES)).first_name()
        self.last_person = (name, self.faker("en_US").last_name())
        return name

    def city(self) -> str:
        return str(self.faker(self.pick(_CITY_LOCALES)).city())

    def country(self) -> str:
        return str(self.faker("en_US").country())

    def state(self) -> str:
        return str(self.faker(self.pick(_STATE_LOCALES)).state())

    def location(self) -> str:
        roll = self.rng.random()
        return self.city() if roll < 0.5 else self.country() if roll < 0.8 else self.state()

    def street(self) -> str:
        text = str(self.faker(self.pick(_STREET_LOCALES)).street_address())
        return text.replace("\n", ", ")

    # -- contact -----------------------------------------------------------
    def email(self) -> str:
        if self.last_person and self.rng.random() < 0.6:
            first, last = (_ascii_slug(p) for p in self.last_person)
            local = self.pick((f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}",
                               f"{first}{self.rng.randint(1, 99)}", f"{last}.{first[0]}"))
        else:
            local = self.faker("en_US").user_name()
        if self.rng.random() < 0.08:
            local += "+" + self.pick(("news", "billing", "test", "shop"))
        return f"{local}@{self.pick(_MAIL_DOMAINS)}"

    def org_email(self) -> str:
        local = self.pick(("support", "help", "billing", "noreply", "hr", "privacy"))
        return f"{local}@{self.faker('en_US').word()}.{self.pick(('com', 'io', 'co.uk', 'de'))}"

    def phone(self) -> str:
        return self.pick((self._phone_us, self._phone_us, self._phone_uk, self._phone_de,
                          self._phone_fr, self._phone_in))()

    def _phone_us(self) -> str:
        area = self.pick(_US_AREAS)
        ex, line = f"{self.rng.randint(2, 9)}{self.digits(2)}", self.digits(4)
        return self.pick((f"({area}) {ex}-{line}", f"{area}-{ex}-{line}", f"{area}.{ex}.{line}",
                          f"+1 {area} {ex} {line}", f"+1-{area}-{ex}-{line}", f"1-{area}-{ex}-{line}"))

    def _phone_uk(self) -> str:
        if self.rng.random() < 0.5:
            rest = f"7{self.pick('4579')}{self.digits(2)} {self.digits(6)}"
            return self.pick((f"+44 {rest}", f"0{rest}", f"+44 (0){rest}"))
        rest = f"20 {self.pick('378')}{self.digits(3)} {self.digits(4)}"
        return self.pick((f"+44 {rest}", f"0{rest}"))

    def _phone_de(self) -> str:
        if self.rng.random() < 0.5:
            area, sub = self.pick(("30", "40", "89", "69", "221")), self.digits(7)
            return self.pick((f"+49 {area} {sub}", f"+49 (0){area} {sub[:4]} {sub[4:]}",
                              f"0{area} {sub}", f"0{area}/{sub}"))
        mob = f"1{self.pick(('51', '60', '70', '76'))}{self.digits(8)}"
        return self.pick((f"+49 {mob[:3]} {mob[3:]}", f"0{mob[:3]} {mob[3:]}"))

    def _phone_fr(self) -> str:
        first = self.pick("1234567")
        groups = " ".join(self.digits(2) for _ in range(4))
        return self.pick((f"+33 {first} {groups}", f"0{first} {groups}",
                          f"0{first}.{groups.replace(' ', '.')}"))

    def _phone_in(self) -> str:
        mob = f"{self.pick('6789')}{self.digits(9)}"
        return self.pick((f"+91 {mob[:5]} {mob[5:]}", f"+91-{mob}", f"0{mob}", f"+91 {mob}"))

    # -- finance and ids ---------------------------------------------------
    def card(self) -> str:
        prefix, length = self.pick((("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16),
                                    ("34", 15), ("37", 15), ("6011", 16), ("3530", 16),
                                    ("36", 14), ("65", 16)))
        body = prefix + self.digits(length - len(prefix) - 1)
        number = body + luhn_digit(body)
        sep = self.pick((" ", "-", "", " "))
        if length == 15 or length == 14:
            parts = [number[:4], number[4:10], number[10:]]
        else:
            parts = [number[i:i + 4] for i in range(0, 16, 4)]
        return sep.join(parts)

    def ssn(self) -> str:
        area = self.rng.choice([a for a in range(1, 900) if a != 666])
        number = f"{area:03d}-{self.rng.randint(1, 99):02d}-{self.rng.randint(1, 9999):04d}"
        roll = self.rng.random()
        return number if roll < 0.8 else number.replace("-", " ") if roll < 0.9 else \
            number.replace("-", "")

    def iban(self) -> str:
        country = self.pick(sorted(_IBAN_LAYOUTS))
        bban = ""
        for count, kind in _layout(_IBAN_LAYOUTS[country]):
            alphabet = {"n": string.digits, "a": string.ascii_uppercase,
                        "c": string.digits + string.ascii_uppercase}[kind]
            bban += "".join(self.rng.choice(alphabet) for _ in range(count))
        compact = country + iban_check_digits(country, bban) + bban
        if self.rng.random() < 0.45:
            return compact
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))

    def nino(self) -> str:
        head = self.pick(_NINO_FIRST) + self.pick(_NINO_SECOND)
        if head in {"GB", "NK", "TN", "ZZ", "BG", "KN", "NT"}:
            head = "AB"
        d = self.digits(6)
        tail = self.pick("ABCD")
        return self.pick((f"{head}{d}{tail}", f"{head} {d[:2]} {d[2:4]} {d[4:]} {tail}"))

    def nhs(self) -> str:
        while True:
            body = self.digits(9)
            check = 11 - sum(int(c) * (10 - i) for i, c in enumerate(body)) % 11
            if check == 11:
                check = 0
            if check != 10:
                n = body + str(check)
                return self.pick((n, f"{n[:3]} {n[3:6]} {n[6:]}"))

    def aadhaar(self) -> str:
        body = str(self.rng.randint(2, 9)) + self.digits(10)
        n = body + verhoeff_digit(body)
        return self.pick((f"{n[:4]} {n[4:8]} {n[8:]}", n))

    def pan(self) -> str:
        letters = "".join(self.rng.choice(string.ascii_uppercase) for _ in range(3))
        return f"{letters}{self.pick('PCHF')}{self.pick(string.ascii_uppercase)}" \
               f"{self.digits(4)}{self.pick(string.ascii_uppercase)}"

    def sin(self) -> str:
        body = str(self.rng.randint(1, 7)) + self.digits(7)
        n = body + luhn_digit(body)
        return self.pick((f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}"))

    # -- network -----------------------------------------------------------
    def ipv4(self) -> str:
        if self.rng.random() < 0.3:
            return self.pick((f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}",
                              f"192.168.{self.rng.randint(0, 255)}",
                              f"172.{self.rng.randint(16, 31)}.{self.rng.randint(0, 255)}")) \
                + f".{self.rng.randint(1, 254)}"
        return ".".join(str(self.rng.randint(1, 254)) for _ in range(4))

    def ipv6(self) -> str:
        groups = [self.rng.randint(0, 0xFFFF) for _ in range(8)]
        if self.rng.random() < 0.5:
            groups[3:6] = [0, 0, 0]
        addr = ipaddress.IPv6Address(":".join(f"{g:x}" for g in [0x2001, 0xDB8, *groups[2:]]))
        return addr.compressed if self.rng.random() < 0.7 else addr.exploded

    def ip(self) -> str:
        return self.ipv6() if self.rng.random() < 0.25 else self.ipv4()

    def url(self) -> str:
        word = self.faker("en_US").word()
        host = self.pick((f"www.{word}", f"{word}-{self.faker('en_US').word()}", f"shop.{word}",
                          f"{word}", f"app.{word}", f"docs.{word}"))
        scheme = self.pick(("https://", "https://", "http://", ""))
        if not scheme and not host.startswith("www."):
            scheme = "https://"
        path = self.pick(("", "/", f"/{word}", f"/account/{self.digits(5)}", "/reset?token="
                          + self._token(self.rng.randint(12, 24)), f"/p/{word}?ref=mail&id="
                          + self.digits(4), "/index.html", f"/blog/2023/{word}-tips"))
        return f"{scheme}{host}.{self.pick(_URL_TLDS)}{path}"

    # -- secrets -----------------------------------------------------------
    def _token(self, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def aws_key_id(self) -> str:
        return self.pick(("AKIA", "ASIA")) + self._token(16, string.ascii_uppercase + "234567")

    def aws_secret(self) -> str:
        return self._token(40, string.ascii_letters + string.digits + "+/")

    def github_token(self) -> str:
        body = self._token(30)
        return self.pick(("ghp_", "gho_", "ghs_")) + body + _base62(zlib.crc32(body.encode()), 6)

    def jwt(self) -> str:
        header = {"alg": self.pick(("HS256", "RS256", "ES256")), "typ": "JWT"}
        name = self.last_person[0] if self.last_person else "svc"
        claims = {"sub": self.digits(8), "name": name, "iat": 1700000000 + self.rng.randint(0, 9**7)}
        return ".".join((_b64(header), _b64(claims), self._token(43, _B64URL)))


def _b64(obj: dict[str, Any]) -> str:
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _layout(spec: str) -> list[tuple[int, str]]:
    out, num = [], ""
    for ch in spec:
        if ch.isdigit():
            num += ch
        else:
            out.append((int(num), ch))
            num = ""
    return out


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    slug = "".join(ch for ch in plain.lower() if ch.isascii() and ch.isalnum())
    return slug or "user"


#: Generators of labelled values by placeholder name: (gold label, method name).
GENERATORS: dict[str, tuple[str, str]] = {
    "PERSON": ("PERSON", "person"), "FIRST": ("PERSON", "first_name"),
    "EMAIL": ("EMAIL_ADDRESS", "email"),
    "ORGMAIL": ("EMAIL_ADDRESS", "org_email"), "PHONE": ("PHONE_NUMBER", "phone"),
    "CARD": ("CREDIT_CARD", "card"), "SSN": ("US_SSN", "ssn"), "IBAN": ("IBAN_CODE", "iban"),
    "IP": ("IP_ADDRESS", "ip"), "IP4": ("IP_ADDRESS", "ipv4"), "IP6": ("IP_ADDRESS", "ipv6"),
    "CITY": ("LOCATION", "city"), "COUNTRY": ("LOCATION", "country"),
    "STATE": ("LOCATION", "state"), "LOC": ("LOCATION", "location"),
    "STREET": ("STREET_ADDRESS", "street"), "URL": ("URL", "url"),
    "DATE": ("DATE_TIME", "date"), "STAMP": ("DATE_TIME", "timestamp"),
    "DOB": ("DATE_OF_BIRTH", "dob"),
    "AWS": ("AWS_ACCESS_KEY", "aws_key_id"), "AWSSECRET": ("AWS_SECRET_KEY", "aws_secret"),
    "GHTOKEN": ("GITHUB_TOKEN", "github_token"), "JWT": ("JWT", "jwt"),
    "NINO": ("UK_NINO", "nino"), "NHS": ("UK_NHS", "nhs"), "AADHAAR": ("IN_AADHAAR", "aadhaar"),
    "PAN": ("IN_PAN", "pan"), "SIN": ("CA_SIN", "sin"),
}

ValueFn = Callable[[], str]
