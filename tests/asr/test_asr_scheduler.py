"""The async scheduler: futures per request, cross-call batches, failures and shutdown (fake engine)."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from asr.batching import BatcherConfig
from asr.scheduler import Scheduler
from asr.testing import FakeTranscriber
from asr.types import DecodeRequest, DecodeResult, Kind

ENGINE = "fake"


def request(kind: Kind, call: str = "c1", leg: str = "caller", seconds: float = 1.0) -> DecodeRequest:
    return DecodeRequest(call, leg, kind, np.zeros(int(seconds * 16000), np.float32), "en")


async def wait_for_batches(engine: FakeTranscriber, count: int) -> None:
    """Yield to the loop until the worker has handed `count` batches to the engine."""
    for _ in range(2000):
        if len(engine.batches) >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"the engine saw {len(engine.batches)} batches, expected {count}")


async def test_future_resolves_with_the_engine_result() -> None:
    """A submitted request's future resolves to the engine's result for that request."""
    engine = FakeTranscriber(ENGINE)
    scheduler = Scheduler({ENGINE: engine})
    scheduler.start()
    result = await scheduler.submit(ENGINE, request("final", seconds=1.5))
    await scheduler.aclose()
    assert isinstance(result, DecodeResult)
    assert result.text == "final 1.50"
    assert scheduler.stats.finals == 1
    assert scheduler.stats.audio_seconds == pytest.approx(1.5)


async def test_unknown_engine_is_refused() -> None:
    """Submitting to an engine the scheduler does not hold raises KeyError at once."""
    scheduler = Scheduler({ENGINE: FakeTranscriber(ENGINE)})
    with pytest.raises(KeyError):
        scheduler.submit("nope", request("final"))
    await scheduler.aclose()


async def test_replaced_partial_resolves_to_none() -> None:
    """A partial displaced by a newer partial of the same leg resolves to None; the newer one is decoded."""
    engine = FakeTranscriber(ENGINE)
    scheduler = Scheduler({ENGINE: engine})
    old = scheduler.submit(ENGINE, request("partial", seconds=1.0))
    new = scheduler.submit(ENGINE, request("partial", seconds=2.0))
    assert old.done()
    assert old.result() is None
    scheduler.start()
    result = await new
    await scheduler.aclose()
    assert result is not None
    assert result.text == "partial 2.00"
    assert scheduler.stats.replaced == 1
    assert [len(b) for b in engine.batches] == [1]


async def test_requests_of_many_calls_share_a_batch_while_the_engine_is_busy() -> None:
    """Requests from several calls that queue while the worker is busy go to the engine in one batch."""
    gate = threading.Event()
    engine = FakeTranscriber(ENGINE, gate=gate)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(max_batch=16, window_s=0.0))
    scheduler.start()
    first = scheduler.submit(ENGINE, request("final", call="call-0"))
    await wait_for_batches(engine, 1)
    futures = [scheduler.submit(ENGINE, request("partial", call=f"call-{i}")) for i in range(1, 5)]
    gate.set()
    results = await asyncio.gather(first, *futures)
    await scheduler.aclose()
    assert all(r is not None for r in results)
    assert [len(b) for b in engine.batches] == [1, 4]
    assert {r.call_id for r in engine.batches[1]} == {"call-1", "call-2", "call-3", "call-4"}
    assert scheduler.stats.multi_call_batches == 1
    assert scheduler.stats.max_calls_in_batch == 4
    assert scheduler.stats.max_batch_size == 4
    assert scheduler.stats.batch_sizes == {1: 1, 4: 1}


async def test_waiting_finals_go_before_waiting_partials() -> None:
    """Finals queued behind a busy engine are decoded before partials that were queued earlier."""
    gate = threading.Event()
    engine = FakeTranscriber(ENGINE, gate=gate)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(window_s=0.0))
    scheduler.start()
    futures = [scheduler.submit(ENGINE, request("final", call="c0"))]
    await wait_for_batches(engine, 1)
    futures += [scheduler.submit(ENGINE, request("partial", call=f"p{i}")) for i in range(2)]
    futures += [scheduler.submit(ENGINE, request("final", call=f"f{i}")) for i in range(2)]
    gate.set()
    await asyncio.gather(*futures)
    await scheduler.aclose()
    assert [[r.kind for r in b] for b in engine.batches] == [["final"], ["final", "final"], ["partial", "partial"]]


async def test_engine_failure_reaches_every_future_and_the_scheduler_recovers() -> None:
    """An engine exception fails every request of its batch; later requests are decoded normally."""
    engine = FakeTranscriber(ENGINE, fail=True)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(window_s=0.0))
    futures = [scheduler.submit(ENGINE, request("final", call=f"c{i}")) for i in range(3)]
    scheduler.start()
    outcomes = await asyncio.gather(*futures, return_exceptions=True)
    assert len(engine.batches) == 1
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    assert scheduler.stats.failed == 3
    engine.fail = False
    result = await scheduler.submit(ENGINE, request("final", call="after"))
    await scheduler.aclose()
    assert result is not None
    assert result.text == "final 1.00"


async def test_aclose_finishes_queued_finals() -> None:
    """`aclose` returns only after every queued final has been decoded, and refuses new calls meanwhile."""
    engine = FakeTranscriber(ENGINE, delay=0.01)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(max_batch=2, window_s=0.0))
    scheduler.start()
    futures = [scheduler.submit(ENGINE, request("final", call=f"c{i}")) for i in range(5)]
    closing = asyncio.ensure_future(scheduler.aclose())
    await asyncio.sleep(0)
    assert scheduler.would_overload()
    await closing
    assert all(f.done() for f in futures)
    assert [f.result() is not None for f in futures] == [True] * 5
    assert sum(len(b) for b in engine.batches) == 5
    assert max(len(b) for b in engine.batches) <= 2


async def test_would_overload_follows_the_queue_bound() -> None:
    """Admission is refused once `max_pending` requests wait."""
    scheduler = Scheduler({ENGINE: FakeTranscriber(ENGINE)}, BatcherConfig(max_pending=2))
    scheduler.submit(ENGINE, request("final", call="a"))
    assert not scheduler.would_overload()
    scheduler.submit(ENGINE, request("final", call="b"))
    assert scheduler.would_overload()
    assert scheduler.queued == 2
    scheduler.start()
    await scheduler.aclose()
    assert scheduler.queued == 0


def test_fake_transcriber_records_batches_and_fails_on_demand() -> None:
    """The fake answers "<kind> <seconds>" per request, fixes "auto" to English, and can be made to fail."""
    engine = FakeTranscriber("fake-a")
    batch = [
        request("partial", seconds=0.5),
        DecodeRequest("c2", "agent", "final", np.zeros(16000, np.float32), "auto"),
    ]
    results = engine.transcribe_batch(batch)
    assert [(r.text, r.language) for r in results] == [("partial 0.50", "en"), ("final 1.00", "en")]
    assert engine.batches == [batch]
    assert engine.name == "fake-a"
    engine.fail = True
    with pytest.raises(RuntimeError):
        engine.transcribe_batch(batch)


async def test_max_inflight_two_runs_two_batches_at_once_and_finals_still_first() -> None:
    """With `max_inflight=2` a second batch reaches the engine while the first is still blocked; requests
    queued behind both are taken finals first once a worker is free."""
    gate = threading.Event()
    engine = FakeTranscriber(ENGINE, gate=gate)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(max_batch=1, max_inflight=2))
    scheduler.start()
    first = scheduler.submit(ENGINE, request("final", call="c1"))
    await wait_for_batches(engine, 1)
    second = scheduler.submit(ENGINE, request("final", call="c2"))
    await wait_for_batches(engine, 2)
    assert scheduler.inflight == 2 and not first.done() and not second.done()
    late_partial = scheduler.submit(ENGINE, request("partial", call="c3"))
    late_final = scheduler.submit(ENGINE, request("final", call="c4"))
    await asyncio.sleep(0.05)
    assert len(engine.batches) == 2  # both workers busy: nothing else was taken
    gate.set()
    await asyncio.gather(first, second, late_partial, late_final)
    await scheduler.aclose()
    order = [batch[0].call_id for batch in engine.batches]
    assert order[:2] == ["c1", "c2"] and order.index("c4") < order.index("c3")


async def test_max_inflight_one_never_overlaps_batches() -> None:
    """The default (`max_inflight=1`) hands the engine one batch at a time."""
    gate = threading.Event()
    engine = FakeTranscriber(ENGINE, gate=gate)
    scheduler = Scheduler({ENGINE: engine}, BatcherConfig(max_batch=1))
    scheduler.start()
    futures = [scheduler.submit(ENGINE, request("final", call=f"c{i}")) for i in range(3)]
    await wait_for_batches(engine, 1)
    await asyncio.sleep(0.05)
    assert len(engine.batches) == 1 and scheduler.inflight == 1
    gate.set()
    await asyncio.gather(*futures)
    await scheduler.aclose()
    assert len(engine.batches) == 3
