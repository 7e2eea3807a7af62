"""Store fixtures: a fake clock, key rings, and both backends (SQLite files; a throwaway PostgreSQL cluster,
`tests/pg.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from store import KeyRing, MasterKey, SqlTranscriptStore, StoreConfig
from tests.pg import PgCluster, pg_server

DAY = 86_400.0
T0 = 1_700_000_000.0
CONFIG = StoreConfig(
    retention_days={"quality": 30, "complaint": 365},
    recipients={"quality": ("QA team",), "complaint": ("complaints desk", "legal")},
)


class Clock:
    """A settable wall clock (Unix seconds) for retention tests."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    with pg_server() as cluster:
        yield cluster


@dataclass
class Backend:
    """One test's database: its DSN, the files it lives in, and a raw SQL hook for tampering."""

    name: str
    dsn: str
    files: Path
    pg: PgCluster | None = None

    def sql(self, statement: str) -> None:
        """Run SQL as the database owner, bypassing the store (an attacker with database access)."""
        if self.pg is not None:
            self.pg.sql(self.dsn, statement)
        else:
            import sqlite3

            conn = sqlite3.connect(self.files / "store.db", isolation_level=None)
            conn.execute(statement)
            conn.close()

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        """Read through a connection of the test's own (the store's belongs to its worker thread)."""
        if self.pg is not None:
            import psycopg

            with psycopg.connect(self.dsn, autocommit=True) as pg_conn:
                return list(pg_conn.execute(statement).fetchall())
        import sqlite3

        conn = sqlite3.connect(self.files / "store.db")
        try:
            return conn.execute(statement).fetchall()
        finally:
            conn.close()

    def checkpoint(self) -> None:
        """Make the server write everything it buffers to its files before they are grepped."""
        if self.pg is not None:
            self.pg.sql(self.dsn, "CHECKPOINT")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", f"sqlite:///{tmp_path}/store.db", tmp_path)
    pg: PgCluster = request.getfixturevalue("pg_cluster")
    return Backend("postgres", pg.new_database(), pg.root, pg)


@pytest.fixture
def ring() -> KeyRing:
    return KeyRing(MasterKey.generate())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(backend: Backend, ring: KeyRing, clock: Clock) -> AsyncIterator[SqlTranscriptStore]:
    s = await SqlTranscriptStore.open(backend.dsn, CONFIG, ring, clock)
    yield s
    await s.aclose()
