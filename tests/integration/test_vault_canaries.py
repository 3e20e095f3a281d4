"""Metadata-only errors, logs and audit: planted canary values reach none of them (both backends)."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import Canary
from veil.errors import AccessDenied, InvalidInput, StorageError, VeilError
from veil.storage import DATA_METADATA, KEYS_METADATA, Database
from veil.vault import Vault


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every cause and context behind it."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack += [e for e in (current.__cause__, current.__context__) if e is not None]


class _Errors:
    """Runs calls that must fail and keeps every text their exceptions could show."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.raised: list[type[BaseException]] = []

    def expect(self, kind: type[VeilError] | tuple[type[VeilError], ...], call: Callable[[], Any]) -> None:
        with pytest.raises(kind) as caught:
            call()
        self.raised.append(caught.type)
        self.texts += traceback.format_exception(caught.value)
        for exc in _chain(caught.value):
            self.texts += [str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "message", ""))]


def _dump(db: Database, metadata: sa.MetaData) -> list[str]:
    with db.read() as conn:
        return [repr(dict(row)) for table in metadata.sorted_tables
                for row in conn.execute(sa.select(table)).mappings()]


def test_no_canary_reaches_errors_logs_or_audit(vault: Vault, databases: tuple[Database, Database],
                                                canary_pii: Canary, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "veil", "psycopg", "alembic"):
        caplog.set_level(logging.DEBUG, logger=name)
    data, keys = databases
    c = canary_pii
    errors = _Errors()

    # the normal path, with canaries in every kind of field
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": c.email, "name": c.phone, "age": 41, "notes": c.text()},
                          purpose="support", actor="tester")
    ticket_id = vault.put("tickets", "s1", {"body": c.text(), "opened": date(2026, 2, 1)}, purpose="support", actor="tester")
    vault.update("customers", record_id, {"name": c.ssn, "notes": f"card {c.card}"}, purpose="support", actor="tester")
    assert vault.get("customers", record_id, purpose="support", actor="tester").fields["email"] == c.email
    assert [r.record_id for r in vault.find("customers", "email", c.email, purpose="support", actor="tester")] == [record_id]
    assert vault.get("tickets", ticket_id, purpose="support", actor="tester").fields["opened"] == date(2026, 2, 1)
    exported = vault.subject_data("s1", actor="tester")
    shown = [repr(exported), repr(vault.records("customers", purpose="support", actor="tester")), repr(exported.records)]

    # refusals, each holding a canary
    put = functools.partial(vault.put, actor="tester")
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"email": "x@example.org", "undeclared": c.ssn},
                                            purpose="support"))
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"email": "x@example.org", c.email: c.card},
                                            purpose="support"))
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"email": "x@example.org", "age": c.ssn},
                                            purpose="support"))
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"email": [c.card]},
                                            purpose="support"))
    errors.expect(InvalidInput, lambda: put("tickets", "s1", {"body": c.text() * 200}, purpose="support"))
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"email": c.email * 3000}, purpose="support"))
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"name": c.phone}, purpose="support"))
    errors.expect(InvalidInput, lambda: vault.add_subject(c.email, "DE", actor="tester"))
    errors.expect(InvalidInput, lambda: put("customers", c.email, {"email": c.email}, purpose="support"))
    errors.expect(InvalidInput, lambda: vault.subject(c.email, actor="tester"))
    errors.expect(InvalidInput, lambda: vault.subject_data(c.email, actor="tester"))
    errors.expect(InvalidInput, lambda: vault.erase_subject(c.email, actor="tester"))
    errors.expect(InvalidInput, lambda: vault.get("customers", c.email, purpose="support", actor="tester"))
    errors.expect(InvalidInput, lambda: vault.records("customers", purpose="support", subject_id=c.email, actor="tester"))
    errors.expect(InvalidInput, lambda: put(c.email, "s1", {"email": c.email}, purpose="support"))
    errors.expect(InvalidInput, lambda: put("customers", "s1", {"email": c.email}, purpose=c.email))
    errors.expect(InvalidInput, lambda: vault.find("customers", "name", c.email, purpose="support", actor="tester"))
    errors.expect(InvalidInput, lambda: vault.find("customers", c.email, c.email, purpose="support", actor="tester"))
    errors.expect(InvalidInput, lambda: vault.update("customers", record_id, {c.email: c.ssn}, purpose="support", actor="tester"))
    errors.expect(InvalidInput, lambda: vault.update("customers", record_id, {"age": c.phone}, purpose="support", actor="tester"))
    errors.expect(VeilError, lambda: put("customers", "nobody", {"email": c.email}, purpose="support"))
    errors.expect(VeilError, lambda: put("customers", "s1", {"email": c.email}, purpose="marketing"))
    errors.expect(VeilError, lambda: put("customers", "s1", {"email": c.email, "name": c.ssn},
                                         purpose="training"))

    # a caller naming itself with personal data is an unknown principal: denied, and not repeated
    errors.expect(AccessDenied, lambda: vault.get("customers", record_id, purpose="support", actor=c.email))
    errors.expect(AccessDenied, lambda: vault.erase_subject("s1", actor=c.text()))

    # the stores hold the canaries sealed only
    c.assert_absent(_dump(data, DATA_METADATA), _dump(keys, KEYS_METADATA))

    # a storage failure in the middle of a write that carries canaries
    with data.write() as conn:
        conn.execute(sa.text("DROP TABLE veil_blind_index"))
    errors.expect(StorageError, lambda: put("customers", "s1", {"email": c.email, "name": c.ssn},
                                            purpose="support"))
    errors.expect(StorageError, lambda: vault.find("customers", "email", c.email, purpose="support", actor="tester"))
    data.dispose()
    keys.dispose()
    errors.expect(StorageError, lambda: vault.update("customers", record_id, {"email": c.email},
                                                     purpose="support", actor="tester"))

    assert len(errors.raised) == 28
    assert StorageError in errors.raised
    entries = vault.audit.entries(limit=1000)
    assert {"vault.put", "vault.update", "vault.get", "vault.find", "subject.export"} <= {e.action for e in entries}
    sqlalchemy_lines = [r for r in caplog.records if r.name.startswith("sqlalchemy")]
    log_lines = [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    c.assert_absent(errors.texts, [repr(e) for e in entries], [caplog.text], log_lines, shown)
    assert sqlalchemy_lines, "the SQL log was captured (so its absence of canaries means something)"


def test_no_canary_reaches_errors_of_an_unknown_region(vault: Vault, canary_pii: Canary) -> None:
    errors = _Errors()
    errors.expect(InvalidInput, lambda: vault.add_subject("s2", canary_pii.phone, actor="tester"))
    errors.expect(InvalidInput, lambda: vault.put("customers", "s3", {"email": "x@example.org"},
                                                  purpose="support", region=canary_pii.ssn, actor="tester"))
    canary_pii.assert_absent(errors.texts)
