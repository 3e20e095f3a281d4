"""Shared fixtures. ``canary_pii`` plants unique fake personal data whose values
must never show up in logs, error messages or other metadata."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Canary:
    email: str
    ssn: str
    card: str
    phone: str

    @property
    def values(self) -> tuple[str, ...]:
        return (self.email, self.ssn, self.card, self.phone)

    def text(self) -> str:
        return (f"Contact {self.email} or {self.phone}; SSN {self.ssn}; card {self.card}.")

    def assert_absent(self, *outputs: Iterable[str] | str) -> None:
        for output in outputs:
            blob = output if isinstance(output, str) else "\n".join(output)
            leaked = [value for value in self.values if value in blob]
            assert not leaked, f"{len(leaked)} canary value(s) leaked"


@pytest.fixture
def canary_pii() -> Canary:
    tag = secrets.token_hex(4)
    return Canary(
        email=f"canary.{tag}@example.org",
        ssn="219-09-9998",
        card="4539 1488 0343 6467",
        phone="+44 20 7946 0958",
    )
