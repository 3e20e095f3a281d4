"""Each key epoch replaces the blind-index key and recomputes the live digests under it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from veil.errors import NotFound
from veil.storage import Database
from veil.storage.tables import blind_index, index_versions
from veil.vault import Vault


def _versions(data: Database) -> tuple[set[int], list[tuple[int, bool]]]:
    with data.read() as conn:
        rows = set(conn.execute(sa.select(blind_index.c.key_version)).scalars())
        marks = [(v, r is not None) for v, r in conn.execute(
            sa.select(index_versions.c.version, index_versions.c.retired_at).order_by(index_versions.c.version))]
    return rows, marks


def test_epoch_reindexes_under_a_new_index_key_and_destroys_the_old(
        vault: Vault, databases: tuple[Database, Database]) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    vault.add_subject("s2", "DE", actor="tester")
    first = vault.put("customers", "s1", {"email": "ana@example.org"}, purpose="support", actor="tester")
    second = vault.put("customers", "s2", {"email": "bo@example.org"}, purpose="support", actor="tester")
    assert _versions(databases[0]) == ({1}, [(1, False)])

    report = vault.advance_epoch(actor="tester")

    assert (report.index_version, report.reindexed) == (2, 2)
    assert _versions(databases[0]) == ({2}, [(1, True), (2, False)])
    with pytest.raises(NotFound):
        vault.keys.index_key("customers", "email", 1)
    assert [r.record_id for r in vault.find("customers", "email", "ANA@example.org", purpose="support", actor="tester")] == [first]
    assert [r.record_id for r in vault.find("customers", "email", "bo@example.org", purpose="support", actor="tester")] == [second]
    third = vault.put("customers", "s1", {"email": "new@example.org"}, purpose="support", actor="tester")
    assert _versions(databases[0])[0] == {2}
    assert [r.record_id for r in vault.find("customers", "email", "new@example.org", purpose="support", actor="tester")] == [third]


def test_lookups_try_every_live_version_while_a_reindex_is_under_way(
        vault: Vault, databases: tuple[Database, Database]) -> None:
    vault.add_subject("s1", "DE", actor="tester")
    record_id = vault.put("customers", "s1", {"email": "ana@example.org"}, purpose="support", actor="tester")
    with databases[0].write() as conn:  # an epoch that crashed after starting version 2, before re-indexing
        conn.execute(sa.insert(index_versions).values(version=2, created_at=vault.clock.now()))
    assert [r.record_id for r in vault.find("customers", "email", "ana@example.org", purpose="support", actor="tester")] == [record_id]
    assert vault.advance_epoch(actor="tester").index_version == 3  # the next epoch finishes the job
    assert _versions(databases[0])[0] == {3}
    assert [r.record_id for r in vault.find("customers", "email", "ana@example.org", purpose="support", actor="tester")] == [record_id]
