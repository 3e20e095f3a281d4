"""E-mail addresses, URLs and phone numbers."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer
from veil.detect.recognizers._tlds import BARE_DOMAIN_TLDS

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"

# The local part excludes "=" and ":" so `user=ana@x.org` and `mailto:ana@x.org`
# report only the address.
EMAIL = Recognizer(
    name="email",
    entity=Entity.EMAIL_ADDRESS,
    patterns=(
        Pattern(
            "email",
            rf"(?<![A-Za-z0-9._%+-])[A-Za-z0-9_%+-][A-Za-z0-9._%+-]{{0,63}}@"
            rf"(?:{_LABEL}\.){{1,8}}[A-Za-z]{{2,24}}(?![A-Za-z0-9-]|:[\w~/])",  # not git@host:repo
            0.95,
        ),
    ),
    validator=lambda s: ".." not in s and not s.split("@", 1)[0].endswith("."),
    context=("email", "e-mail", "mail", "contact"),
    priority=85,
)

_TLDS = "|".join(BARE_DOMAIN_TLDS)
_URL_BODY = r"[^\s<>\"'`{}|\\^\[\]]"
_URL_END = r"[^\s<>\"'`{}|\\^\[\].,;:!?)(*]"

URL = Recognizer(
    name="url",
    entity=Entity.URL,
    patterns=(
        Pattern(
            "url_with_scheme",
            rf"(?<![A-Za-z0-9+.-])(?:https?|ftps?|wss?|sftp)://{_URL_BODY}{{0,2047}}{_URL_END}",
            0.95,
        ),
        Pattern(
            "url_www",
            rf"(?<![A-Za-z0-9@./-])www\.(?:{_LABEL}\.){{1,6}}[A-Za-z]{{2,24}}(?![A-Za-z0-9-])"
            rf"(?:[/?#](?:{_URL_BODY}{{0,2046}}{_URL_END})?)?",
            0.9,
        ),
        # A bare domain is a URL only with a listed TLD, and never inside an e-mail
        # address, a longer host name, or a code expression such as `logger.info(`.
        Pattern(
            "url_bare_domain",
            rf"(?<![A-Za-z0-9@./_-])(?:{_LABEL}\.){{1,6}}(?:{_TLDS})(?![A-Za-z0-9_@(-])"
            rf"(?:[/?#](?:{_URL_BODY}{{0,2046}}{_URL_END})?)?",
            0.6,
        ),
    ),
    context=("url", "link", "website", "site", "visit", "http"),
    negative_context=("import", "package", "module"),
    priority=75,
)


# A phone candidate: a short stretch of digits and separators (short, so two
# numbers in a row become two candidates). Dates and IPs inside it are masked,
# then libphonenumber decides; only candidates pay for the parse.
_PHONE_CANDIDATE = r"(?<![\w+/.-])(?:\+|00)?\(?\d[\d ()./-]{5,22}\d(?![\w-])"
_NOT_A_PHONE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # ISO-like dates
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"  # day-month-year dates
    r"|(?<![\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\.?\d)"  # IPv4 (not 5 groups: French phones)
    r"|\d{5,}\.\d+"  # amounts and decimals
)
_SEGMENT = re.compile(r"(?:\+|00)?\(?\d[\d ()./-]*\d")
_GROUP = re.compile(r"\d+")
_REGIONS = ("US", "GB")
#: National formats of these countries score under the threshold: a context word
#: ("phone", "call") must vouch for them, since some plan accepts most digit strings.
_MORE_REGIONS = ("FR", "DE", "IN", "IT", "NL", "AU", "BR")
_WEAK_SCORE = 0.45
_GROUPED_SCORE = 0.55
_MIN_DIGITS = 7
_MAX_DIGITS = 15  # E.164: longer runs are cards, IBANs or ids


@lru_cache(maxsize=4096)  # repeated candidates (log fields, adversarial runs) parse once
def _phone_spans(candidate: str) -> tuple[tuple[int, int, float], ...]:
    if sum(map(str.isdigit, candidate)) < _MIN_DIGITS:  # "2023 11": cheap to rule out
        return ()
    masked = _NOT_A_PHONE.sub(lambda m: "\0" * len(m.group()), candidate)
    spans: list[tuple[int, int, float]] = []
    for segment in _SEGMENT.finditer(masked):
        spans.extend((segment.start() + s, segment.start() + e, score)
                     for s, e, score in _numbers_in(segment.group()))
    return tuple(spans)


def _numbers_in(segment: str) -> list[tuple[int, int, float]]:
    groups = _GROUP.findall(segment)
    if len(groups) == 1 and segment[0] != "+":
        return []  # an unformatted digit run: PHONE_DIGITS below, which needs a context word
    digits = sum(map(len, groups))
    # Real numbers are written in groups of two or more digits, bar a country or trunk code.
    if not _MIN_DIGITS <= digits <= _MAX_DIGITS or sum(len(g) == 1 for g in groups) > 2:
        return []
    score = _valid_number_score(segment)
    return [] if score is None else [(0, len(segment), score)]


def _valid_number_score(text: str) -> float | None:
    if text.startswith(("+", "00")):
        return _score_for(text) if _valid_in(text, "GB" if text.startswith("00") else None) else None
    if any(_valid_in(text, region) for region in _REGIONS):
        return _score_for(text)
    # Those plans write national numbers with a leading trunk 0; others are not tried.
    # Grouped like a phone ("02.99.18.43.73") it stands alone; a bare run needs a context word.
    if text.startswith("0") and any(_valid_in(text, region) for region in _MORE_REGIONS):
        return _GROUPED_SCORE if _GROUP.fullmatch(text) is None else _WEAK_SCORE
    return None


def _valid_in(text: str, region: str | None) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(text, region)))
    except phonenumbers.NumberParseException:
        return False


def _score_for(text: str) -> float:
    return 0.75 if text.startswith(("+", "00")) else 0.6


_PHONE_CONTEXT = ("phone", "tel", "telephone", "mobile", "cell", "call", "fax", "whatsapp", "sms",
                  "text me", "contact", "reach me", "number", "ring")
_PHONE_NEGATIVE = ("order", "invoice", "ref", "reference", "tracking", "serial", "sku", "account",
                   "acct", "transaction", "ticket", "id", "version", "build")

PHONE = Recognizer(
    name="phone",
    entity=Entity.PHONE_NUMBER,
    patterns=(Pattern("phone_candidate", _PHONE_CANDIDATE, 0.6),),
    refine=_phone_spans,
    context=_PHONE_CONTEXT,
    negative_context=_PHONE_NEGATIVE,
    priority=50,
)

# A bare run of digits is an id, a timestamp or an amount far more often than a
# phone number: it counts only next to a phone word.
PHONE_DIGITS = Recognizer(
    name="phone_digits",
    entity=Entity.PHONE_NUMBER,
    patterns=(Pattern("phone_digits", r"(?<![\w+/.-])\d{7,15}(?![\w-]|[.,]\d)", 0.4),),
    validator=lambda digits: _valid_number_score(digits) is not None,
    context=_PHONE_CONTEXT,
    negative_context=_PHONE_NEGATIVE,
    requires_context=True,
    priority=50,
)

# A bare run with a trunk 0 and a phone's length ("07522653184") is rarely anything else.
PHONE_TRUNK_DIGITS = Recognizer(
    name="phone_trunk_digits",
    entity=Entity.PHONE_NUMBER,
    patterns=(Pattern("phone_trunk_digits", r"(?<![\w+/.-])0\d{9,10}(?![\w-]|[.,]\d)", 0.55),),
    validator=lambda digits: any(_valid_in(digits, region) for region in (*_REGIONS, *_MORE_REGIONS)),
    context=_PHONE_CONTEXT,
    negative_context=_PHONE_NEGATIVE,
    priority=50,
)

RECOGNIZERS: tuple[Recognizer, ...] = (EMAIL, URL, PHONE, PHONE_DIGITS, PHONE_TRUNK_DIGITS)
