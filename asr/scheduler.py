"""The cross-call scheduler: one queue, up to `max_inflight` batches on the engines at once (async shell).

All calls submit their partial and final requests here. The pure policy lives in `asr.batching`; this
module owns the event-loop side: futures for the callers, a wake-up event, and `max_inflight` worker
threads in which the engines run (CTranslate2 releases the GIL, so the event loop keeps serving sockets
meanwhile). With one in flight a batch is taken only when the previous one is done, so the newest
requests (finals first) always make the next batch; with two or more, partials and file work hold at most
all but one of them, so a final never waits for a worker behind partials.

Why this shell lives in `asr/` and not in `gateway/`: it serves every producer of decode work, not only
the gateway's calls (file transcription jobs, the benchmark's offline runs), and it is the seam where an
engine pool is fed; the pure policy beside it (`asr.batching`) is what the tests pin down.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog

from asr.batching import BatcherConfig, BatchQueue, Job
from asr.types import DecodeRequest, DecodeResult, Transcriber

log = structlog.get_logger("asr.scheduler")

R = TypeVar("R")
FileWork = Callable[[Transcriber], Any]
"""A piece of file work (one decoding window of a recording) run on the worker thread with the engine."""
Pending = tuple[DecodeRequest | FileWork, "asyncio.Future[Any]"]


@dataclass(slots=True)
class SchedulerStats:
    """Counters tests and metrics read; `multi_call_batches` counts batches holding more than one call."""

    batches: int = 0
    requests: int = 0
    finals: int = 0
    partials: int = 0
    replaced: int = 0
    partials_shed: int = 0  # partials not submitted because finals were waiting (counted by callers)
    failed: int = 0
    files: int = 0
    file_seconds: float = 0.0
    multi_call_batches: int = 0
    max_calls_in_batch: int = 0
    max_batch_size: int = 0
    busy_seconds: float = 0.0
    audio_seconds: float = 0.0
    batch_sizes: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One engine call, for observers (metrics, admission by load): no text, no call ids."""

    kind: str
    size: int
    waits_s: tuple[float, ...]
    """How long each request waited in the queue before its batch was taken."""
    busy_s: float
    ended_at: float
    timings: Mapping[str, float] = field(default_factory=dict)
    """The engine's own timings of the batch (`DecodeResult.timings`: features, encode, generate, ...)."""


class Scheduler:
    """Batches decode requests from all calls onto the engines; `submit` returns a future per request.

    A future resolves to the result, or to None when a newer partial of the same leg replaced it.
    """

    def __init__(
        self,
        engines: Mapping[str, Transcriber],
        config: BatcherConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engines = dict(engines)
        self.config = config or BatcherConfig()
        self.stats = SchedulerStats()
        self._clock = clock
        self._queue: BatchQueue[Pending] = BatchQueue(self.config)
        self._wake = asyncio.Event()
        self.max_inflight = self.config.max_inflight or max(
            (int(getattr(e, "workers", 1)) for e in self.engines.values()), default=1
        )
        """Batches on the engines at once (`BatcherConfig.max_inflight`, 0 resolved from the engines)."""
        self._executor = ThreadPoolExecutor(max_workers=self.max_inflight, thread_name_prefix="asr-engine")
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self._partial_batches: set[asyncio.Task[None]] = set()
        """In-flight batches that are not finals (partials, file work): at most max_inflight - 1 of them."""
        self._closing = False
        self.observers: list[Callable[[BatchReport], None]] = []
        """Called after every decoded batch (on the event loop); must not raise."""

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def finals_waiting(self) -> int:
        """Finals queued and not yet taken by the worker."""
        return self._queue.finals_waiting

    def has_room_for_final(self) -> bool:
        """Nothing waits, no final is being decoded and a worker is free: a final submitted now starts at once
        and takes nobody's turn (the gate for work done ahead of need, such as an early final)."""
        finals_running = len(self._inflight) > len(self._partial_batches)
        return (
            not len(self._queue)
            and not finals_running
            and len(self._inflight) < self.max_inflight
            and not self._closing
        )

    def would_overload(self) -> bool:
        return self._closing or self._queue.would_overload()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="asr-scheduler")

    def submit(self, engine: str, request: DecodeRequest) -> asyncio.Future[DecodeResult | None]:
        """Queue a request for `engine`; finals are always accepted, partials may be replaced."""
        if engine not in self.engines:
            raise KeyError(f"no engine {engine!r}")
        if self._task is not None and self._task.done():
            raise RuntimeError("the scheduler is closed")
        future: asyncio.Future[DecodeResult | None] = asyncio.get_running_loop().create_future()
        job: Job[Pending] = Job(
            engine, request.kind, (request.call_id, request.leg), request.call_id, (request, future), self._clock()
        )
        old = self._queue.submit(job)
        if old is not None:
            self.stats.replaced += 1
            if not old.payload[1].done():
                old.payload[1].set_result(None)
        self._wake.set()
        return future

    def submit_file(self, engine: str, call_id: str, work: Callable[[Transcriber], R]) -> asyncio.Future[R]:
        """Queue file work at the lowest priority: it runs alone, only while no live request waits."""
        if engine not in self.engines:
            raise KeyError(f"no engine {engine!r}")
        if self._closing or (self._task is not None and self._task.done()):
            raise RuntimeError("the scheduler is closed")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.submit(Job(engine, "file", (call_id, "file"), call_id, (work, future), self._clock()))
        self._wake.set()
        return future

    async def aclose(self) -> None:
        """Finish every queued request (finals are never dropped), then stop the worker."""
        self._closing = True
        self.start()  # a scheduler closed before it ever ran still resolves what was queued
        self._wake.set()
        if self._task is not None:
            await self._task
        self._executor.shutdown(wait=True)

    @property
    def inflight(self) -> int:
        """Batches on the engines now."""
        return len(self._inflight)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        room = self.max_inflight
        partial_room = max(1, room - 1)  # with 2+ workers one stays free for finals
        while True:
            now = self._clock()
            batch: list[Job[Pending]] = []
            if len(self._inflight) < room:
                allow = len(self._partial_batches) < partial_room
                batch = self._queue.take(now, force=self._closing, partials=allow)
            if batch:
                task = loop.create_task(self._execute(loop, batch))
                self._inflight.add(task)
                if batch[0].kind != "final":
                    self._partial_batches.add(task)
                task.add_done_callback(self._batch_done)
                continue
            if self._closing and not len(self._queue) and not self._inflight:
                return
            self._wake.clear()
            timeout: float | None = None
            partials_full = len(self._partial_batches) >= partial_room and not self._queue.finals_waiting
            if len(self._inflight) < room and not (partials_full and not self._closing):
                deadline = self._queue.next_deadline()
                timeout = None if deadline is None else max(0.0, deadline - now)
                if self._closing and len(self._queue):
                    timeout = 0.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def _batch_done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._partial_batches.discard(task)
        self._wake.set()

    async def _execute(self, loop: asyncio.AbstractEventLoop, batch: list[Job[Pending]]) -> None:
        if batch[0].kind == "file":
            await self._execute_file(loop, batch[0])
            return
        requests = [job.payload[0] for job in batch if isinstance(job.payload[0], DecodeRequest)]
        engine = self.engines[batch[0].engine]
        taken = self._clock()
        started = time.perf_counter()
        try:
            results = await loop.run_in_executor(self._executor, engine.transcribe_batch, requests)
        except Exception as exc:  # the engine failed: every caller hears about it, none hangs
            log.error("engine_failed", engine=batch[0].engine, batch=len(batch), exc_info=exc)
            self.stats.failed += len(batch)
            for job in batch:
                if not job.payload[1].done():
                    job.payload[1].set_exception(exc)
            return
        busy = time.perf_counter() - started
        self._count(batch, requests, busy)
        report = BatchReport(
            batch[0].kind,
            len(batch),
            tuple(taken - job.queued_at for job in batch),
            busy,
            self._clock(),
            results[0].timings if results else {},
        )
        log.debug(
            "batch_decoded",
            kind=report.kind,
            size=report.size,
            max_wait_s=round(max(report.waits_s), 3),
            busy_s=round(busy, 3),
            audio_s=round(sum(r.seconds for r in requests), 2),
            **{k: round(v, 3) for k, v in report.timings.items()},
        )
        for observe in self.observers:
            observe(report)
        for job, result in zip(batch, results, strict=True):
            if not job.payload[1].done():
                job.payload[1].set_result(result)

    async def _execute_file(self, loop: asyncio.AbstractEventLoop, job: Job[Pending]) -> None:
        work, future = job.payload
        assert not isinstance(work, DecodeRequest)
        engine = self.engines[job.engine]
        started, began = time.perf_counter(), self._clock()
        try:
            result = await loop.run_in_executor(self._executor, work, engine)
        except Exception as exc:  # handed to the file's owner, which fails that file only
            if not future.done():
                future.set_exception(exc)
        else:
            if not future.done():
                future.set_result(result)
        self._queue.file_done(began, self._clock())
        self.stats.files += 1
        self.stats.file_seconds += time.perf_counter() - started

    def _count(self, batch: list[Job[Pending]], requests: list[DecodeRequest], busy: float) -> None:
        s = self.stats
        calls = len({job.call_id for job in batch})
        s.batches += 1
        s.requests += len(batch)
        s.finals += sum(1 for r in requests if r.kind == "final")
        s.partials += sum(1 for r in requests if r.kind == "partial")
        s.multi_call_batches += calls > 1
        s.max_calls_in_batch = max(s.max_calls_in_batch, calls)
        s.max_batch_size = max(s.max_batch_size, len(batch))
        s.busy_seconds += busy
        s.audio_seconds += sum(r.seconds for r in requests)
        s.batch_sizes[len(batch)] = s.batch_sizes.get(len(batch), 0) + 1
