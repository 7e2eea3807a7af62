"""Each WebSocket media-server protocol, spoken as the media server speaks it, gives the same finals on the
same legs as the native protocol for the same audio."""

from __future__ import annotations

import asyncio
import json
import uuid

from bench.audio import concat, read_wav, silence
from protocol.messages import Partial
from tests.telephony.conftest import (
    CALL,
    CALL_LEGS,
    JFK,
    Telephony,
    assert_same_transcript,
    leg_texts,
    native_finals,
)
from tests.telephony.media_servers import (
    WsRun,
    asterisk_timeline,
    l16_timeline,
    play_ws,
    telnyx_timeline,
    twilio_timeline,
)

TWILIO_PARAMS = {"language": "en", "consent": "granted", "interim_results": "false"}


async def test_twilio_both_tracks_match_the_native_two_leg_call(tel: Telephony) -> None:
    """A `both_tracks` Twilio stream (20 ms base64 mu-law per track) gives the native finals per leg:
    inbound is the caller, outbound the agent; `stop` flushes and closes with 1000."""
    clip = read_wav(CALL)
    timeline = twilio_timeline(clip, "CA-both", channels={"inbound": 1, "outbound": 0}, params=TWILIO_PARAMS)
    native, run = await asyncio.gather(
        native_finals(tel.gw, clip, "call", CALL_LEGS, "mulaw"), play_ws(tel.url("twilio"), timeline)
    )
    assert run.close_code == 1000
    assert run.received == []  # Twilio has no message for transcripts
    await tel.log.ended("CA-both")
    assert tel.log.tenants["CA-both"] == "tenant-a"
    assert_same_transcript(native, leg_texts(tel.log.finals("CA-both")))


async def test_twilio_in_real_time_gives_partials_then_the_native_finals(tel: Telephony) -> None:
    """Paced at real time (one 20 ms media event per 20 ms), a Twilio call gets partials while the caller
    speaks and the same finals as the native call."""
    clip = read_wav(JFK)
    until = 2.8  # the first sentence, cut in the pause after it
    params = TWILIO_PARAMS | {"interim_results": "true"}
    timeline = twilio_timeline(clip, "CA-live", channels={"inbound": 0}, params=params, until_s=until)
    native, run = await asyncio.gather(
        native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw", until), play_ws(tel.url("twilio"), timeline, pace=1.0)
    )
    assert run.close_code == 1000
    msgs = await tel.log.ended("CA-live")
    partials = [m for m in msgs if isinstance(m, Partial)]
    assert partials and partials[0].leg == "caller"
    assert_same_transcript(native, leg_texts(tel.log.finals("CA-live")))


async def test_telnyx_out_of_order_frames_match_the_native_call(tel: Telephony) -> None:
    """Telnyx PCMU frames arriving out of order (reordered by `sequence_number`) give the native finals."""
    clip = read_wav(JFK)
    params = [{"name": k, "value": v} for k, v in TWILIO_PARAMS.items()]
    timeline = telnyx_timeline(clip, "v3:telnyx-call", params=params)
    native, run = await asyncio.gather(
        native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw"),
        play_ws(tel.url("telnyx", tracks="inbound_track"), timeline),
    )
    assert run.close_code == 1000
    await tel.log.ended("v3:telnyx-call")
    assert_same_transcript(native, leg_texts(tel.log.finals("v3:telnyx-call")))


def transcription_finals(run: WsRun) -> list[dict[str, object]]:
    frames = run.json_frames()
    assert all(f["type"] == "transcription" for f in frames), frames
    return [f["data"] for f in frames if f["data"]["type"] == "final"]


async def test_freeswitch_stereo_transcripts_come_back_as_transcription_events(tel: Telephony) -> None:
    """A stereo mod_audio_fork stream (metadata, then L16 frames of 10-40 ms, caller in channel 0) gets
    the native finals back as `{"type": "transcription"}` frames on the `audio.drachtio.org` subprotocol,
    the same ones the listeners see."""
    clip = read_wav(CALL)
    native = await native_finals(tel.gw, clip, "call", CALL_LEGS, "pcm_s16le")
    expected = sum(len(texts) for texts in native.values())
    call_id = str(uuid.uuid4())
    metadata = {
        "call_id": call_id,
        "mix_type": "stereo",
        "sample_rate": 8000,
        "language": "en",
        "consent": "granted",
        "interim_results": False,
    }
    padded = concat(clip, silence(2.0, clip.rate, 2))  # let the last turn end on silence, not on hangup
    timeline = l16_timeline(json.dumps(metadata), padded, order=(1, 0), sizes_ms=(20, 10, 40, 30))
    run = await play_ws(
        tel.url("freeswitch"),
        timeline,
        subprotocols=["audio.drachtio.org"],
        hang_up=True,
        linger=lambda r: len(transcription_finals(r)) >= expected,
    )
    assert run.subprotocol == "audio.drachtio.org"
    await tel.log.ended(call_id)
    returned = transcription_finals(run)
    produced = tel.log.finals(call_id)
    assert [(f["seq"], f["leg"], f["text"]) for f in returned] == [(f.seq, f.leg, f.text) for f in produced]
    assert_same_transcript(native, leg_texts(produced))


async def test_jambonz_stereo_listen_matches_the_native_call(tel: Telephony) -> None:
    """A jambonz `listen` (call attributes with merged metadata, stereo L16) gives the native finals per
    leg; jambonz closing the socket right after the audio still flushes the last final."""
    clip = read_wav(CALL)
    attributes = {
        "callSid": "jb-" + uuid.uuid4().hex,
        "from": "+3225550100",
        "to": "+3225550199",
        "direction": "inbound",
        "sampleRate": 8000,
        "mixType": "stereo",
        "language": "en",
        "consent": "granted",
        "interim_results": False,
    }
    timeline = l16_timeline(json.dumps(attributes), clip, order=(1, 0), sizes_ms=(20,))
    native, run = await asyncio.gather(
        native_finals(tel.gw, clip, "call", CALL_LEGS, "pcm_s16le"),
        play_ws(tel.url("jambonz"), timeline, subprotocols=["audio.jambonz.org"], hang_up=True),
    )
    assert run.subprotocol == "audio.jambonz.org"
    await tel.log.ended(str(attributes["callSid"]))
    assert_same_transcript(native, leg_texts(tel.log.finals(str(attributes["callSid"]))))


async def test_asterisk_chan_websocket_matches_the_native_call(tel: Telephony) -> None:
    """chan_websocket (`media` subprotocol, JSON MEDIA_START with CALLSCRIBE_ variables, 160-byte ulaw
    frames, hangup by closing) gives the native finals."""
    clip = read_wav(JFK)
    channel_id = "1712345678.42"
    variables = {"CALLSCRIBE_LANGUAGE": "en", "CALLSCRIBE_CONSENT": "granted", "__CALLSCRIBE_INTERIM_RESULTS": "false"}
    timeline = asterisk_timeline(clip, channel_id, variables=variables)
    native, run = await asyncio.gather(
        native_finals(tel.gw, clip, "jfk", ("caller",), "mulaw"),
        play_ws(tel.url("asterisk"), timeline, subprotocols=["media"], hang_up=True),
    )
    assert run.subprotocol == "media"
    await tel.log.ended(channel_id)
    assert_same_transcript(native, leg_texts(tel.log.finals(channel_id)))
