"""The async face of the store: the `TranscriptStore` interface and its SQL implementation.

Every database call runs on one dedicated worker thread (a single-thread executor), so the event loop
never blocks and writes apply in the order they were posted. `post()` is the listener's path: it only
enqueues (never blocks, never raises); failures are logged once with the exception, never with text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

import structlog

from store.anchor import Anchor
from store.audit import ChainReport
from store.backlog import WriteBacklog
from store.config import StoreConfig
from store.core import StoreCore
from store.db import connect
from store.keys import KeyRing
from store.model import CallSummary, SubjectExport, Transcript, WriteCommand

log = structlog.get_logger("store")
T = TypeVar("T")


class TranscriptStore(Protocol):
    """Purpose-bound, encrypted transcript storage with a data-subject API and an audit trail."""

    def post(self, cmd: WriteCommand) -> None:
        """Enqueue a write from the event loop; applied in posting order; never blocks or raises."""
        ...

    async def apply(self, cmd: WriteCommand) -> None:
        """Apply a write and wait for it."""
        ...

    async def flush(self) -> None:
        """Wait until every write posted so far is applied."""
        ...

    async def link_subject(self, tenant: str, call_id: str, subject: str, actor: str) -> None: ...
    async def last_seq(self, tenant: str, call_id: str) -> int | None: ...
    async def list_calls(self, tenant: str) -> list[CallSummary]: ...
    async def read_transcript(self, tenant: str, call_id: str, purpose: str, actor: str) -> Transcript: ...
    async def export_subject(self, tenant: str, subject: str, actor: str) -> SubjectExport: ...
    async def erase_call(self, tenant: str, call_id: str, actor: str) -> None: ...
    async def erase_subject(self, tenant: str, subject: str, actor: str) -> int: ...
    async def subject_calls(self, tenant: str, subject: str) -> list[str]: ...
    async def purge(self) -> int: ...
    async def put_insights(self, tenant: str, call_id: str, document: str) -> bool: ...
    async def read_insights(self, tenant: str, call_id: str, purpose: str, actor: str) -> dict[str, Any]: ...
    async def rotate(self) -> int: ...
    async def verify(self) -> ChainReport: ...
    async def anchor(self, path: Path) -> Anchor | None: ...
    async def aclose(self) -> None: ...


class SqlTranscriptStore:
    """`TranscriptStore` on SQLite (`sqlite:///path`) or PostgreSQL (`postgresql://...`)."""

    def __init__(self, executor: ThreadPoolExecutor, core: StoreCore) -> None:
        self._executor = executor
        self._core = core
        self._closed = False
        self.backlog: WriteBacklog[WriteCommand] = WriteBacklog(core.apply)
        """Posted writes not applied yet (disk full...): `degraded`, `failures`, `lost` (see `store.backlog`)."""

    @classmethod
    async def open(
        cls, dsn: str, config: StoreConfig, ring: KeyRing, clock: Callable[[], float] = time.time
    ) -> SqlTranscriptStore:
        """Connect on the worker thread and apply pending schema migrations."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        try:
            core = await asyncio.get_running_loop().run_in_executor(
                executor, lambda: StoreCore(connect(dsn), ring, config, clock)
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        log.info("store_opened", backend=core.db.dialect, schema_version=core.version)
        return cls(executor, core)

    @property
    def core(self) -> StoreCore:
        return self._core

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def post(self, cmd: WriteCommand) -> None:
        if self._closed:
            log.warning("store_write_dropped", reason="closed", command=type(cmd).__name__)
            return
        self._executor.submit(self.backlog.post, cmd).add_done_callback(_log_failure)

    @property
    def degraded(self) -> bool:
        """Posted writes are waiting for the database (disk full, connection lost)."""
        return self.backlog.degraded

    async def retry(self) -> None:
        """Try the waiting writes again (the maintenance task calls this every few seconds)."""
        await self._run(self.backlog.retry)

    async def apply(self, cmd: WriteCommand) -> None:
        await self._run(partial(self._core.apply, cmd))

    async def flush(self) -> None:
        await self._run(self.backlog.retry)

    async def link_subject(self, tenant: str, call_id: str, subject: str, actor: str) -> None:
        await self._run(partial(self._core.link_subject, tenant, call_id, subject, actor))

    async def last_seq(self, tenant: str, call_id: str) -> int | None:
        return await self._run(partial(self._core.last_seq, tenant, call_id))

    async def list_calls(self, tenant: str) -> list[CallSummary]:
        return await self._run(partial(self._core.list_calls, tenant))

    async def read_transcript(self, tenant: str, call_id: str, purpose: str, actor: str) -> Transcript:
        return await self._run(partial(self._core.read, tenant, call_id, purpose, actor))

    async def export_subject(self, tenant: str, subject: str, actor: str) -> SubjectExport:
        return await self._run(partial(self._core.export_subject, tenant, subject, actor))

    async def erase_call(self, tenant: str, call_id: str, actor: str) -> None:
        await self._run(partial(self._core.erase_call, tenant, call_id, actor))

    async def erase_subject(self, tenant: str, subject: str, actor: str) -> int:
        return await self._run(partial(self._core.erase_subject, tenant, subject, actor))

    async def subject_calls(self, tenant: str, subject: str) -> list[str]:
        return await self._run(partial(self._core.subject_calls, tenant, subject))

    async def purge(self) -> int:
        return await self._run(self._core.purge)

    async def put_insights(self, tenant: str, call_id: str, document: str) -> bool:
        return await self._run(partial(self._core.put_insights, tenant, call_id, document))

    async def read_insights(self, tenant: str, call_id: str, purpose: str, actor: str) -> dict[str, Any]:
        return await self._run(partial(self._core.read_insights, tenant, call_id, purpose, actor))

    async def rotate(self) -> int:
        return await self._run(self._core.rotate)

    async def verify(self) -> ChainReport:
        return await self._run(self._core.verify)

    async def anchor(self, path: Path) -> Anchor | None:
        return await self._run(partial(self._core.anchor, path))

    async def aclose(self) -> None:
        """Apply what was posted, then close the connection and the worker."""
        if self._closed:
            return
        self._closed = True
        await self._run(self._core.close)
        self._executor.shutdown(wait=True)


def _log_failure(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("store_write_failed", exc_info=exc)


RETRY_EVERY_S = 1.0
"""How often the maintenance task retries writes that wait for the database (disk full...)."""


async def maintain(
    store: TranscriptStore,
    interval_s: float,
    rotate: bool,
    anchor_file: str | None = None,
    anchor_interval_s: float = 300.0,
) -> None:
    """Background task: rewrap old data keys once (when the ring has old keys), purge now and every interval,
    retry writes that wait for the database; with `anchor_file`, also append the audit chain head to it now
    and every `anchor_interval_s`."""
    if rotate:
        await _guarded(store.rotate, "rotate")
    jobs = [_every(interval_s, store.purge, "purge"), _retry_writes(store)]
    if anchor_file is not None:
        path = Path(anchor_file)
        jobs.append(_every(anchor_interval_s, lambda: _anchor_count(store, path), "anchor"))
    await asyncio.gather(*jobs)


async def _retry_writes(store: TranscriptStore) -> None:
    while True:
        await asyncio.sleep(RETRY_EVERY_S)
        if isinstance(store, SqlTranscriptStore) and store.degraded:
            await store.retry()


async def _anchor_count(store: TranscriptStore, path: Path) -> int:
    anchor = await store.anchor(path)
    return 0 if anchor is None else anchor.rows


async def _every(interval_s: float, job: Callable[[], Awaitable[int]], name: str) -> None:
    while True:
        await _guarded(job, name)
        await asyncio.sleep(interval_s)


async def _guarded(job: Callable[[], Awaitable[int]], name: str) -> None:
    try:
        result = await job()
        log.info("store_maintenance", job=name, calls=result)
    except Exception as exc:  # a failed purge is retried next interval; the gateway keeps serving
        log.error("store_maintenance_failed", job=name, exc_info=exc)
