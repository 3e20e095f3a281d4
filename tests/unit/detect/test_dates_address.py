from __future__ import annotations

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _address, _dates

from ._table import found

DETECTOR = Detector(recognizers=_dates.RECOGNIZERS + _address.RECOGNIZERS)

TABLE = [
    ("meeting on 2024-01-15T10:23:45Z", [("2024-01-15T10:23:45Z", "DATE_TIME")]),
    ("due 12/31/2023.", [("12/31/2023", "DATE_TIME")]),
    ("am 31.12.2023 fällig", [("31.12.2023", "DATE_TIME")]),
    ("on the 3rd of May 2021", [("3rd of May 2021", "DATE_TIME")]),
    ("Tuesday, 4 June 2024 works", [("Tuesday, 4 June 2024", "DATE_TIME")]),
    ("since March 2019", [("March 2019", "DATE_TIME")]),
    ("[Fri, 29 Aug 2025 06:01:43 GMT] ERROR", [("Fri, 29 Aug 2025 06:01:43 GMT", "DATE_TIME")]),
    ("[04/Jan/2025:16:26:47 +0000] GET", [("04/Jan/2025:16:26:47 +0000", "DATE_TIME")]),
    ("submitted 15-Sep-1960 ok", [("15-Sep-1960", "DATE_TIME")]),
    ("Jupyter 12.11.21 and Vault 3.12.27-rc.3", []),
    # relative words and impossible dates are not dates
    ("today, yesterday and last week", []),
    ("13/13/2020 and 2021/02/30", []),
    ("version 1.2.2024", []),
    # a date next to birth words is a date of birth
    ("born on March 3, 1985", [("March 3, 1985", "DATE_OF_BIRTH")]),
    ("DOB: 04/07/1990", [("04/07/1990", "DATE_OF_BIRTH")]),
    # street addresses, with unit and city/state/ZIP when present
    ("ship to 0933 Kevin Mountains Suite 123\nPort Jennifer, CA 12345 please",
     [("0933 Kevin Mountains Suite 123\nPort Jennifer, CA 12345", "STREET_ADDRESS")]),
    ("at 1600 Pennsylvania Ave NW, Washington, DC 20500",
     [("1600 Pennsylvania Ave NW, Washington, DC 20500", "STREET_ADDRESS")]),
    ("I live at 221B Baker Street, London.", [("221B Baker Street", "STREET_ADDRESS")]),
    ("we sold 12 items today", []),
    ("address is Trommlerweg 30/47, Leslieport", [("Trommlerweg 30/47", "STREET_ADDRESS")]),
    ("at Oda-Schweitzer-Ring 351. Questions", [("Oda-Schweitzer-Ring 351", "STREET_ADDRESS")]),
    ("Tenant, Flat 22 8 Ryan Broadway, Ribeiro", [("Flat 22 8 Ryan Broadway", "STREET_ADDRESS")]),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_dates_and_addresses_table(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(DETECTOR, text) == expected


def test_is_real_date_accepts_either_day_month_order() -> None:
    assert _dates.is_real_date("31/12/2023")
    assert _dates.is_real_date("12/31/2023")
    assert not _dates.is_real_date("31/31/2023")
