"""Call events through the WebSocket adapters: the opt-out digit, hangups mid-utterance, protocol errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from bench.audio import Clip, read_wav
from protocol.messages import Closed
from tests.telephony.conftest import JFK, Telephony, assert_same_transcript, leg_texts, native_finals
from tests.telephony.media_servers import (
    Timeline,
    asterisk_timeline,
    l16_timeline,
    play_ws,
    telnyx_timeline,
    twilio_timeline,
)

OPTIONS = {"language": "en", "consent": "granted", "interim_results": "false"}


@dataclass(frozen=True)
class MonoCall:
    """How one media server streams a mono 8 kHz call with an optional key press."""

    name: str
    subprotocols: tuple[str, ...]
    hangs_up: bool  # ends by closing the socket (else by its own stop message)
    timeline: Callable[[Clip, str, float | None], Timeline]
    query: tuple[tuple[str, str], ...] = ()


def _freeswitch(clip: Clip, call_id: str, dtmf_at: float | None) -> Timeline:
    metadata = json.dumps({"call_id": call_id, "mix_type": "mono", "sample_rate": "8k"} | OPTIONS)
    return l16_timeline(
        metadata,
        clip,
        order=(0,),
        sizes_ms=(20, 60, 10),
        dtmf_at=dtmf_at,
        dtmf=json.dumps({"event": "dtmf", "digit": "9"}),
    )


def _jambonz(clip: Clip, call_id: str, dtmf_at: float | None) -> Timeline:
    attributes = json.dumps({"callSid": call_id, "sampleRate": 8000, "mixType": "mono"} | OPTIONS)
    return l16_timeline(
        attributes,
        clip,
        order=(0,),
        sizes_ms=(20,),
        dtmf_at=dtmf_at,
        dtmf=json.dumps({"event": "dtmf", "dtmf": "9", "duration": 250}),
    )


def _asterisk(clip: Clip, call_id: str, dtmf_at: float | None) -> Timeline:
    variables = {f"CALLSCRIBE_{key.upper()}": value for key, value in OPTIONS.items()}
    return asterisk_timeline(clip, call_id, variables=variables, dtmf_at=dtmf_at)


def _twilio(clip: Clip, call_id: str, dtmf_at: float | None) -> Timeline:
    return twilio_timeline(clip, call_id, channels={"inbound": 0}, params=OPTIONS, dtmf_at=dtmf_at)


def _telnyx(clip: Clip, call_id: str, dtmf_at: float | None) -> Timeline:
    return telnyx_timeline(clip, call_id, params=OPTIONS, dtmf_at=dtmf_at)


CALLS = {
    "asterisk": MonoCall("asterisk", ("media",), True, _asterisk),
    "freeswitch": MonoCall("freeswitch", ("audio.drachtio.org",), True, _freeswitch),
    "twilio": MonoCall("twilio", (), False, _twilio),
    "telnyx": MonoCall("telnyx", (), False, _telnyx, (("tracks", "inbound_track"),)),
    "jambonz": MonoCall("jambonz", ("audio.jambonz.org",), True, _jambonz),
}


async def play(tel: Telephony, call: MonoCall, clip: Clip, call_id: str, dtmf_at: float | None = None) -> None:
    await play_ws(
        tel.url(call.name, **dict(call.query)),
        call.timeline(clip, call_id, dtmf_at),
        subprotocols=call.subprotocols,
        hang_up=call.hangs_up,
    )


@pytest.mark.parametrize("name", sorted(CALLS))
async def test_opt_out_digit_mid_utterance_leaves_no_final(tel: Telephony, name: str) -> None:
    """The opt-out key (9) pressed one second into the first sentence, in the media server's own DTMF
    message, declines the call: the sentence in flight and everything after it give no final."""
    call_id = f"optout-{name}-{uuid.uuid4().hex[:8]}"
    await play(tel, CALLS[name], read_wav(JFK), call_id, dtmf_at=1.0)
    await tel.log.ended(call_id)
    declined, after = tel.log.declined_then_finals(call_id)
    assert declined
    assert tel.log.finals(call_id) == [] and after == []


@pytest.mark.parametrize("name", ["twilio", "freeswitch"])
async def test_hangup_mid_utterance_still_produces_the_final(tel: Telephony, name: str) -> None:
    """Twilio's `stop` or FreeSWITCH closing the socket in the middle of "and so my fellow Americans"
    still produces that utterance's final, with the native call's text for the same audio."""
    clip, cut = read_wav(JFK), 1.6
    call_id = f"hangup-{name}-{uuid.uuid4().hex[:8]}"
    part = Clip(clip.samples[: int(cut * clip.rate)], clip.rate)
    native, _ = await asyncio.gather(
        native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw", cut), play(tel, CALLS[name], part, call_id)
    )
    msgs = await tel.log.ended(call_id)
    finals = tel.log.finals(call_id)
    assert len(finals) == 1 and finals[0].end <= cut + 0.05
    assert any(isinstance(m, Closed) and m.finals == 1 for m in msgs)
    assert_same_transcript(native, leg_texts(finals))


async def test_freeswitch_protocol_error_sends_its_error_event_then_closes(tel: Telephony) -> None:
    """Audio that is not whole samples gets FreeSWITCH's `{"type": "error"}` frame, then close 1007."""
    metadata = json.dumps({"call_id": "fs-bad", "mix_type": "mono", "sample_rate": 8000} | OPTIONS)
    run = await play_ws(
        tel.url("freeswitch"), [(0.0, metadata), (0.0, b"\x00\x01\x02")], subprotocols=["audio.drachtio.org"]
    )
    assert run.close_code == 1007
    [frame] = run.json_frames()
    assert frame["type"] == "error" and frame["data"]["code"] == "bad_audio"


async def test_jambonz_protocol_error_sends_disconnect_then_closes(tel: Telephony) -> None:
    """Audio before the call attributes gets jambonz's `{"type": "disconnect"}`, then close 1008."""
    run = await play_ws(tel.url("jambonz"), [(0.0, b"\x00\x00")], subprotocols=["audio.jambonz.org"])
    assert run.close_code == 1008
    assert run.json_frames() == [{"type": "disconnect"}]


async def test_twilio_binary_frame_closes_with_1008(tel: Telephony) -> None:
    """Twilio never sends binary frames: one closes the stream with 1008 and nothing else is sent."""
    run = await play_ws(tel.url("twilio"), [(0.0, b"\x00")])
    assert run.close_code == 1008 and run.received == []
