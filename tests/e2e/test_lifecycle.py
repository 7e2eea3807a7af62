"""Connection lifecycle: graceful shutdown flushes finals, idle streams are closed, calls resume."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bench.audio import read_wav
from bench.client import Received, StreamOptions, stream_call
from tests.conftest import AUDIO, TOKEN, make_config, start_gateway


async def test_shutdown_flushes_finals_then_closes_1001(engines: Any, vad_model: Any) -> None:
    """A shutdown in the middle of speech still delivers the final of the open utterance and `closed`,
    then closes with 1001; the server stops afterwards."""
    gw, task = await start_gateway(make_config(), engines, vad_model)
    clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav")
    call = asyncio.create_task(stream_call(gw.url, TOKEN, clip, StreamOptions(call_id="drain", pace=1.0)))
    await asyncio.sleep(2.5)  # mid-sentence
    await gw.server.shutdown_gracefully()
    run = await call
    await task
    assert run.finals and "time" in run.finals[-1]["text"].lower()
    assert run.received[-1].msg["type"] == "closed"
    assert run.close_code == 1001


async def test_idle_stream_is_flushed_and_closed(engines: Any, vad_model: Any) -> None:
    """A stream that goes quiet past the idle timeout gets its finals and `closed`, then close 1000."""
    gw, task = await start_gateway(make_config(idle_timeout_s=1.0), engines, vad_model)
    try:
        clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav")
        run = await stream_call(gw.url, TOKEN, clip, StreamOptions(call_id="idle", pace=0, stop=False))
        assert run.finals and run.received[-1].msg["type"] == "closed"
        assert run.close_code == 1000 and run.close_reason == "idle timeout"
    finally:
        gw.server.should_exit = True
        await task


async def drop_after_finals(gw: Any, call_id: str, clip: Any, finals: int) -> list[dict[str, Any]]:
    """Stream `clip` without `stop` and leave once `finals` finals came (a dropped connection, not an end)."""
    got: list[dict[str, Any]] = []
    enough = asyncio.Event()

    def seen(item: Received) -> None:
        if item.msg["type"] == "final":
            got.append(item.msg)
            if len(got) >= finals:
                enough.set()

    call = asyncio.create_task(stream_call(gw.url, TOKEN, clip, StreamOptions(call_id, pace=0, stop=False), seen))
    await asyncio.wait_for(enough.wait(), 120)
    call.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await call
    for _ in range(500):  # bounded: until the server noticed the drop
        record = gw.runtime.registry.get("tenant-a", call_id)
        if record is not None and not record.live:
            break
        await asyncio.sleep(0.01)
    return got


async def test_resume_replays_missed_finals_and_continues_seq(engines: Any, vad_model: Any) -> None:
    """Reconnecting a dropped call with `resume_from` replays the finals after that seq, and new finals
    continue the numbering without gaps."""
    gw, task = await start_gateway(make_config(), engines, vad_model)
    try:
        jfk = read_wav(AUDIO / "real" / "jfk.wav")
        first = await drop_after_finals(gw, "resume", jfk, 2)
        n = len(first)
        assert n >= 2
        clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav")
        second = await stream_call(gw.url, TOKEN, clip, StreamOptions(call_id="resume", pace=0, resume_from=1))
        seqs = [f["seq"] for f in second.finals]
        assert seqs == list(range(2, len(seqs) + 2)) and len(seqs) > n - 1
        assert [f["text"] for f in second.finals[: n - 1]] == [f["text"] for f in first[1:]]
        assert second.of_type("closed")[0]["finals"] == seqs[-1]
        again = await stream_call(gw.url, TOKEN, clip, StreamOptions(call_id="resume", pace=0, resume_from=1))
        assert not again.finals and again.of_type("error")[0]["code"] == "bad_message"  # ended: never continued
    finally:
        gw.server.should_exit = True
        await task
