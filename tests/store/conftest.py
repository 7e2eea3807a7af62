"""Store fixtures: a fake clock, key rings, and both backends (SQLite files; a throwaway PostgreSQL cluster)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from store import KeyRing, MasterKey, SqlTranscriptStore, StoreConfig

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


@dataclass
class PgCluster:
    """A throwaway PostgreSQL server on a unix socket in a temp dir."""

    root: Path
    bin: Path
    counter: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def dsn(self, db: str) -> str:
        return f"postgresql://postgres@/{db}?host={self.root}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{next(self.counter)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn(name)

    def sql(self, db_dsn: str, statement: str) -> None:
        import psycopg

        with psycopg.connect(db_dsn, autocommit=True) as conn:
            conn.execute(statement)


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    pg_bin = _pg_bin()
    if pg_bin is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="callscribe-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    cluster = PgCluster(root, pg_bin)
    subprocess.run(
        _as_postgres(
            [
                str(pg_bin / "initdb"),
                "-D",
                str(cluster.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    opts = f"-k {root} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as_postgres(
            [str(pg_bin / "pg_ctl"), "-D", str(cluster.data), "-o", opts, "-w", "-l", str(root / "server.log"), "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield cluster
    finally:
        subprocess.run(
            _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(cluster.data), "-m", "immediate", "stop"]),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


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
