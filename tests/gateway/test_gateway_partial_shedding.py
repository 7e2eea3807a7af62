"""Under load the driver sheds partials while finals wait for the engine (scheduling only: fake engine)."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from asr.testing import FakeTranscriber
from asr.types import DecodeRequest
from bench.audio import encode, read_wav
from gateway.driver import CallDriver
from gateway.runtime import Runtime
from protocol.messages import AudioChunk, AudioFormat, ServerMessage, Start
from tests.conftest import AUDIO, make_config
from vad.silero import SileroModel


async def test_partials_are_shed_while_finals_wait(vad_model: SileroModel) -> None:
    """With a final queued behind a busy engine, the partials a speaking call produces are not submitted
    (counted as shed), and once the engine frees up partials flow again."""
    gate = threading.Event()
    engine = FakeTranscriber("tiny.en", gate=gate)
    rt = Runtime(make_config(multilingual_model=None), {"tiny.en": engine}, vad_model)
    rt.scheduler.start()
    silence = np.zeros(16000, dtype=np.float32)
    busy = rt.scheduler.submit("tiny.en", DecodeRequest("other", "caller", "final", silence, "en"))
    waiting = rt.scheduler.submit("tiny.en", DecodeRequest("other", "agent", "final", silence, "en"))
    await asyncio.sleep(0.05)  # the worker holds the first final at the gate; the second one waits
    sent: list[ServerMessage] = []
    driver = CallDriver(rt, "tenant-a", sent.append)
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    await driver.handle(Start("shed", AudioFormat("pcm_s16le", 16000, 1), ("caller",), "en", (), "granted"))
    for i in range(0, 16000 * 4, 320):
        await driver.handle(AudioChunk(encode(clip.samples[i : i + 320], "pcm_s16le")))
    assert rt.scheduler.stats.partials_shed >= 1
    assert not any(r.kind == "partial" for batch in engine.batches for r in batch)
    gate.set()
    await asyncio.gather(busy, waiting)
    for i in range(16000 * 4, 16000 * 8, 320):
        await driver.handle(AudioChunk(encode(clip.samples[i : i + 320], "pcm_s16le")))
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    assert any(r.kind == "partial" for batch in engine.batches for r in batch)
    await driver.finish()
    driver.end()
    await rt.scheduler.aclose()
