"""FreeSWITCH mod_audio_fork / mod_audio_stream adapter: metadata text frame, then L16 audio."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters import (
    FreeswitchAdapter,
    FreeswitchBadAudio,
    FreeswitchError,
    FreeswitchUnsupported,
)
from protocol.messages import AudioChunk, AudioFormat, Dtmf, Final, Finalize, Partial, Start, Stop, Word

STEREO_META = (
    '{"call_id":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","mix_type":"stereo","sample_rate":"16k",'
    '"language":"nl","purposes":["quality"],"consent":"granted"}'
)
# two stereo sample frames: caller 1, other 2; caller -1, other 256 (L16 little-endian)
STEREO_AUDIO = bytes.fromhex("01000200ffff0001")


def started(meta: str = STEREO_META) -> FreeswitchAdapter:
    """An adapter that has received ``meta`` as its first text frame."""
    adapter = FreeswitchAdapter()
    adapter.receive_text(meta)
    return adapter


def test_stereo_metadata_and_audio() -> None:
    """Stereo 16k metadata gives a 2-channel Start (caller first); audio passes interleaved."""
    adapter = started()
    adapter.receive_binary(STEREO_AUDIO)
    adapter.receive_eof()
    assert adapter.events_received() == [
        Start(
            call_id="0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            audio=AudioFormat("pcm_s16le", 16000, 2),
            legs=("caller", "agent"),
            language="nl",
            purposes=("quality",),
            consent="granted",
        ),
        AudioChunk(STEREO_AUDIO),
        Stop(),
    ]


@pytest.mark.parametrize(
    ("meta", "audio", "legs"),
    [
        ('{"uuid":"abc","mix_type":"mono","sample_rate":8000}', AudioFormat("pcm_s16le", 8000, 1), ("caller",)),
        ('{"uuid":"abc","mix_type":"mixed","sample_rate":"8k"}', AudioFormat("pcm_s16le", 8000, 1), ("mixed",)),
    ],
)
def test_mono_and_mixed_are_one_channel(meta: str, audio: AudioFormat, legs: tuple[str, ...]) -> None:
    """mono names its leg caller, mixed names it mixed; ``uuid`` serves as the call id."""
    start = started(meta).events_received()[0]
    assert start == Start(call_id="abc", audio=audio, legs=legs)


def test_variable_frame_sizes_pass_through() -> None:
    """Frames of any whole-sample size are accepted as they come."""
    adapter = started('{"uuid":"abc","mix_type":"mono","sample_rate":8000}')
    adapter.events_received()
    for size in (2, 320, 6, 640):
        adapter.receive_binary(bytes(size))
    assert [len(e.data) for e in adapter.events_received() if isinstance(e, AudioChunk)] == [2, 320, 6, 640]


def test_transcripts_go_back_as_transcription_frames() -> None:
    """A final is sent as {"type": "transcription", "data": <final as on the wire>}."""
    final = Final(1, "caller", "u1", "hallo", 0.5, 1.25, "nl", words=(Word("hallo", 0.5, 1.25, 0.9),))
    frames = started().send_transcript(final)
    assert len(frames) == 1
    assert isinstance(frames[0], str)
    message = json.loads(frames[0])
    assert message["type"] == "transcription"
    assert message["data"]["type"] == "final"
    assert (message["data"]["seq"], message["data"]["text"], message["data"]["leg"]) == (1, "hallo", "caller")
    partial = json.loads(str(started().send_transcript(Partial("agent", "u2", "ja", 1.0, 1.5))[0]))
    assert partial["data"]["type"] == "partial"


def test_send_text_dtmf_becomes_dtmf_and_other_text_is_ignored() -> None:
    """A later {"event":"dtmf"} text is a key press; free text from send_text is ignored."""
    adapter = started()
    adapter.events_received()
    adapter.receive_text('{"event":"dtmf","digit":"9","leg":"agent"}')
    adapter.receive_text("call was transferred")
    assert adapter.events_received() == [Dtmf("9", "agent")]


def test_a_protocol_error_queues_an_error_frame() -> None:
    """Audio without metadata and without configured defaults raises and queues {"type":"error"}."""
    adapter = FreeswitchAdapter()
    with pytest.raises(FreeswitchError, match="mix_type"):
        adapter.receive_binary(b"\x00\x00")
    (frame,) = adapter.data_to_send()
    assert json.loads(str(frame)) == {
        "type": "error",
        "data": {
            "code": "bad_message",
            "message": "no mix_type (mono, mixed or stereo) in the metadata or the URL query",
        },
    }


def test_mod_audio_stream_without_metadata_starts_on_params() -> None:
    """mod_audio_stream's metadata is optional (mod_audio_stream.c:191): audio first starts on params."""
    adapter = FreeswitchAdapter({"mix_type": "mono", "sample_rate": "16000", "call_id": "fs-1"})
    adapter.receive_binary(b"\x01\x00" * 4)
    start, chunk = adapter.events_received()
    assert isinstance(start, Start) and start.call_id == "fs-1" and start.audio.sample_rate == 16000
    assert chunk == AudioChunk(b"\x01\x00" * 4)


def test_drachtio_readme_metadata_takes_mix_and_rate_from_params() -> None:
    """drachtio's README metadata {"to","from","callid"} works with mix_type/sample_rate from params."""
    adapter = FreeswitchAdapter({"mix_type": "stereo", "sample_rate": "8k"})
    adapter.receive_text('{"to":"+3110","from":"+3120","callid":"abc"}')
    (start,) = adapter.events_received()
    assert isinstance(start, Start) and start.call_id == "abc" and start.audio.channels == 2


def test_a_zero_length_frame_finalises() -> None:
    """graceful-shutdown's zero-length binary frame (audio_pipe.cpp:200-206) becomes Finalize."""
    adapter = FreeswitchAdapter({"mix_type": "mono", "sample_rate": "8000", "call_id": "fs-2"})
    adapter.receive_binary(b"\x01\x00")
    adapter.receive_binary(b"")
    assert adapter.events_received()[-1] == Finalize()


@pytest.mark.parametrize(
    ("meta", "error", "close_code"),
    [
        ("not json", FreeswitchError, 1007),
        ("[1, 2]", FreeswitchError, 1008),
        ('{"uuid":"a","sample_rate":8000}', FreeswitchError, 1008),
        ('{"uuid":"a","mix_type":"mono"}', FreeswitchError, 1008),
        ('{"mix_type":"mono","sample_rate":8000}', FreeswitchError, 1008),
        ('{"uuid":"a","mix_type":"quad","sample_rate":8000}', FreeswitchUnsupported, 1003),
        ('{"uuid":"a","mix_type":"mono","sample_rate":44100}', FreeswitchUnsupported, 1003),
        ('{"uuid":"a","mix_type":"mono","sample_rate":"fast"}', FreeswitchError, 1008),
        ('{"uuid":"a","mix_type":"mono","sample_rate":8000,"consent":"maybe"}', FreeswitchError, 1008),
    ],
)
def test_bad_metadata_raises(meta: str, error: type[FreeswitchError], close_code: int) -> None:
    """Undecodable, incomplete or unsupported metadata raises with the documented close code."""
    with pytest.raises(error) as info:
        started(meta)
    assert info.value.close_code == close_code


@pytest.mark.parametrize("size", [1, 3, 2, 6])
def test_partial_sample_frames_are_bad_audio(size: int) -> None:
    """Stereo audio must be whole 4-byte frames."""
    with pytest.raises(FreeswitchBadAudio):
        started().receive_binary(bytes(size))


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), chunks=st.lists(st.binary(max_size=12), max_size=3))
def test_arbitrary_input_decodes_or_raises_freeswitch_error(text: str, chunks: list[bytes]) -> None:
    """Any first text and binary frames after it either decode or raise FreeswitchError."""
    adapter = FreeswitchAdapter({"mix_type": "stereo", "sample_rate": "8000", "call_id": "c"})
    try:
        adapter.receive_text(text)
        for chunk in chunks:
            adapter.receive_binary(chunk)
    except FreeswitchError:
        return
    assert all(isinstance(e, Start | AudioChunk | Dtmf | Stop) for e in adapter.events_received())
