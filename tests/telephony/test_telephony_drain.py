"""A shutdown drain or the idle timeout ends a WebSocket telephony call through its adapter: no buffered audio
is lost."""

from __future__ import annotations

import asyncio
import json

import pytest

from asr.types import Transcriber
from bench.audio import Clip, read_wav
from gateway.core.telephony_config import EntryPoint, TelephonyConfig
from gateway.transports.adapter_ws import AdapterConnection
from protocol.messages import Closed
from tests.telephony.conftest import (
    JFK,
    Telephony,
    assert_same_transcript,
    leg_texts,
    native_finals,
    telephony_gateway,
)
from tests.telephony.media_servers import Frame, play_ws, twilio_timeline
from vad.silero import SileroModel

TWILIO_PARAMS = {"language": "en", "consent": "granted", "interim_results": "false"}
MIXER_SKEW_S = 0.5  # the track mixer holds up to this much of one track while the other is silent


async def until_audio(tel: Telephony, seconds: float) -> None:
    """Wait until the open Twilio call has handed `seconds` of audio to its session."""
    while True:
        for conn in list(tel.gw.runtime.connections):
            twilio = isinstance(conn, AdapterConnection) and conn.transport == "twilio"
            session = conn.driver.session if twilio else None
            if session is not None and session.now >= seconds:
                return
        await asyncio.sleep(0.01)


def inbound_only(frame: Frame) -> bool:
    """Keep every frame but `stop` and the outbound track's media: the agent never speaks, no hang-up."""
    event = json.loads(frame)
    return bool(event["event"] != "stop" and event.get("media", {}).get("track") != "outbound")


@pytest.mark.parametrize(("ending", "close_code"), [("drain", 1001), ("idle", 1000)])
async def test_twilio_call_ended_by_the_gateway_gets_the_final_of_its_open_utterance(
    engines: dict[str, Transcriber], vad_model: SileroModel, ending: str, close_code: int
) -> None:
    """A shutdown drain (or the idle timeout) in the middle of "... can do for you" on a `both_tracks`
    Twilio call whose agent track is silent (so the track mixer still holds the caller's last half second)
    and which never sends `stop`: the held audio reaches the call before the flush (all of it is counted,
    the last final ends in it), the caller's finals match the native call for the same audio, and the
    socket is closed with 1001 (drain) or 1000 (idle)."""
    clip, cut = read_wav(JFK), 8.0
    part = Clip(clip.samples[: int(cut * clip.rate)], clip.rate)
    frames = twilio_timeline(part, f"CA-{ending}", channels={"inbound": 0, "outbound": 0}, params=TWILIO_PARAMS)
    timeline = [(at, frame) for at, frame in frames if inbound_only(frame)]
    idle_s = 600.0 if ending == "drain" else 1.0
    telephony = TelephonyConfig(twilio=EntryPoint(idle_timeout_s=idle_s))  # the entry point's own limit
    async with telephony_gateway(engines, vad_model, telephony=telephony) as tel:
        native = await native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw", cut)
        peer = asyncio.create_task(play_ws(tel.url("twilio"), timeline))
        if ending == "drain":
            await asyncio.wait_for(until_audio(tel, part.seconds - MIXER_SKEW_S - 0.001), 60)
            await tel.gw.server.shutdown_gracefully()
        run = await asyncio.wait_for(peer, 60)
        assert run.close_code == close_code
        msgs = await tel.log.ended(f"CA-{ending}")
        closed = [m for m in msgs if isinstance(m, Closed)]
        assert len(closed) == 1 and closed[0].audio_seconds["caller"] == pytest.approx(part.seconds)
        finals = tel.log.finals(f"CA-{ending}")
        assert finals and finals[-1].end > part.seconds - MIXER_SKEW_S  # the held audio is in the utterance
        assert_same_transcript(native, leg_texts(finals))
