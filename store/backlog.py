"""Posted writes that could not be applied yet (disk full, database unreachable), kept in order.

Theory of operation. Every posted write goes through the backlog on the store's worker thread: the
backlog is applied oldest first, and a write that fails with a *transient* error (SQLite's
`OperationalError`: disk full, I/O error, locked; PostgreSQL's `OperationalError`: connection lost;
`OSError`) stays at the head, with everything posted after it kept behind it, so that consent rows,
audit rows and finals are never reordered and never lost silently. The next post, or the maintenance
task's `retry`, tries again: writes recover on their own when space returns. A write that fails for any
other reason (a bug) is dropped, logged and counted, so it cannot block the ones after it. Past
`max_pending` waiting writes the newest is dropped and counted (`lost`) and logged as an error: memory
stays bounded, and the loss is loud. While anything waits the store is `degraded`: `/healthz` says so
and the gateway refuses new calls (their consent could not be recorded).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

import structlog

log = structlog.get_logger("store")
C = TypeVar("C")


def is_transient(exc: BaseException) -> bool:
    """A failure that may go away on its own (space, I/O, connectivity), so the write is retried."""
    if isinstance(exc, sqlite3.OperationalError | OSError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.OperationalError)


class WriteBacklog(Generic[C]):
    """Ordered, bounded pending writes with failure counters (used from one worker thread)."""

    def __init__(self, apply: Callable[[C], None], max_pending: int = 100_000) -> None:
        self._apply = apply
        self._max = max_pending
        self._pending: deque[C] = deque()
        self._lock = threading.Lock()  # only for the counters' readers on the event loop
        self.failures = 0
        """Write attempts that failed (transient or not)."""
        self.dropped = 0
        """Writes given up: failed for a non-transient reason, or past `max_pending` (`lost`)."""
        self.lost = 0
        """Writes dropped because the backlog was full."""
        self._failing = False

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def degraded(self) -> bool:
        """Writes are waiting for the database to recover (a transient failure, not a write in progress:
        the write being applied also sits at the head of the queue, and a call arriving meanwhile must not
        be refused for it)."""
        return self._failing and bool(self._pending)

    def post(self, cmd: C) -> None:
        """Queue `cmd` behind what waits, then apply as much as the database takes."""
        if len(self._pending) >= self._max:
            with self._lock:
                self.lost += 1
                self.dropped += 1
            log.error("store_write_lost", command=type(cmd).__name__, pending=len(self._pending))
        else:
            self._pending.append(cmd)
        self.retry()

    def retry(self) -> None:
        """Apply waiting writes oldest first; stop at the first transient failure (it stays at the head)."""
        while self._pending:
            cmd = self._pending[0]
            try:
                self._apply(cmd)
            except Exception as exc:
                with self._lock:
                    self.failures += 1
                if is_transient(exc):
                    if not self._failing:  # once per outage, not once per write
                        log.error(
                            "store_write_failed",
                            command=type(cmd).__name__,
                            transient=True,
                            error=type(exc).__name__,
                            pending=len(self._pending),
                        )
                    self._failing = True
                    return
                log.error("store_write_failed", command=type(cmd).__name__, transient=False, exc_info=exc)
                with self._lock:
                    self.dropped += 1
            self._pending.popleft()
            if self._failing:
                self._failing = False
                log.info("store_writes_recovered", pending=len(self._pending))
