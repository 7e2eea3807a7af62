"""Connection lifecycle: graceful shutdown flushes finals, idle streams are closed, calls resume."""

from __future__ import annotations

import asyncio
from typing import Any

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
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


async def test_resume_replays_missed_finals_and_continues_seq(engines: Any, vad_model: Any) -> None:
    """Reconnecting with `resume_from` replays the finals after that seq, and new finals continue the
    numbering without gaps."""
    gw, task = await start_gateway(make_config(), engines, vad_model)
    try:
        jfk = read_wav(AUDIO / "real" / "jfk.wav")
        first = await stream_call(gw.url, TOKEN, jfk, StreamOptions(call_id="resume", pace=0))
        n = len(first.finals)
        assert n >= 2
        clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav")
        second = await stream_call(gw.url, TOKEN, clip, StreamOptions(call_id="resume", pace=0, resume_from=1))
        seqs = [f["seq"] for f in second.finals]
        assert seqs == list(range(2, len(seqs) + 2)) and len(seqs) > n - 1
        assert [f["text"] for f in second.finals[: n - 1]] == [f["text"] for f in first.finals[1:]]
        assert second.of_type("closed")[0]["finals"] == seqs[-1]
    finally:
        gw.server.should_exit = True
        await task
