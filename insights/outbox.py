"""The persisted webhook outbox (SQLite): events survive a restart and are retried with back-off.

Rows hold no personal data: the event id (the Idempotency-Key), kind, tenant, call id, the purpose the
payload is read under, and delivery bookkeeping. The insights themselves are read from the encrypted
store at delivery time, so an erased call's pending delivery simply finds nothing and is dropped.
Every method opens its own connection (cheap for SQLite) and is meant to run off the event loop.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """CREATE TABLE IF NOT EXISTS outbox (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, tenant TEXT NOT NULL, call_id TEXT NOT NULL,
    purpose TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, delivered_at REAL, dropped TEXT)"""


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    kind: str  # "call.insights" | "call.erased"
    tenant: str
    call_id: str
    purpose: str
    created_at: float
    attempts: int


class Outbox:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection, one transaction: committed on success, rolled back on error, always closed."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, kind: str, tenant: str, call_id: str, purpose: str, now: float) -> str:
        event_id = str(uuid.uuid4())
        with self._connect() as db:
            db.execute(
                "INSERT INTO outbox (id, kind, tenant, call_id, purpose, created_at, next_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event_id, kind, tenant, call_id, purpose, now, now),
            )
        return event_id

    def due(self, now: float, limit: int = 20) -> list[Event]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, kind, tenant, call_id, purpose, created_at, attempts FROM outbox "
                "WHERE delivered_at IS NULL AND dropped IS NULL AND next_at <= ? "
                "ORDER BY created_at LIMIT ?",
                (now, limit),
            ).fetchall()
        return [Event(*row) for row in rows]

    def next_at(self) -> float | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT MIN(next_at) FROM outbox WHERE delivered_at IS NULL AND dropped IS NULL"
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def delivered(self, event_id: str, now: float) -> None:
        with self._connect() as db:
            db.execute("UPDATE outbox SET delivered_at = ? WHERE id = ?", (now, event_id))

    def failed(self, event_id: str, retry_at: float) -> None:
        with self._connect() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, next_at = ? WHERE id = ?", (retry_at, event_id))

    def drop(self, event_id: str, reason: str) -> None:
        with self._connect() as db:
            db.execute("UPDATE outbox SET dropped = ? WHERE id = ?", (reason, event_id))

    def cancel(self, tenant: str, call_id: str, kind: str) -> int:
        """Drop the pending events of one kind for a call (its insights, once the call is erased)."""
        with self._connect() as db:
            cur = db.execute(
                "UPDATE outbox SET dropped = 'cancelled' WHERE tenant = ? AND call_id = ? AND kind = ? "
                "AND delivered_at IS NULL AND dropped IS NULL",
                (tenant, call_id, kind),
            )
            return cur.rowcount

    def pending(self) -> int:
        with self._connect() as db:
            row = db.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND dropped IS NULL").fetchone()
        return int(row[0])
