"""One engine per database and the two kinds of transaction Veil runs on it.

SQLite (the embedded default) runs in WAL mode with ``BEGIN IMMEDIATE`` for writes,
so that several processes serialize on its write lock instead of failing on upgrade
from a read lock. PostgreSQL runs many workers; writers lock the rows they change.
Driver errors become ``StorageError`` with the error class only: SQLAlchemy's own
text would quote statements, and statements may hold values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from veil.errors import ConfigError, StorageError, VeilError

#: How long a SQLite writer waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "veil_write"


class Database:
    """An engine, the dialect it speaks, and ``read()`` / ``write()`` transactions."""

    def __init__(self, engine: Engine, *, secure_delete: bool = False) -> None:
        self.engine = engine
        self.secure_delete = secure_delete
        self.is_sqlite = engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _configure_sqlite(engine, secure_delete=secure_delete)

    @classmethod
    def from_url(
        cls, url: str, *, secure_delete: bool = False, schema: str | None = None, pool_size: int = 5
    ) -> Database:
        """``sqlite:///veil.db`` or ``postgresql+psycopg://host/db`` (``schema``: its search path)."""
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError:
            raise ConfigError("database URL is not a valid SQLAlchemy URL") from None
        options: dict[str, Any] = {"hide_parameters": True}
        connect_args: dict[str, Any] = {}
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        elif backend == "postgresql":
            if parsed.get_driver_name() != "psycopg":
                raise ConfigError("PostgreSQL URLs use the psycopg driver: postgresql+psycopg://...")
            options.update(pool_size=pool_size, pool_pre_ping=True)
            if schema is not None:
                connect_args["options"] = f"-csearch_path={schema}"
        else:
            raise ConfigError(f"unsupported database backend {backend!r}: use sqlite or postgresql+psycopg")
        try:
            engine = sa.create_engine(parsed, connect_args=connect_args, **options)
        except ModuleNotFoundError:
            from veil.errors import DependencyMissing

            raise DependencyMissing("postgres", "PostgreSQL storage") from None
        return cls(engine, secure_delete=secure_delete)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may write: committed on success, rolled back on any error."""
        with (
            _mapped_errors(),
            self.engine.connect().execution_options(**{_WRITE: True}) as conn,
            conn.begin(),
        ):
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (one consistent snapshot on both backends)."""
        with _mapped_errors(), self.engine.connect() as conn, conn.begin():
            yield conn

    def checkpoint(self) -> None:
        """SQLite: copy the WAL into the main file and truncate it, so freed pages leave no copy behind."""
        if self.is_sqlite:
            with _mapped_errors(), self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def dispose(self) -> None:
        self.engine.dispose()


def _configure_sqlite(engine: Engine, *, secure_delete: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # Veil issues BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if secure_delete:
            cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except VeilError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        original = getattr(exc, "orig", None) or exc
        raise StorageError(f"database operation failed ({type(original).__name__})") from None
