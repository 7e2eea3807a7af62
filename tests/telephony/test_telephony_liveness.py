"""Liveness by the transport, not by audio: mod_audio_fork's empty frame finalises at once, and a paused
stream stays open."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import websockets

from asr.types import Transcriber
from bench.audio import Clip, encode, read_wav
from gateway.core.telephony_config import TELEPHONY_IDLE_S, EntryPoint, TelephonyConfig
from tests.telephony.conftest import JFK, telephony_gateway
from vad.silero import SileroModel

OPTIONS = {"language": "en", "consent": "granted", "interim_results": False}


def l16_frames(clip: Clip, ms: int = 20) -> list[bytes]:
    n = clip.rate * ms // 1000
    return [encode(clip.samples[i : i + n], "pcm_s16le") for i in range(0, len(clip.samples), n)]


async def test_graceful_shutdown_frame_gets_the_last_final_while_the_socket_stays_open(
    engines: dict[str, Transcriber], vad_model: SileroModel
) -> None:
    """mod_audio_fork's `graceful-shutdown` stops the audio mid-utterance and sends one zero-length binary
    frame (audio_pipe.cpp:200-206): the final of the open utterance comes back as a `transcription` frame
    with no further input and no close (the idle limit is an hour), ending in the last audio sent."""
    clip = read_wav(JFK)
    cut = 0.62 * clip.seconds
    part = Clip(clip.samples[: int(cut * clip.rate)], clip.rate)
    call_id = "fs-" + uuid.uuid4().hex
    metadata = {"call_id": call_id, "mix_type": "mono", "sample_rate": 8000} | OPTIONS
    async with (
        telephony_gateway(engines, vad_model) as tel,
        websockets.connect(tel.url("freeswitch"), subprotocols=[websockets.Subprotocol("audio.drachtio.org")]) as ws,
    ):
        await ws.send(json.dumps(metadata))
        for frame in l16_frames(part):
            await ws.send(frame)
        finals_before = len(tel.log.finals(call_id))
        await ws.send(b"")
        sent_at = time.monotonic()
        last: dict[str, object] = {}
        while not last or float(last["end"]) < cut - 1.0:  # type: ignore[arg-type]
            frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if frame["type"] == "transcription" and frame["data"]["type"] == "final":
                last = frame["data"]
        elapsed = time.monotonic() - sent_at
        assert ws.close_code is None  # the socket is still open: nothing waited for an idle timeout
        assert len(tel.log.finals(call_id)) > finals_before
        print(f"graceful-shutdown: last final {elapsed:.3f} s after the empty frame")
    await tel.log.ended(call_id)


async def test_a_paused_listen_is_not_dropped(engines: dict[str, Transcriber], vad_model: SileroModel) -> None:
    """A jambonz `listen` paused for 3 s (a paused listen sends nothing at all, lws_glue.cpp:845) on a gateway
    whose general idle limit is 0.5 s: the telephony entry point's own limit governs, the stream stays open,
    and the speech after the pause is transcribed too. The shipped default limit is far above a 60 s pause."""
    assert TelephonyConfig().jambonz.idle_timeout_s == TELEPHONY_IDLE_S >= 60 * 10
    clip = read_wav(JFK)
    half = len(clip.samples) // 2
    first, second = Clip(clip.samples[:half], clip.rate), Clip(clip.samples[half:], clip.rate)
    call_sid = "jb-" + uuid.uuid4().hex
    attributes = {
        "callSid": call_sid,
        "from": "+3225550100",
        "to": "+3225550199",
        "direction": "inbound",
        "sampleRate": 8000,
        "mixType": "mono",
    } | OPTIONS
    telephony = TelephonyConfig(jambonz=EntryPoint(idle_timeout_s=6.0))  # shortened; the pause is half of it
    async with telephony_gateway(engines, vad_model, idle_timeout_s=0.5, telephony=telephony) as tel:
        async with websockets.connect(
            tel.url("jambonz"), subprotocols=[websockets.Subprotocol("audio.jambonz.org")]
        ) as ws:
            await ws.send(json.dumps(attributes))
            for frame in l16_frames(first):
                await ws.send(frame)
            await asyncio.sleep(3.0)  # paused: no audio, no text
            for frame in l16_frames(second):
                await ws.send(frame)
            assert ws.close_code is None
        msgs = await tel.log.ended(call_sid)
        text = " ".join(f.text for f in tel.log.finals(call_sid)).lower()
        assert "fellow" in text and "your country" in text
        assert not [m for m in msgs if type(m).__name__ == "ErrorMessage"]


def test_telephony_entry_points_ping_and_wait_long() -> None:
    """By default every telephony entry point waits an hour of silence and WebSocket peers are pinged."""
    config = TelephonyConfig()
    names = ("asterisk", "freeswitch", "twilio", "telnyx", "jambonz", "audiosocket")
    assert {config.entry(n).idle_timeout_s for n in names} == {TELEPHONY_IDLE_S}
    assert config.ws_ping_interval_s and config.ws_ping_timeout_s
