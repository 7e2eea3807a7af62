"""Asterisk AudioSocket over a real TCP connection: same finals as the native protocol, DTMF opt-out, hangup
mid-utterance, protocol errors and the shutdown drain."""

from __future__ import annotations

import asyncio
import uuid

from asr.types import Transcriber
from bench.audio import Clip, read_wav
from gateway.transports.audiosocket import AudioSocketConnection
from protocol.messages import Closed, Start
from tests.telephony.conftest import (
    JFK,
    Telephony,
    assert_same_transcript,
    leg_texts,
    native_finals,
    telephony_gateway,
)
from tests.telephony.media_servers import audiosocket_frame, audiosocket_timeline, play_tcp
from vad.silero import SileroModel

HANGUP = b"\x00\x00\x00"


def audio_seconds(tel: Telephony) -> float:
    """Audio seconds the open AudioSocket call has received so far (0 before it starts)."""
    for conn in list(tel.gw.runtime.connections):
        if isinstance(conn, AudioSocketConnection) and conn.driver.session is not None:
            return conn.driver.session.now
    return 0.0


async def test_audiosocket_call_matches_the_native_call(tel: Telephony) -> None:
    """320-byte slin frames written in pieces that split frames and headers give the native finals, for
    the configured AudioSocket tenant, with the UUID as call id; the gateway sends nothing back."""
    clip, call = read_wav(JFK), uuid.uuid4()
    native, received = await asyncio.gather(
        native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw"),
        play_tcp(tel.audiosocket_port, audiosocket_timeline(clip, call)),
    )
    assert received == b""
    msgs = await tel.log.ended(str(call))
    assert tel.log.tenants[str(call)] == "pbx-tenant"
    start = next(m for m in msgs if isinstance(m, Start))
    assert (start.audio.encoding, start.audio.sample_rate, start.legs) == ("pcm_s16le", 8000, ("caller",))
    assert_same_transcript(native, leg_texts(tel.log.finals(str(call))))


async def test_audiosocket_opt_out_digit_mid_utterance_leaves_no_final(tel: Telephony) -> None:
    """A DTMF frame with the opt-out digit 9 one second into the first sentence declines the call: no
    final is produced, neither for that sentence nor for the rest of the call."""
    clip, call = read_wav(JFK), uuid.uuid4()
    await play_tcp(tel.audiosocket_port, audiosocket_timeline(clip, call, dtmf_at=1.0))
    await tel.log.ended(str(call))
    declined, after = tel.log.declined_then_finals(str(call))
    assert declined
    assert tel.log.finals(str(call)) == [] and after == []


async def test_audiosocket_hangup_frame_mid_utterance_still_produces_the_final(tel: Telephony) -> None:
    """A hangup frame (0x00) in the middle of "and so my fellow Americans" flushes that utterance: its
    final is produced, with the same text as the native call cut at the same point."""
    clip, call, cut = read_wav(JFK), uuid.uuid4(), 1.6
    part = Clip(clip.samples[: int(cut * clip.rate)], clip.rate)
    native, _ = await asyncio.gather(
        native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw", cut),
        play_tcp(tel.audiosocket_port, audiosocket_timeline(part, call), close=False),
    )
    msgs = await tel.log.ended(str(call))
    finals = tel.log.finals(str(call))
    assert len(finals) == 1 and finals[0].end <= cut + 0.05
    assert any(isinstance(m, Closed) and m.finals == 1 for m in msgs)
    assert_same_transcript(native, leg_texts(finals))


async def test_audiosocket_protocol_error_sends_terminate_and_closes(tel: Telephony) -> None:
    """An unknown frame kind is answered with the terminate frame and the connection is closed."""
    writes = [(0.0, audiosocket_frame(0x01, uuid.uuid4().bytes) + audiosocket_frame(0x42, b"?"))]
    assert await play_tcp(tel.audiosocket_port, writes, close=False) == HANGUP


async def test_shutdown_drains_an_audiosocket_call(engines: dict[str, Transcriber], vad_model: SileroModel) -> None:
    """On a graceful shutdown an open AudioSocket call is flushed (its due final is produced), told to
    terminate, and closed before the drain deadline; no connection is left open."""
    clip, call = read_wav(JFK), uuid.uuid4()
    part = Clip(clip.samples[: int(1.6 * clip.rate)], clip.rate)
    writes = audiosocket_timeline(part, call, hangup=False)
    async with telephony_gateway(engines, vad_model, idle_timeout_s=600.0, drain_timeout_s=5.0) as tel:
        peer = asyncio.create_task(play_tcp(tel.audiosocket_port, writes, close=False))
        while audio_seconds(tel) < part.seconds - 0.001:  # noqa: ASYNC110 (wait until all audio is in)
            await asyncio.sleep(0.01)
        await tel.gw.server.shutdown_gracefully()
        assert not tel.gw.runtime.connections
        assert await asyncio.wait_for(peer, 30) == HANGUP
        await tel.log.ended(str(call))
        assert len(tel.log.finals(str(call))) == 1
