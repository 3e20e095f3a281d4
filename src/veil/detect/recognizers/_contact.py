"""E-mail addresses, URLs and phone numbers."""

from __future__ import annotations

import re

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
            rf"(?:{_LABEL}\.){{1,8}}[A-Za-z]{{2,24}}(?![A-Za-z0-9-])",
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


# A phone candidate: a stretch of digits and separators. libphonenumber then
# decides which parts of it are real numbers, so IPs, dates and card digits
# never become phones and only candidates pay for the parse.
_PHONE_CANDIDATE = r"(?<![\w+/.-])(?:\+|00)?\(?\d[\d ()./-]{5,40}\d(?![\w-])"
_NOT_A_PHONE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"  # ISO-like dates
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}"  # day-month-year dates
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"  # IPv4
    r"|\d{5,}\.\d+"  # amounts and decimals
)
_REGIONS = ("US", "GB")
_MIN_DIGITS = 7


def _phone_spans(candidate: str) -> list[tuple[int, int, float]]:
    masked = _NOT_A_PHONE.sub(lambda m: " " * len(m.group()), candidate)
    if sum(c.isdigit() for c in masked) < _MIN_DIGITS:
        return []
    spans: dict[tuple[int, int], float] = {}
    for region in _REGIONS:
        matcher = phonenumbers.PhoneNumberMatcher(masked, region, leniency=phonenumbers.Leniency.VALID)
        for match in matcher:
            international = masked[match.start] == "+" or masked.startswith("00", match.start)
            spans.setdefault((match.start, match.end), 0.75 if international else 0.6)
    return [(start, end, score) for (start, end), score in sorted(spans.items())]


PHONE = Recognizer(
    name="phone",
    entity=Entity.PHONE_NUMBER,
    patterns=(Pattern("phone_candidate", _PHONE_CANDIDATE, 0.6),),
    refine=_phone_spans,
    context=("phone", "tel", "telephone", "mobile", "cell", "call", "fax", "whatsapp", "sms",
             "text me", "contact", "reach me", "number"),
    negative_context=("order", "invoice", "ref", "reference", "tracking", "serial", "sku",
                      "account", "acct", "transaction", "ticket", "id", "version", "build"),
    priority=50,
)

RECOGNIZERS: tuple[Recognizer, ...] = (EMAIL, URL, PHONE)
