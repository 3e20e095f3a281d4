"""Absolute dates (and the dates of birth among them). Relative words never match."""

from __future__ import annotations

import re
from datetime import date

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"
_WEEKDAY = r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6}\.?,? )?"
_TIME = r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?: ?(?:Z|UTC|[+-]\d{2}:?\d{2}))?)?"

# An optional clock time after a written date: "Mon, 16 Jan 2023 04:19:05 GMT".
_CLOCK = (r"(?:,? (?:at )?\d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp]\.?[Mm]\.?)?"
          r"(?: ?(?:GMT|UTC|Z|[+-]\d{2}:?\d{2}))?)?")
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"

_PATTERNS = (
    Pattern("iso_date", rf"(?<![\w.:/-]){_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]){_TIME}(?![\w:])", 0.85),
    # Two-digit years only with / or -: "3.12.27" is a version far more often than a date.
    Pattern("numeric_date", rf"(?<![\w.:/-])\d{{1,2}}([/-])\d{{1,2}}\1(?:{_YEAR}|\d{{2}}){_CLOCK}(?![\w]|[.:/-]\d)", 0.6),
    Pattern("dotted_date", rf"(?<![\w.:/-])\d{{1,2}}\.\d{{1,2}}\.{_YEAR}{_CLOCK}(?![\w]|[.:/-]\d)", 0.6),
    Pattern("year_first_slash", rf"(?<![\w.:/-]){_YEAR}/\d{{1,2}}/\d{{1,2}}{_CLOCK}(?![\w]|[.:/-]\d)", 0.7),
    Pattern("month_day_year", rf"(?<![\w]){_WEEKDAY}{_MONTH}\.? {_DAY},? {_YEAR}{_CLOCK}(?![\w])", 0.85),
    Pattern("day_month_year", rf"(?<![\w]){_WEEKDAY}{_DAY}(?: of)? {_MONTH}\.?,? {_YEAR}{_CLOCK}(?![\w])", 0.85),
    Pattern("dashed_day_month_year", rf"(?<![\w-])\d{{1,2}}-{_MONTH}-{_YEAR}(?![\w])", 0.85),
    # Web server logs: 03/Oct/2025:09:24:38 +0000
    Pattern("common_log", rf"(?<![\w/])\d{{2}}/{_MON}/{_YEAR}:\d{{2}}:\d{{2}}:\d{{2}}(?: [+-]\d{{4}})?(?![\w])", 0.85),
    Pattern("month_year", rf"(?<![\w]){_MONTH} {_YEAR}(?![\w])", 0.6),
)

_PARTS = re.compile(r"[A-Za-z]+|\d+")


def is_real_date(text: str) -> bool:
    """The day exists in the month (either day/month order for numeric dates)."""
    if len(text) >= 10 and text[4] == "-" and text[:4].isdigit():  # ISO, the common case
        return _exists(int(text[:4]), int(text[5:7]), int(text[8:10]))
    numbers = [int(t) for t in _PARTS.findall(text) if t.isdigit()]
    month_names = [_MONTHS.get(t.lower()[:3]) for t in _PARTS.findall(text) if t.isalpha()]
    month = next((m for m in month_names if m), None)
    if month is not None:
        year = next((n for n in numbers if n >= 1800), 2000)
        day = next((n for n in numbers if n < 32), 1)
        return _exists(year, month, day)
    if len(numbers) < 3:
        return False
    first, second, third = numbers[:3]
    if first >= 1000:  # year first
        return _exists(first, second, third)
    year = third if third >= 100 else 2000 + third
    return _exists(year, first, second) or _exists(year, second, first)


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


DATE_TIME = Recognizer(
    name="date",
    entity=Entity.DATE_TIME,
    patterns=_PATTERNS,
    validator=is_real_date,
    context=("date", "since", "until", "dated", "appointment", "created", "due"),
    negative_context=("version", "ver", "release", "build", "v"),
    priority=40,
)

DATE_OF_BIRTH = Recognizer(
    name="date_of_birth",
    entity=Entity.DATE_OF_BIRTH,
    patterns=_PATTERNS,
    validator=is_real_date,
    context=("born", "dob", "d.o.b", "date of birth", "birth date", "birthdate", "birthday",
             "geboren", "né", "née"),
    requires_context=True,
    priority=45,
    context_window=(24, 0),
)

RECOGNIZERS: tuple[Recognizer, ...] = (DATE_TIME, DATE_OF_BIRTH)
