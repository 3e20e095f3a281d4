"""Fixtures for the data subject request tests: two subjects with records on the shared vault."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from veil.dsr import DataSubjectRequests
from veil.vault import Vault


@dataclass(frozen=True)
class People:
    """Record ids of two subjects, and values only the second one holds."""

    s1_customer: str
    s1_ticket: str
    s2_customer: str
    s2_values: tuple[str, ...]


@pytest.fixture
def dsr(vault: Vault) -> DataSubjectRequests:
    return DataSubjectRequests(vault)


@pytest.fixture
def people(vault: Vault) -> People:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "FR", actor="tester")
    s1_customer = vault.put("customers", "s1", {"email": "ada@example.org", "name": "Ada Lovelace", "age": 36,
                                                "notes": "prefers morning calls"}, purpose="support", actor="tester")
    s1_ticket = vault.put("tickets", "s1", {"body": "printer jammed again", "opened": date(2026, 2, 1)},
                          purpose="support", actor="tester")
    s2_values = ("bob@example.net", "Bob Quixotefield", "walrus enthusiast")
    s2_customer = vault.put("customers", "s2", {"email": s2_values[0], "name": s2_values[1], "age": 51,
                                                "notes": s2_values[2]}, purpose="support", actor="tester")
    vault.put("tickets", "s2", {"body": "zeppelin booking lost", "opened": date(2026, 1, 5)}, purpose="support", actor="tester")
    return People(s1_customer, s1_ticket, s2_customer, (*s2_values, "zeppelin booking lost"))
