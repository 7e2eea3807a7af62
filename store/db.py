"""The two database backends behind one small interface: SQLite (embedded default) and PostgreSQL.

Both are driven from the store's single worker thread: a connection is opened, used and closed on that
thread only. SQL is written once with `?` placeholders; the PostgreSQL backend rewrites them to `%s`.
A `Tx` is one transaction; `lock_audit()` serialises appends to the audit hash chain across processes
(SQLite: `BEGIN IMMEDIATE` already holds the write lock; PostgreSQL: a transaction advisory lock).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from store.errors import StoreConfigError

Row = tuple[Any, ...]
_AUDIT_LOCK = 0x63616C6C  # "call": an arbitrary, fixed advisory-lock key


class Tx(Protocol):
    """One open transaction."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one statement; returns its rows (empty for statements without a result)."""
        ...

    def lock_audit(self) -> None:
        """Hold the audit-chain lock until the transaction ends."""
        ...


class Database(Protocol):
    """A connection owned by one thread."""

    dialect: str

    def transaction(self) -> AbstractContextManager[Tx]:
        """`with db.transaction() as tx:` commits on success, rolls back on error."""
        ...

    def compact(self) -> None:
        """After an erasure: push freed pages out of write-ahead logs where the backend allows it."""
        ...

    def has_table(self, name: str) -> bool: ...

    def close(self) -> None: ...


class SqliteDatabase:
    """SQLite in WAL mode with secure_delete (freed pages are zeroed)."""

    dialect = "sqlite"

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(path, isolation_level=None)
            else:
                self._conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
        except (sqlite3.Error, OSError) as exc:
            raise StoreConfigError(f"cannot open SQLite database {path}: {exc}") from None
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "secure_delete=ON",
            "foreign_keys=ON",
            "busy_timeout=10000",
        ):
            self._conn.execute(f"PRAGMA {pragma}")

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def lock_audit(self) -> None:
        """`BEGIN IMMEDIATE` took the database write lock already."""

    @contextmanager
    def transaction(self) -> Iterator[SqliteDatabase]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def compact(self) -> None:
        """Checkpoint and truncate the WAL: secure_delete zeroes the erased pages in the main file."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def has_table(self, name: str) -> bool:
        return bool(self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))

    def close(self) -> None:
        self._conn.close()


class PostgresDatabase:
    """PostgreSQL through psycopg 3 (autocommit outside explicit transactions)."""

    dialect = "postgres"

    def __init__(self, dsn: str) -> None:
        import psycopg

        try:
            self._conn = psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StoreConfigError(f"cannot connect to PostgreSQL: {exc}") from None

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        cur = self._conn.execute(sql.replace("?", "%s"), tuple(params) if params else None)
        return list(cur.fetchall()) if cur.description is not None else []

    def lock_audit(self) -> None:
        self.execute("SELECT pg_advisory_xact_lock(?)", (_AUDIT_LOCK,))

    @contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        with self._conn.transaction():
            yield self

    def compact(self) -> None:
        """Nothing to do online: PostgreSQL recycles its WAL segments; erased rows are ciphertext anyway."""

    def has_table(self, name: str) -> bool:
        return self.execute("SELECT to_regclass(?)", (name,))[0][0] is not None

    def close(self) -> None:
        self._conn.close()


def connect(dsn: str, create: bool = True) -> SqliteDatabase | PostgresDatabase:
    """`sqlite:///relative.db`, `sqlite:////absolute.db`, or a `postgresql://` / `postgres://` URL.
    `create=False` refuses to create a missing SQLite file (for read-only tools)."""
    if dsn.startswith("sqlite:///"):
        return SqliteDatabase(Path(dsn.removeprefix("sqlite:///")), create)
    if dsn.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(dsn)
    raise StoreConfigError("store DSN must start with sqlite:/// or postgresql://")
