"""jambonz listen adapter: call-attribute JSON first, L16 audio, dtmf text frames."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters import JambonzAdapter, JambonzBadAudio, JambonzError, JambonzUnsupported
from protocol.messages import AudioChunk, AudioFormat, Dtmf, Final, Start, Stop

# the attributes listen.js sends: sampleRate and mixType, the call info, the verb's metadata merged in
ATTRIBUTES = (
    '{"sampleRate": 8000, "mixType": "stereo", "callSid": "6ad1ab2c-1b2e-4b89-8c2d-9d7f1f0f3e11", '
    '"direction": "inbound", "from": "+15083084809", "to": "+15083728299", '
    '"callId": "f0b1c2d3@10.0.0.1", "accountSid": "acc", "applicationSid": "app", '
    '"language": "en", "consent": "granted", "legs": ["customer", "agent"]}'
)


def started(attributes: str = ATTRIBUTES) -> JambonzAdapter:
    """A jambonz adapter after its first text frame."""
    adapter = JambonzAdapter()
    adapter.receive_text(attributes)
    return adapter


def test_stereo_listen_with_metadata() -> None:
    """Stereo 8 kHz attributes give a 2-channel Start keyed by callSid with the metadata options."""
    adapter = started()
    adapter.receive_binary(bytes.fromhex("0100020003000400"))
    adapter.receive_text('{"event": "dtmf", "dtmf": "7", "duration": 1280}')
    adapter.receive_eof()
    assert adapter.events_received() == [
        Start(
            call_id="6ad1ab2c-1b2e-4b89-8c2d-9d7f1f0f3e11",
            audio=AudioFormat("pcm_s16le", 8000, 2),
            legs=("customer", "agent"),
            language="en",
            consent="granted",
            caller="+15083084809",  # inbound: the call attribute ``from``
        ),
        AudioChunk(bytes.fromhex("0100020003000400")),
        Dtmf("7", "customer"),
        Stop(),
    ]
    assert adapter.call_attributes["direction"] == "inbound"


@pytest.mark.parametrize(("mix", "legs"), [("mono", ("caller",)), ("mixed", ("mixed",))])
def test_mono_and_mixed_default_legs(mix: str, legs: tuple[str, ...]) -> None:
    """mono and mixed are one channel named caller and mixed; 16 kHz is taken as is."""
    attributes = json.dumps({"sampleRate": 16000, "mixType": mix, "callSid": "c1"})
    assert started(attributes).events_received() == [
        Start(call_id="c1", audio=AudioFormat("pcm_s16le", 16000, 1), legs=legs)
    ]


def test_no_transcripts_and_a_disconnect_on_error() -> None:
    """Transcripts have no way back; a protocol error queues {"type": "disconnect"}."""
    adapter = started()
    assert adapter.send_transcript(Final(1, "customer", "u", "hi", 0.0, 1.0, "en")) == []
    with pytest.raises(JambonzBadAudio):
        adapter.receive_binary(bytes(6))  # 1.5 stereo sample frames
    assert adapter.data_to_send() == ['{"type": "disconnect"}']


@pytest.mark.parametrize(
    ("attributes", "error", "close_code"),
    [
        ('{"sampleRate": 64000, "mixType": "mono", "callSid": "c"}', JambonzUnsupported, 1003),
        ('{"sampleRate": 8000, "mixType": "surround", "callSid": "c"}', JambonzUnsupported, 1003),
        ('{"sampleRate": 8000, "mixType": "mono"}', JambonzError, 1008),
        ('{"sampleRate": "x", "mixType": "mono", "callSid": "c"}', JambonzError, 1008),
        ("callSid=c", JambonzError, 1007),
    ],
)
def test_bad_attributes_raise(attributes: str, error: type[JambonzError], close_code: int) -> None:
    """64 kHz, unknown mix types, a missing callSid and non-JSON raise with their close codes."""
    with pytest.raises(error) as info:
        started(attributes)
    assert info.value.close_code == close_code


def test_audio_before_attributes_and_bad_dtmf_raise() -> None:
    """Binary before the first text frame and a dtmf without a digit are protocol errors."""
    with pytest.raises(JambonzError, match="before the call attributes"):
        JambonzAdapter().receive_binary(b"\x00\x00")
    with pytest.raises(JambonzError, match="valid digit"):
        started().receive_text('{"event": "dtmf", "duration": 10}')


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), chunks=st.lists(st.binary(max_size=10), max_size=3))
def test_arbitrary_input_decodes_or_raises_jambonz_error(text: str, chunks: list[bytes]) -> None:
    """After valid attributes, any text and binary frames decode or raise JambonzError."""
    adapter = started()
    try:
        adapter.receive_text(text)
        for chunk in chunks:
            adapter.receive_binary(chunk)
    except JambonzError:
        return
    assert all(isinstance(e, Start | AudioChunk | Dtmf | Stop) for e in adapter.events_received())
