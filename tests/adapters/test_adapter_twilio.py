"""Twilio Media Streams adapter and the X-Twilio-Signature check.

Messages follow the examples of twilio.com/docs/voice/media-streams/websocket-messages; the
signature vectors are the ones Twilio's SDKs test against (auth token ``12345``).
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters import TwilioAdapter, TwilioError, TwilioUnsupported, verify_twilio_signature
from protocol.messages import AudioChunk, AudioFormat, Dtmf, Partial, Start, Stop

CONNECTED = '{"event": "connected", "protocol": "Call", "version": "1.0.0"}'
SID = "MZ18ad3ab5a668481ce02b83e7395059f0"
START = (
    '{"event": "start", "sequenceNumber": "1", "start": {"accountSid": "AC123", '
    f'"streamSid": "{SID}", "callSid": "CA123", "tracks": ["inbound"], '
    '"customParameters": {"language": "nl", "purposes": "quality,training"}, '
    '"mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}, '
    f'"streamSid": "{SID}"}}'
)
MEDIA = (
    '{"event": "media", "sequenceNumber": "3", "media": {"track": "inbound", "chunk": "1", '
    f'"timestamp": "5", "payload": "/38AgA=="}}, "streamSid": "{SID}"}}'
)
DTMF = (
    f'{{"event": "dtmf", "streamSid": "{SID}", "sequenceNumber": "5", '
    '"dtmf": {"track": "inbound_track", "digit": "1"}}'
)
MARK = f'{{"event": "mark", "sequenceNumber": "4", "streamSid": "{SID}", "mark": {{"name": "my label"}}}}'
STOP = (
    '{"event": "stop", "sequenceNumber": "6", "stop": {"accountSid": "AC123", "callSid": "CA123"}, '
    f'"streamSid": "{SID}"}}'
)


def adapter_after(*texts: str) -> TwilioAdapter:
    """A Twilio adapter fed the given text frames."""
    adapter = TwilioAdapter()
    for text in texts:
        adapter.receive_text(text)
    return adapter


def test_a_documented_stream_decodes_in_order() -> None:
    """connected, start, media, mark, dtmf, stop give Start, mu-law audio, Dtmf and Stop."""
    adapter = adapter_after(CONNECTED, START, MEDIA, MARK, DTMF, STOP)
    assert adapter.events_received() == [
        Start(
            call_id="CA123",
            audio=AudioFormat("mulaw", 8000, 1),
            legs=("caller",),
            language="nl",
            purposes=("quality", "training"),
        ),
        AudioChunk(bytes([0xFF, 0x7F, 0x00, 0x80])),
        Dtmf("1", "caller"),
        Stop(),
    ]
    assert adapter.custom_parameters == {"language": "nl", "purposes": "quality,training"}
    assert adapter.send_transcript(Partial("caller", "u", "hoi", 0.0, 0.4)) == []


def test_custom_parameter_call_id_overrides_the_call_sid() -> None:
    """A call_id custom parameter wins over callSid."""
    start = START.replace('"language": "nl"', '"call_id": "crm-9"')
    first = adapter_after(start).events_received()[0]
    assert isinstance(first, Start)
    assert first.call_id == "crm-9"


def _both_tracks_start() -> str:
    return START.replace('["inbound"]', '["inbound", "outbound"]')


def _media(track: str, timestamp: int, payload: bytes) -> str:
    body = {"track": track, "chunk": "1", "timestamp": str(timestamp), "payload": base64.b64encode(payload).decode()}
    return json.dumps({"event": "media", "sequenceNumber": "2", "media": body, "streamSid": SID})


def _interleave(first: bytes, second: bytes) -> bytes:
    return bytes(b for pair in zip(first, second, strict=True) for b in pair)


def test_both_tracks_become_two_channels_aligned_by_timestamp() -> None:
    """Inbound is channel 0, outbound channel 1; a lost outbound packet is filled with silence."""
    a0, a1, a2 = bytes([1] * 160), bytes([2] * 160), bytes([3] * 160)
    b0, b2 = bytes([11] * 160), bytes([13] * 160)
    adapter = adapter_after(_both_tracks_start())
    for text in (_media("inbound", 0, a0), _media("outbound", 0, b0), _media("inbound", 20, a1)):
        adapter.receive_text(text)
    adapter.receive_text(_media("inbound", 40, a2))
    adapter.receive_text(_media("outbound", 40, b2))  # outbound chunk at 20 ms never came
    adapter.receive_text(STOP)
    events = adapter.events_received()
    start = events[0]
    assert isinstance(start, Start)
    assert (start.audio.channels, start.legs) == (2, ("caller", "agent"))
    audio = b"".join(e.data for e in events if isinstance(e, AudioChunk))
    silence = bytes([0xFF] * 160)
    assert audio == _interleave(a0, b0) + _interleave(a1, silence) + _interleave(a2, b2)
    assert events[-1] == Stop()


def test_a_stalled_track_is_filled_so_the_other_is_not_held_back() -> None:
    """With no outbound audio, inbound audio older than 0.5 s is released with silent outbound."""
    adapter = adapter_after(_both_tracks_start())
    for i in range(40):  # 800 ms of inbound only
        adapter.receive_text(_media("inbound", 20 * i, bytes([7] * 160)))
    audio = b"".join(e.data for e in adapter.events_received() if isinstance(e, AudioChunk))
    assert len(audio) // 2 >= 8000 * 0.3
    assert set(audio[0::2]) == {7}
    assert set(audio[1::2]) == {0xFF}


def test_closing_without_stop_flushes_and_stops() -> None:
    """A WebSocket close without stop pads the short track and ends with Stop."""
    adapter = adapter_after(_both_tracks_start(), _media("inbound", 0, bytes([5] * 8)))
    adapter.receive_eof()
    events = adapter.events_received()
    assert events[1:] == [AudioChunk(_interleave(bytes([5] * 8), bytes([0xFF] * 8))), Stop()]


@pytest.mark.parametrize(
    ("texts", "close_code", "match"),
    [
        ([MEDIA], 1008, "media before start"),
        ([DTMF], 1008, "dtmf before start"),
        ([START, START], 1008, "second start"),
        ([START, MEDIA.replace("/38AgA==", "!!notbase64")], 1007, "invalid base64"),
        ([START, MEDIA.replace('"payload": "/38AgA=="', '"payload": 5')], 1008, "base64"),
        ([START, MEDIA.replace('"track": "inbound"', '"track": "outbound"')], 1008, "not streamed"),
        ([START, DTMF.replace('"digit": "1"', '"digit": "x"')], 1008, "digit"),
        ([START.replace('"callSid": "CA123", ', "")], 1008, "callSid"),
        ([START.replace('["inbound"]', '["sideways"]')], 1008, "tracks"),
        ([START.replace('"purposes": "quality,training"', '"consent": "maybe"')], 1008, "consent"),
        (['{"event": "media"'], 1007, "invalid JSON"),
        (['{"sequenceNumber": "1"}'], 1008, "event"),
        (['{"event": "media", "media": "x"}'], 1008, "media"),
    ],
)
def test_malformed_streams_raise_twilio_error(texts: list[str], close_code: int, match: str) -> None:
    """Out-of-order, undecodable or incomplete messages raise TwilioError with the close code."""
    with pytest.raises(TwilioError, match=match) as info:
        adapter_after(*texts)
    assert info.value.close_code == close_code


def test_other_media_formats_are_unsupported() -> None:
    """A mediaFormat other than 8 kHz mono mu-law raises TwilioUnsupported (1003)."""
    with pytest.raises(TwilioUnsupported) as info:
        adapter_after(START.replace("audio/x-mulaw", "audio/x-l16"))
    assert info.value.close_code == 1003


def test_binary_frames_are_refused_and_the_adapter_stays_failed() -> None:
    """Twilio never sends binary; after the error further input raises too."""
    adapter = adapter_after(START)
    with pytest.raises(TwilioError, match="binary"):
        adapter.receive_binary(b"\x00")
    with pytest.raises(TwilioError):
        adapter.receive_text(MEDIA)


# -- X-Twilio-Signature -------------------------------------------------------------------------

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_twilio_documented_signature_verifies() -> None:
    """Twilio's documented example (URL plus sorted POST params) verifies; tampering fails."""
    assert verify_twilio_signature(TOKEN, URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not verify_twilio_signature(TOKEN, URL, {**PARAMS, "Digits": "9999"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not verify_twilio_signature("54321", URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not verify_twilio_signature(TOKEN, URL, PARAMS, "")


def test_repeated_parameters_contribute_each_distinct_value_sorted() -> None:
    """The SDK vector with a repeated, duplicated Digits parameter verifies."""
    params = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
    assert verify_twilio_signature(TOKEN, URL, params, "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ],
)
def test_url_port_variants_are_tried(url: str, signature: str) -> None:
    """Like Twilio's SDKs, the URL is also tried without its port and with the default port."""
    assert verify_twilio_signature(TOKEN, url, PARAMS, signature)


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(st.text(max_size=60), max_size=3))
def test_arbitrary_text_decodes_or_raises_twilio_error(texts: list[str]) -> None:
    """After a valid start, any text frames either decode or raise TwilioError."""
    adapter = adapter_after(_both_tracks_start())
    try:
        for text in texts:
            adapter.receive_text(text)
    except TwilioError:
        return
    assert all(isinstance(e, Start | AudioChunk | Dtmf | Stop) for e in adapter.events_received())


def test_an_absurdly_long_number_is_a_twilio_error() -> None:
    """A 5000-digit timestamp string raises TwilioError, not Python's int-size ValueError."""
    media = _media("inbound", 0, b"\xff").replace('"timestamp": "0"', '"timestamp": "' + "9" * 5000 + '"')
    with pytest.raises(TwilioError, match="timestamp"):
        adapter_after(_both_tracks_start(), media)
