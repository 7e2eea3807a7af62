"""One call cannot starve another: round-robin batches and pacing of unpaced audio (finding 4)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from asr.batching import BatcherConfig, BatchQueue, Job
from asr.types import Transcriber
from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from gateway.limits import LimitsConfig
from gateway.transports.audiosocket import AudioSocketConnection
from gateway.transports.shell import WebSocketShell
from protocol.messages import Final
from tests.conftest import TOKEN, Gateway, make_config, start_gateway
from tests.reliability.conftest import JFK
from tests.telephony.conftest import JFK as TEL_JFK
from tests.telephony.conftest import Telephony, telephony_gateway
from tests.telephony.media_servers import audiosocket_timeline, play_tcp
from vad.silero import SileroModel


def test_a_flooding_call_gets_one_slot_per_turn() -> None:
    """With 100 finals of one call queued before one final of another, the next batch already holds the
    other call's final (finals first, then calls take turns), and the flood keeps the rest of the batch."""
    queue: BatchQueue[str] = BatchQueue(BatcherConfig(max_batch=8, max_pending=1000))
    for i in range(100):
        queue.submit(Job("tiny.en", "final", ("flood", "caller"), "flood", f"f{i}", queued_at=i * 0.001))
    queue.submit(Job("tiny.en", "partial", ("rt", "caller"), "rt", "rt-partial", queued_at=0.5))
    queue.submit(Job("tiny.en", "final", ("rt", "caller"), "rt", "rt-final", queued_at=1.0))
    batch = queue.take(now=2.0)
    assert [j.payload for j in batch] == ["f0", "rt-final", "f1", "f2", "f3", "f4", "f5", "f6"]


@pytest.fixture
async def paced_gw(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    config = make_config(limits=LimitsConfig(audio_burst_s=2.0, max_audio_speed=2.0))
    gw, task = await start_gateway(config, engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task


async def test_unpaced_audio_is_throttled_by_not_reading(paced_gw: Gateway) -> None:
    """A client pushing 11 s of audio as fast as TCP takes it is not read for a while once past its 2 s burst
    (TCP back-pressure), and still gets every final; a real-time client is never held back."""
    throttled: dict[str, float] = {}

    def watch(_: object) -> None:
        for conn in paced_gw.runtime.connections:
            if isinstance(conn, WebSocketShell) and conn.pacer is not None and conn.driver.record is not None:
                throttled[conn.driver.record.call_id] = conn.pacer.throttled_s

    clip = read_wav(JFK)
    fast = await stream_call(paced_gw.url, TOKEN, clip, StreamOptions(call_id="fast", pace=0), on_message=watch)
    short = read_wav(JFK.parent / "cmu_arctic_us_aew_a0001.wav")
    real = await stream_call(paced_gw.url, TOKEN, short, StreamOptions(call_id="real", pace=1.0), on_message=watch)
    assert throttled["fast"] > 1.0 and fast.finals and fast.close_code == 1000
    assert throttled.get("real", 0.0) == 0.0 and real.finals


@pytest.fixture
async def paced_tel(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Telephony]:
    limits = LimitsConfig(audio_burst_s=2.0, max_audio_speed=2.0)
    async with telephony_gateway(engines, vad_model, limits=limits) as telephony:
        yield telephony


async def test_audiosocket_floods_are_paced_too(paced_tel: Telephony) -> None:
    """An AudioSocket peer (no authentication) that writes 11 s of audio at once is not read for a while
    past its 2 s burst, and its call still gets its finals."""
    throttled = [0.0]

    async def sample() -> None:
        while True:
            for conn in list(paced_tel.gw.runtime.connections):
                if isinstance(conn, AudioSocketConnection) and conn.pacer is not None:
                    throttled[0] = max(throttled[0], conn.pacer.throttled_s)
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    call = uuid.uuid4()
    try:
        await play_tcp(paced_tel.audiosocket_port, audiosocket_timeline(read_wav(TEL_JFK), call))
        messages = await paced_tel.log.ended(str(call))
    finally:
        sampler.cancel()
    assert throttled[0] > 1.0
    assert any(isinstance(m, Final) for m in messages)
