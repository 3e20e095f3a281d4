"""Vault invariants over random values: put/get round-trips every type, lookup finds what was put,
and key rotation keeps everything readable. One SQLite vault for the module (hypothesis runs many
examples per test; a fresh database per example would be slow)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES, fixture_policy
from veil._clock import FixedClock
from veil.crypto import InMemoryKeyProvider
from veil.storage import Database, upgrade
from veil.vault import ProfileSet, Vault, VaultSchema, shipped_profiles

SETTINGS = settings(max_examples=50, deadline=None)
BODY_LIMIT = 4096  # tickets.body max_bytes in tests/fixtures/veil.toml
SUBJECTS = ["p0", "p1", "p2"]


def _open(data: Database, keys: Database, provider: InMemoryKeyProvider) -> Vault:
    with (FIXTURES / "veil.toml").open("rb") as handle:
        schema = VaultSchema.from_mapping(tomllib.load(handle))
    return Vault(data, keys, provider, schema, profiles=ProfileSet.load(shipped_profiles()), location="EU",
                 clock=FixedClock(datetime(2026, 3, 1, 12, tzinfo=UTC)), policy=fixture_policy())


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    folder = tmp_path_factory.mktemp("vault-properties")
    data = Database.from_url(f"sqlite:///{folder}/veil.db")
    keys = Database.from_url(f"sqlite:///{folder}/veil-keys.db", secure_delete=True)
    upgrade(data, "data")
    upgrade(keys, "keys")
    made = _open(data, keys, InMemoryKeyProvider())
    for subject in SUBJECTS:
        made.add_subject(subject, "DE", actor="tester")
    yield made
    data.dispose()
    keys.dispose()


def _fresh(vault: Vault) -> Vault:
    """The same databases and provider, nothing cached: what another process would read."""
    return _open(vault.data, vault.keys.db, vault.keys.provider)  # type: ignore[arg-type]


#: Any code point, lone surrogates included (fields are stored with ``surrogatepass``).
CHARACTERS = st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                       st.sampled_from(["\x00", "\n", "é", "€", "😀", "\u0301"]))


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


@st.composite
def bodies(draw: st.DrawFn) -> str:
    """Text of at most ``BODY_LIMIT`` UTF-8 bytes, often close to the limit."""
    text = draw(st.text(CHARACTERS, max_size=BODY_LIMIT))
    while _utf8_size(text) > BODY_LIMIT:
        text = text[:-1]
    return text


@SETTINGS
@given(body=bodies(), subject=st.sampled_from(SUBJECTS))
def test_text_up_to_the_size_limit_round_trips(vault: Vault, body: str, subject: str) -> None:
    record_id = vault.put("tickets", subject, {"body": body}, purpose="support", actor="tester")
    assert vault.get("tickets", record_id, purpose="support", actor="tester").fields == {"body": body}


@SETTINGS
@given(name=st.text(CHARACTERS, max_size=300), age=st.integers(), email=st.text(CHARACTERS, min_size=1, max_size=80))
def test_strings_and_integers_round_trip(vault: Vault, name: str, age: int, email: str) -> None:
    record_id = vault.put("customers", "p0", {"email": email, "name": name, "age": age}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields == {"email": email, "name": name, "age": age}


@SETTINGS
@given(opened=st.dates(), body=st.text(max_size=40))
def test_dates_round_trip(vault: Vault, opened: date, body: str) -> None:
    record_id = vault.put("tickets", "p1", {"body": body, "opened": opened}, purpose="support", actor="tester")
    assert vault.get("tickets", record_id, purpose="support", actor="tester").fields == {"body": body, "opened": opened}


@SETTINGS
@given(email=st.text(CHARACTERS, min_size=1, max_size=80))
def test_lookup_finds_the_record_by_the_value_it_was_put_with(vault: Vault, email: str) -> None:
    record_id = vault.put("customers", "p2", {"email": email}, purpose="support", actor="tester")
    for query in (email, f"  {email}\t"):
        assert record_id in {r.record_id for r in vault.find("customers", "email", query, purpose="support", actor="tester")}


@settings(max_examples=15, deadline=None)
@given(values=st.lists(st.tuples(st.sampled_from(SUBJECTS), bodies()), min_size=1, max_size=3))
def test_rotation_and_retirement_keep_every_record_readable(vault: Vault, values: list[tuple[str, str]]) -> None:
    ids = [vault.put("tickets", subject, {"body": body}, purpose="support", actor="tester") for subject, body in values]
    old = vault.keys.provider.current_version()
    vault.rotate_keys(actor="tester")
    vault.retire_key(old, actor="tester")
    reader = _fresh(vault)
    assert [reader.get("tickets", r, purpose="support", actor="tester").fields["body"] for r in ids] == [b for _, b in values]
