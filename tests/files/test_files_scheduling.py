"""File work on the shared scheduler: lowest priority, one job per batch, never ahead of a waiting live job."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from asr.batching import BatcherConfig, BatchQueue, Job
from asr.scheduler import Scheduler
from asr.testing import FakeTranscriber
from asr.types import DecodeRequest, Kind, Transcriber

ENGINE = "fake"


def job(kind: str, leg: str, at: float) -> Job[str]:
    return Job(ENGINE, kind, ("c", leg), "c", f"{kind}-{leg}", at)


def test_queue_order_finals_partials_files() -> None:
    """With all three kinds waiting, batches come out finals, then partials, then one file job at a time."""
    q: BatchQueue[str] = BatchQueue(BatcherConfig(max_batch=8, window_s=0.0))
    for i, kind in enumerate(["file", "file", "partial", "final", "partial", "final"]):
        q.submit(job(kind, f"l{i}", float(i)))
    order = []
    while len(q):
        order.append([j.payload for j in q.take(now=100.0)])
    assert order == [["final-l3", "final-l5"], ["partial-l2", "partial-l4"], ["file-l0"], ["file-l1"]]


def test_file_jobs_do_not_count_towards_overload() -> None:
    """Queued file work never makes the gateway refuse a live call (`would_overload` counts live jobs)."""
    q: BatchQueue[str] = BatchQueue(BatcherConfig(max_pending=2))
    for i in range(5):
        q.submit(job("file", f"f{i}", float(i)))
    assert not q.would_overload() and q.files_waiting == 5
    q.submit(job("final", "a", 9.0))
    q.submit(job("final", "b", 9.0))
    assert q.would_overload()


def request(kind: Kind, leg: str) -> DecodeRequest:
    return DecodeRequest("live", leg, kind, np.zeros(16000, np.float32), "en")


async def test_live_final_waits_behind_one_file_job_only() -> None:
    """A final submitted while a file job runs goes next, ahead of a partial and of the other queued file work."""
    gate = threading.Event()
    engine = FakeTranscriber(ENGINE)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(window_s=0.0))
    scheduler.start()
    ran: list[tuple[str, int]] = []  # (file job, live batches the engine had run before it)
    started = threading.Event()

    def file_work(name: str) -> object:
        def work(e: Transcriber) -> str:
            ran.append((name, len(engine.batches)))
            started.set()
            if name == "file-1":
                gate.wait(timeout=10)
            return name

        return work

    first = scheduler.submit_file(ENGINE, "rec", file_work("file-1"))
    assert await asyncio.to_thread(started.wait, 10)  # the first window is on the engine
    second = scheduler.submit_file(ENGINE, "rec", file_work("file-2"))
    partial = scheduler.submit(ENGINE, request("partial", "caller"))
    final = scheduler.submit(ENGINE, request("final", "agent"))
    gate.set()
    assert await first == "file-1"
    await asyncio.gather(final, partial, second)
    kinds = [[r.kind for r in batch] for batch in engine.batches]
    assert kinds == [["final"], ["partial"]] and ran == [("file-1", 0), ("file-2", 2)]
    assert scheduler.stats.files == 2
    await scheduler.aclose()


async def test_failing_file_work_fails_only_its_future() -> None:
    """An exception in file work reaches that file's future; live requests keep being served."""
    scheduler = Scheduler({ENGINE: FakeTranscriber(ENGINE)})
    scheduler.start()

    def broken(e: Transcriber) -> None:
        raise ValueError("bad window")

    failed = scheduler.submit_file(ENGINE, "rec", broken)
    live = await scheduler.submit(ENGINE, request("final", "caller"))
    with pytest.raises(ValueError, match="bad window"):
        await failed
    assert live is not None and live.text.startswith("final")
    await scheduler.aclose()


def test_file_work_is_throttled_while_live_jobs_come() -> None:
    """After a 1 s file job with live jobs about, the next waits 9 s (share 0.1), or until live is quiet 1 s."""
    q: BatchQueue[str] = BatchQueue(BatcherConfig(window_s=0.0, file_share=0.1, live_quiet_s=1.0))
    q.submit(job("file", "f1", 0.0))
    assert [j.payload for j in q.take(now=0.0)] == ["file-f1"]  # nothing live yet: at once
    q.file_done(0.0, 1.0)
    q.submit(job("file", "f2", 1.0))
    q.submit(job("partial", "a", 1.0))
    assert [j.payload for j in q.take(now=1.0)] == ["partial-a"]
    for t in (1.5, 1.9):  # a call keeps speaking: partials keep coming
        q.submit(job("partial", "a", t))
        assert [j.payload for j in q.take(now=t)] == ["partial-a"]
        assert q.take(now=t + 0.1) == []  # the file waits
    assert q.next_deadline() == 2.9  # live quiet for 1 s after the last partial
    assert [j.payload for j in q.take(now=2.9)] == ["file-f2"]
