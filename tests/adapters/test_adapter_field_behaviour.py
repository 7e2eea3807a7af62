"""What real media servers send that the documented layouts alone do not cover (field notes, file:line):
consent modes, chan_websocket without channel_id, AudioSocket's 0x10 label, jambonz's nested dial."""

from __future__ import annotations

import json

import pytest

from protocol.adapters import (
    AsteriskWsAdapter,
    AsteriskWsError,
    AudioSocketAdapter,
    AudioSocketUnsupported,
    FreeswitchBadAudio,
    JambonzAdapter,
    JambonzUnsupported,
    TelnyxUnsupported,
    TwilioAdapter,
    TwilioError,
)
from protocol.adapters.asterisk_ws import NO_CALL_ID
from protocol.adapters.base import AdapterBadAudio, AdapterError, AdapterUnsupported
from protocol.errors import BadAudio, BadMessage, Unsupported
from protocol.messages import AudioChunk, ConsentEvent, Dtmf, Start

UUID_FRAME = bytes.fromhex("01 0010 40325ec25efd4bd3805f53576e581d13")
PLAIN_V1 = "MEDIA_START connection_id:callscribe channel:WebSocket/callscribe/0x7f3a format:ulaw optimal_frame_size:160"


def test_announced_consent_follows_start_with_the_announcement() -> None:
    """`consent=announced` sends a pending Start and then `ConsentEvent("announced", id)` before any audio,
    so the opt-out window starts at the first sample."""
    adapter = AudioSocketAdapter({"consent": "announced", "announcement": "rec-nl-v1"}, audio_format="slin")
    adapter.receive_data(UUID_FRAME + bytes.fromhex("10 0002 0100") + bytes.fromhex("03 0001 39"))
    start, event, chunk, dtmf = adapter.events_received()
    assert isinstance(start, Start) and start.consent == "pending"
    assert event == ConsentEvent("announced", "rec-nl-v1")
    assert chunk == AudioChunk(b"\x01\x00") and dtmf == Dtmf("9", "caller")


def test_a_protocol_parameter_overrides_the_entry_points_consent_mode() -> None:
    """A Twilio `<Parameter name="consent" value="granted">` wins over the entry point's `announced`."""
    adapter = TwilioAdapter({"consent": "announced"})
    start = {
        "streamSid": "MZ1",
        "callSid": "CA1",
        "tracks": ["inbound"],
        "customParameters": {"consent": "granted"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    adapter.receive_text(json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": "MZ1"}))
    (msg,) = adapter.events_received()
    assert isinstance(msg, Start) and msg.consent == "granted"


def test_an_unknown_consent_mode_is_a_clear_protocol_error() -> None:
    """`consent=maybe` is refused with the adapter's own error naming the three modes."""
    adapter = TwilioAdapter({"consent": "maybe"})
    start = {
        "streamSid": "MZ1",
        "callSid": "CA1",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    with pytest.raises(TwilioError, match="pending, announced or granted"):
        adapter.receive_text(json.dumps({"event": "start", "start": start, "streamSid": "MZ1"}))


def test_media_start_without_channel_id_needs_a_per_call_id() -> None:
    """A 21.x MEDIA_START (no channel_id, chan_websocket.c:850 at 20.16.0) without `call_id` is refused with
    the error naming `v(call_id=${UNIQUEID})`; it is never keyed by the static connection_id."""
    adapter = AsteriskWsAdapter()
    with pytest.raises(AsteriskWsError) as caught:
        adapter.receive_text(PLAIN_V1)
    assert caught.value.message == NO_CALL_ID and caught.value.close_code == 1008
    assert "v(call_id=${UNIQUEID})" in NO_CALL_ID


def test_media_start_without_channel_id_takes_the_dial_strings_call_id() -> None:
    """`v(call_id=1733.5)` (appended to the URI query, res_websocket_client.c:378-389) names the call."""
    adapter = AsteriskWsAdapter({"call_id": "1733.5"})
    adapter.receive_text(PLAIN_V1)
    (start,) = adapter.events_received()
    assert isinstance(start, Start) and start.call_id == "1733.5"


@pytest.mark.parametrize(
    ("fmt", "encoding", "rate", "payload"),
    [
        ("ulaw", "mulaw", 8000, b"\xff\x7f\x00"),  # chan_audiosocket c(ulaw): res_audiosocket.c:251-253
        ("alaw", "alaw", 8000, b"\xd5\x55\x2a"),
        ("slin16", "pcm_s16le", 16000, b"\x01\x00\xff\xff"),  # slin16 before 20.17/21.12/22.7/23.1
    ],
)
def test_a_configured_audio_format_decodes_kind_0x10(fmt: str, encoding: str, rate: int, payload: bytes) -> None:
    """With `audio_format`, kind-0x10 frames are taken in the configured format and Start follows the UUID."""
    adapter = AudioSocketAdapter(audio_format=fmt)
    frame = bytes([0x10]) + len(payload).to_bytes(2, "big") + payload
    adapter.receive_data(UUID_FRAME + frame)
    start, chunk = adapter.events_received()
    assert isinstance(start, Start) and (start.audio.encoding, start.audio.sample_rate) == (encoding, rate)
    assert chunk == AudioChunk(payload)


def test_a_configured_format_refuses_a_kind_of_another_rate() -> None:
    """A port configured for ulaw refuses a 0x12 (slin16) frame rather than mis-decoding it."""
    adapter = AudioSocketAdapter(audio_format="ulaw")
    with pytest.raises(AudioSocketUnsupported):
        adapter.receive_data(UUID_FRAME + bytes.fromhex("12 0002 0100"))


def test_jambonz_nested_dial_links_the_caller_and_the_parent_call() -> None:
    """A `listen` nested in `dial` sends the child call (`direction: outbound`, `parentCallSid`,
    place-outdial.js:199-206): `from` is the caller, the call id the parent's."""
    adapter = JambonzAdapter()
    adapter.receive_text(
        json.dumps(
            {
                "callSid": "child",
                "parentCallSid": "parent",
                "direction": "outbound",
                "from": "+31612345678",
                "to": "+3225550100",
                "sampleRate": 8000,
                "mixType": "stereo",
            }
        )
    )
    (start,) = adapter.events_received()
    assert isinstance(start, Start) and start.call_id == "parent" and start.caller == "+31612345678"


def test_jambonz_plain_outbound_call_still_has_no_caller() -> None:
    """An outbound call without a parent: `from` is our own number, never the caller."""
    adapter = JambonzAdapter()
    adapter.receive_text(json.dumps({"callSid": "out", "direction": "outbound", "from": "+3225550100"}))
    (start,) = adapter.events_received()
    assert isinstance(start, Start) and start.call_id == "out" and start.caller is None


def test_the_adapters_share_one_error_family() -> None:
    """Every adapter's errors are the family's, with codes and close codes declared once in base."""
    assert issubclass(AsteriskWsError, AdapterError) and issubclass(AdapterError, BadMessage)
    for unsupported in (AudioSocketUnsupported, JambonzUnsupported, TelnyxUnsupported):
        assert issubclass(unsupported, AdapterUnsupported) and issubclass(unsupported, Unsupported)
        assert (unsupported.code, unsupported.close_code) == ("unsupported", 1003)
    assert issubclass(FreeswitchBadAudio, AdapterBadAudio) and issubclass(FreeswitchBadAudio, BadAudio)
    assert (FreeswitchBadAudio.code, FreeswitchBadAudio("x").close_code) == ("bad_audio", 1007)
    assert (AsteriskWsError.code, AsteriskWsError("x").close_code) == ("bad_message", 1008)
