from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from veil.errors import ConfigError, InvalidInput, NotFound
from veil.vault._derived import DerivedStore, InMemoryDerivedStore, SqlTableDerivedStore


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'derived.db'}")
    metadata = sa.MetaData()
    embeddings = sa.Table(
        "embeddings", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject_id", sa.String, nullable=False),
        sa.Column("vector", sa.LargeBinary),
    )
    sa.Table("features", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("owner", sa.String))
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(embeddings.insert(), [
            {"subject_id": "subj-a", "vector": b"\x01"},
            {"subject_id": "subj-a", "vector": b"\x02"},
            {"subject_id": "subj-b", "vector": b"\x03"},
        ])
    yield engine
    engine.dispose()


def test_in_memory_store_erases_only_the_given_subject() -> None:
    store = InMemoryDerivedStore("cache")
    store.put("k1", "subj-a", [0.1, 0.2])
    store.put("k2", "subj-a", "summary")
    store.put("k3", "subj-b", "other")
    assert (store.count_subject("subj-a"), store.count_subject("subj-b")) == (2, 1)
    assert store.erase_subject("subj-a") == 2
    assert store.count_subject("subj-a") == 0
    assert store.erase_subject("subj-a") == 0
    assert store.get("k3") == "other"
    with pytest.raises(NotFound, match="cache"):
        store.get("k1")


def test_in_memory_store_moves_a_rewritten_key_to_its_new_subject() -> None:
    store = InMemoryDerivedStore("cache")
    store.put("k1", "subj-a", 1)
    store.put("k1", "subj-b", 2)
    assert (store.count_subject("subj-a"), store.count_subject("subj-b")) == (0, 1)
    assert store.erase_subject("subj-a") == 0
    assert store.get("k1") == 2


def test_in_memory_store_counts_every_item_put_from_many_threads() -> None:
    store = InMemoryDerivedStore("cache")

    def put_many(thread: int) -> None:
        for n in range(200):
            store.put(f"{thread}-{n}", "subj-a", n)

    threads = [threading.Thread(target=put_many, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.erase_subject("subj-a") == 1600


def test_not_found_message_does_not_echo_the_key() -> None:
    with pytest.raises(NotFound) as raised:
        InMemoryDerivedStore("cache").get("ana@example.org")
    assert "ana@example.org" not in raised.value.message


@pytest.mark.parametrize("subject_id", ["", None])
def test_stores_refuse_an_empty_subject_id(engine: sa.Engine, subject_id: str) -> None:
    for store in (InMemoryDerivedStore("cache"), SqlTableDerivedStore(engine, "embeddings")):
        with pytest.raises(InvalidInput, match="subject_id"):
            store.erase_subject(subject_id)


def test_both_stores_satisfy_the_protocol(engine: sa.Engine) -> None:
    stores: list[DerivedStore] = [InMemoryDerivedStore("cache"), SqlTableDerivedStore(engine, "embeddings")]
    assert all(isinstance(store, DerivedStore) for store in stores)
    assert [store.name for store in stores] == ["cache", "embeddings"]


def test_sql_store_erases_only_the_given_subjects_rows(engine: sa.Engine) -> None:
    store = SqlTableDerivedStore(engine, "embeddings", name="vector-index")
    assert store.name == "vector-index"
    assert (store.count_subject("subj-a"), store.count_subject("subj-b")) == (2, 1)
    assert store.erase_subject("subj-a") == 2
    assert store.count_subject("subj-a") == 0
    assert store.erase_subject("subj-a") == 0
    with engine.connect() as connection:
        left = connection.execute(sa.text("SELECT subject_id FROM embeddings")).scalars().all()
    assert left == ["subj-b"]


def test_sql_store_treats_a_hostile_subject_id_as_a_plain_value(engine: sa.Engine) -> None:
    store = SqlTableDerivedStore(engine, "embeddings")
    assert store.erase_subject("x' OR '1'='1") == 0
    assert store.count_subject("subj-b") == 1


def test_sql_store_uses_a_custom_subject_column(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO features (owner) VALUES ('subj-a'), ('subj-b')"))
    store = SqlTableDerivedStore(engine, "features", subject_column="owner")
    assert store.erase_subject("subj-b") == 1
    assert store.count_subject("subj-a") == 1


@pytest.mark.parametrize(("table", "column"), [
    ("embeddings; DROP TABLE features", "subject_id"),
    ("embeddings", "subject_id = subject_id OR 1"),
    ("1embeddings", "subject_id"),
    ("", "subject_id"),
    ("e" * 64, "subject_id"),
    ("main.embeddings", "subject_id"),
])
def test_sql_store_refuses_names_that_are_not_plain_identifiers(
        engine: sa.Engine, table: str, column: str) -> None:
    with pytest.raises(InvalidInput, match="must match"):
        SqlTableDerivedStore(engine, table, column)
    assert sa.inspect(engine).has_table("features")


def test_sql_store_names_a_missing_table_or_column(engine: sa.Engine) -> None:
    with pytest.raises(NotFound, match="'caches'"):
        SqlTableDerivedStore(engine, "caches")
    with pytest.raises(ConfigError, match="'embeddings' has no column 'user_id'"):
        SqlTableDerivedStore(engine, "embeddings", "user_id")
