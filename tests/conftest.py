"""Shared fixtures. ``canary_pii`` plants unique fake personal data whose values
must never show up in logs, error messages or other metadata."""

from __future__ import annotations

import functools
import secrets
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from veil._clock import Clock, FixedClock, SystemClock
from veil.access import Policy
from veil.crypto import InMemoryKeyProvider
from veil.storage import Database, upgrade
from veil.vault import ProfileSet, Vault, VaultSchema, shipped_profiles


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


# -- storage backends: every vault test runs on SQLite and on PostgreSQL ---------------

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIXTURES = Path(__file__).parent / "fixtures"


@functools.cache
def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when a server answers."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'veil[postgres]')"
    try:
        psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL server on 127.0.0.1:5432 ({type(exc).__name__})"
    return None


@dataclass
class Backend:
    """A fresh pair of databases (data, keys) on one backend, and how to open them again."""

    name: str
    data_url: str
    keys_url: str
    data_schema: str | None = None
    keys_schema: str | None = None

    def open(self) -> tuple[Database, Database]:
        data = Database.from_url(self.data_url, schema=self.data_schema)
        keys = Database.from_url(self.keys_url, schema=self.keys_schema, secure_delete=True)
        return data, keys


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite:///{tmp_path}/veil.db", f"sqlite:///{tmp_path}/veil-keys.db")
        return
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    tag = secrets.token_hex(4)
    made = Backend("postgresql", POSTGRES_URL, POSTGRES_URL, f"t_{tag}_data", f"t_{tag}_keys")
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        for schema in (made.data_schema, made.keys_schema):
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield made
    finally:
        with admin.begin() as conn:
            for schema in (made.data_schema, made.keys_schema):
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture
def databases(backend: Backend) -> Iterator[tuple[Database, Database]]:
    data, keys = backend.open()
    upgrade(data, "data")
    upgrade(keys, "keys")
    yield data, keys
    data.dispose()
    keys.dispose()


@pytest.fixture
def schema() -> VaultSchema:
    return fixture_schema()


@functools.cache
def fixture_policy() -> Policy:
    """The fixture deployment's policy: "tester" and a few named principals may do everything."""
    with (FIXTURES / "veil.toml").open("rb") as handle:
        return Policy.from_mapping(tomllib.load(handle), source="tests/fixtures/veil.toml")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def vault(databases: tuple[Database, Database], schema: VaultSchema, clock: FixedClock) -> Iterator[Vault]:
    """A vault located in the EU under the shipped profiles, with an in-memory key provider."""
    data, keys = databases
    opened = Vault(data, keys, InMemoryKeyProvider(), schema, profiles=ProfileSet.load(shipped_profiles()),
                   location="EU", clock=clock, policy=fixture_policy())
    yield opened
    opened.audit.close()


def sqlite_vault(folder: Path, schema: VaultSchema | None = None, clock: Clock | None = None) -> Vault:
    """A vault on two fresh SQLite files in ``folder``, under the fixture policy (the service tests'
    vault: one backend is enough where the HTTP layer is what is tested)."""
    data, keys = Database.from_url(f"sqlite:///{folder}/d.db"), Database.from_url(f"sqlite:///{folder}/k.db")
    upgrade(data, "data")
    upgrade(keys, "keys")
    chosen = schema if schema is not None else VaultSchema.from_mapping({"collections": {}}, source="test")
    return Vault(data, keys, InMemoryKeyProvider(), chosen, profiles=ProfileSet.load(shipped_profiles()),
                 location="EU", clock=clock or SystemClock(), policy=fixture_policy())  # fmt: skip


def fixture_schema() -> VaultSchema:
    with (FIXTURES / "veil.toml").open("rb") as handle:
        return VaultSchema.from_mapping(tomllib.load(handle), source="tests/fixtures/veil.toml")
