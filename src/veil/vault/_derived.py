"""Derived stores: places outside the vault that hold data derived from a subject.

Embedding indexes, caches and feature stores keep copies the vault's crypto-shredding cannot
reach, so erasure calls each registered store's ``erase_subject`` and checks ``count_subject``.
"""

from __future__ import annotations

import re
import threading
from typing import Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from veil.errors import ConfigError, InvalidInput, NotFound, StorageError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")  # plain SQL names: nothing to inject


@runtime_checkable
class DerivedStore(Protocol):
    """A store that can count and erase what it holds about one subject."""

    @property
    def name(self) -> str: ...

    def count_subject(self, subject_id: str) -> int: ...

    def erase_subject(self, subject_id: str) -> int: ...  # how many items it removed


def _check_subject(subject_id: str) -> None:
    if not isinstance(subject_id, str) or not subject_id:
        raise InvalidInput("subject_id must be a non-empty string")


class InMemoryDerivedStore:
    """A keyed in-process store (a cache, a toy index) that knows whose each item is."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidInput("derived store name must be a non-empty string")
        self._name = name
        self._items: dict[str, tuple[str, object]] = {}
        self._keys_by_subject: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def put(self, key: str, subject_id: str, value: object) -> None:
        _check_subject(subject_id)
        with self._lock:
            self._forget(key)
            self._items[key] = (subject_id, value)
            self._keys_by_subject.setdefault(subject_id, set()).add(key)

    def get(self, key: str) -> object:
        with self._lock:
            item = self._items.get(key)
        if item is None:
            # the key itself may be derived from personal data: do not echo it
            raise NotFound(f"derived store '{self._name}' holds no item under that key")
        return item[1]

    def count_subject(self, subject_id: str) -> int:
        _check_subject(subject_id)
        with self._lock:
            return len(self._keys_by_subject.get(subject_id, ()))

    def erase_subject(self, subject_id: str) -> int:
        _check_subject(subject_id)
        with self._lock:
            keys = self._keys_by_subject.pop(subject_id, set())
            for key in keys:
                del self._items[key]
            return len(keys)

    def _forget(self, key: str) -> None:
        """Drop ``key`` from its previous subject's index; the caller holds the lock."""
        previous = self._items.pop(key, None)
        if previous is not None:
            keys = self._keys_by_subject[previous[0]]
            keys.discard(key)
            if not keys:
                del self._keys_by_subject[previous[0]]


class SqlTableDerivedStore:
    """An existing table in any SQLAlchemy engine, with a column naming each row's subject."""

    def __init__(
        self, engine: sa.Engine, table: str, subject_column: str = "subject_id", *, name: str | None = None
    ) -> None:
        for label, identifier in (("table", table), ("subject column", subject_column)):
            if not isinstance(identifier, str) or not _IDENTIFIER.fullmatch(identifier):
                raise InvalidInput(f"derived store {label} name must match {_IDENTIFIER.pattern}")
        self._engine = engine
        self._name = name or table
        try:
            self._table = sa.Table(table, sa.MetaData(), autoload_with=engine)
        except NoSuchTableError:
            raise NotFound(f"derived store table '{table}' not found") from None
        except SQLAlchemyError as exc:
            raise StorageError(f"could not read the schema of table '{table}'") from exc
        if subject_column not in self._table.c:
            raise ConfigError(f"derived store table '{table}' has no column '{subject_column}'")
        self._subject = self._table.c[subject_column]

    @property
    def name(self) -> str:
        return self._name

    def count_subject(self, subject_id: str) -> int:
        _check_subject(subject_id)
        query = sa.select(sa.func.count()).select_from(self._table).where(self._subject == subject_id)
        try:
            with self._engine.connect() as connection:
                return int(connection.execute(query).scalar_one())
        except SQLAlchemyError as exc:
            raise StorageError(f"could not count rows in derived store '{self._name}'") from exc

    def erase_subject(self, subject_id: str) -> int:
        _check_subject(subject_id)
        statement = sa.delete(self._table).where(self._subject == subject_id)  # a bound parameter
        try:
            with self._engine.begin() as connection:
                return connection.execute(statement).rowcount
        except SQLAlchemyError as exc:
            raise StorageError(f"could not erase rows in derived store '{self._name}'") from exc
