"""Asterisk chan_websocket adapter: notifications as written by chan_websocket.c."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters import (
    AsteriskWsAdapter,
    AsteriskWsBadAudio,
    AsteriskWsError,
    AsteriskWsUnsupported,
)
from protocol.messages import AudioChunk, AudioFormat, Dtmf, Partial, Start, Stop

PLAIN_START = (
    "MEDIA_START connection_id:e226e283-c90a-4ea9-9e37-389000b9ef47 "
    "channel:WebSocket/connection1/0x7f3a1c0012f0 channel_id:1712345678.42 "
    "format:ulaw optimal_frame_size:160 ptime:20"
)
JSON_START = (
    '{"event":"MEDIA_START","connection_id":"e226e283-c90a-4ea9-9e37-389000b9ef47",'
    '"channel":"WebSocket/connection1/0x7f3a1c0012f0","channel_id":"1712345678.42",'
    '"format":"slin16","optimal_frame_size":640,"ptime":20,'
    '"channel_variables":{"MEDIA_WEBSOCKET_CONNECTION_ID":"e226e283",'
    '"CALLSCRIBE_LANGUAGE":"nl","__CALLSCRIBE_CONSENT":"granted","_CALLSCRIBE_PURPOSES":"quality"}}'
)
ULAW_20MS = bytes([0xFF, 0x7F, 0x00, 0x80] * 40)


def started(text: str = PLAIN_START, **params: str) -> AsteriskWsAdapter:
    """An adapter that has received ``text`` as its MEDIA_START."""
    adapter = AsteriskWsAdapter(params)
    adapter.receive_text(text)
    return adapter


def test_plain_text_media_start_and_ulaw_media() -> None:
    """The plain-text MEDIA_START gives an 8 kHz mu-law Start keyed by channel_id; media passes."""
    adapter = started()
    adapter.receive_binary(ULAW_20MS)
    assert adapter.events_received() == [
        Start(call_id="1712345678.42", audio=AudioFormat("mulaw", 8000, 1), legs=("caller",)),
        AudioChunk(ULAW_20MS),
    ]


def test_json_media_start_reads_callscribe_channel_variables() -> None:
    """The JSON MEDIA_START maps slin16 to 16 kHz PCM and CALLSCRIBE_* variables to options."""
    adapter = started(JSON_START)
    assert adapter.events_received() == [
        Start(
            call_id="1712345678.42",
            audio=AudioFormat("pcm_s16le", 16000, 1),
            legs=("caller",),
            language="nl",
            purposes=("quality",),
            consent="granted",
        )
    ]


def test_params_from_the_uri_fill_options_of_a_plain_start() -> None:
    """With plain-text control messages, options come from the connection's query params."""
    adapter = started(PLAIN_START, call_id="crm-77", language="en", legs="agent")
    start = adapter.events_received()[0]
    assert isinstance(start, Start)
    assert (start.call_id, start.language, start.legs) == ("crm-77", "en", ("agent",))


@pytest.mark.parametrize(
    "text",
    ["DTMF_END digit:5 channel_id:1712345678.42", '{"event":"DTMF_END","channel_id":"1712345678.42","digit":"5"}'],
)
def test_dtmf_end_in_both_forms_is_a_dtmf(text: str) -> None:
    """DTMF_END (plain or JSON) becomes Dtmf on the call's leg."""
    adapter = started()
    adapter.events_received()
    adapter.receive_text(text)
    assert adapter.events_received() == [Dtmf("5", "caller")]


def test_xoff_and_xon_flip_the_flow_flag_and_need_no_reply() -> None:
    """MEDIA_XOFF pauses and MEDIA_XON resumes our (unused) media flow; nothing is sent back."""
    adapter = started()
    adapter.receive_text("MEDIA_XOFF")
    assert adapter.media_flow_paused
    adapter.receive_text('{"event":"MEDIA_XON","channel_id":"1712345678.42"}')
    assert not adapter.media_flow_paused
    assert adapter.data_to_send() == []


def test_other_notifications_are_ignored() -> None:
    """STATUS, QUEUE_DRAINED and an unknown upper-case notification decode to nothing."""
    adapter = started()
    adapter.events_received()
    adapter.receive_text("STATUS queue_length:0 xon_level:800 xoff_level:900 queue_full:false")
    adapter.receive_text("QUEUE_DRAINED")
    adapter.receive_text("SOME_FUTURE_EVENT x:1")
    assert adapter.events_received() == []


def test_closing_the_websocket_is_the_hangup() -> None:
    """receive_eof after MEDIA_START gives Stop; transcripts have no way back."""
    adapter = started()
    adapter.receive_eof()
    assert adapter.events_received()[-1] == Stop()
    assert adapter.send_transcript(Partial("caller", "u", "hi", 0.0, 0.5)) == []


@pytest.mark.parametrize("fmt", ["slin12", "slin32", "slin44", "slin96", "slin192", "g722", "opus"])
def test_formats_we_do_not_take_are_unsupported(fmt: str) -> None:
    """A MEDIA_START in a format outside ulaw/alaw/slin(16/24/48) raises with close code 1003."""
    with pytest.raises(AsteriskWsUnsupported) as info:
        started(f"MEDIA_START connection_id:c channel:WebSocket/c channel_id:1.1 format:{fmt}")
    assert info.value.close_code == 1003


@pytest.mark.parametrize(
    ("text", "close_code"),
    [
        ("MEDIA_START connection_id:c channel:x channel_id:1.1", 1008),
        ('{"event":"MEDIA_START","channel_id":"1.1"', 1007),
        ('{"channel_id":"1.1","format":"ulaw"}', 1008),
        ("hello world", 1008),
        ("", 1008),
    ],
)
def test_malformed_notifications_raise(text: str, close_code: int) -> None:
    """A start without format, broken JSON, JSON without event and non-notifications raise."""
    adapter = AsteriskWsAdapter()
    with pytest.raises(AsteriskWsError) as info:
        adapter.receive_text(text)
    assert info.value.close_code == close_code


def test_media_before_media_start_raises() -> None:
    """Audio before MEDIA_START is out of order."""
    with pytest.raises(AsteriskWsError, match="before MEDIA_START"):
        AsteriskWsAdapter().receive_binary(ULAW_20MS)


def test_second_media_start_and_bad_dtmf_raise() -> None:
    """A repeated MEDIA_START and a DTMF_END with a bad digit are protocol errors."""
    with pytest.raises(AsteriskWsError, match="second MEDIA_START"):
        started().receive_text(PLAIN_START)
    with pytest.raises(AsteriskWsError, match="valid digit"):
        started().receive_text("DTMF_END digit:xy")


def test_odd_length_slin_is_bad_audio() -> None:
    """A 3-byte slin16 message is not whole samples."""
    adapter = started(JSON_START)
    with pytest.raises(AsteriskWsBadAudio):
        adapter.receive_binary(b"\x00\x01\x02")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), data=st.binary(max_size=40))
def test_arbitrary_input_decodes_or_raises_asterisk_ws_error(text: str, data: bytes) -> None:
    """Any text then any binary message either decodes or raises AsteriskWsError."""
    adapter = AsteriskWsAdapter()
    try:
        adapter.receive_text(text)
        adapter.receive_binary(data)
    except AsteriskWsError:
        return
    assert all(isinstance(e, Start | AudioChunk | Dtmf | Stop) for e in adapter.events_received())
