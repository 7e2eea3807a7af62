"""Asterisk AudioSocket adapter: hand-written byte vectors from the protocol definition.

Frames are ``kind | length (u16 BE) | payload`` (docs.asterisk.org AudioSocket page); the
UUID is the docs' example ``40325ec2-5efd-4bd3-805f-53576e581d13``.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters import (
    AudioSocketAdapter,
    AudioSocketBadAudio,
    AudioSocketError,
    AudioSocketUnsupported,
)
from protocol.errors import BadAudio, Unsupported
from protocol.messages import AudioChunk, AudioFormat, Dtmf, Start, Stop

UUID_FRAME = bytes.fromhex("01 0010 40325ec25efd4bd3805f53576e581d13")
CALL_ID = "40325ec2-5efd-4bd3-805f-53576e581d13"
# four slin samples: 1, -1, -32768, 32767 (little-endian), kind 0x10 = 8 kHz
AUDIO_8K = bytes.fromhex("10 0008 0100ffff0080ff7f")
SAMPLES = bytes.fromhex("0100ffff0080ff7f")
DTMF_5 = bytes.fromhex("03 0001 35")
HANGUP = bytes.fromhex("00 0000")
START_8K = Start(call_id=CALL_ID, audio=AudioFormat("pcm_s16le", 8000, 1), legs=("caller",))
CALL = UUID_FRAME + AUDIO_8K + DTMF_5 + AUDIO_8K + HANGUP
CALL_EVENTS = [START_8K, AudioChunk(SAMPLES), Dtmf("5", "caller"), AudioChunk(SAMPLES), Stop()]


def feed(chunks: list[bytes], **kwargs: object) -> AudioSocketAdapter:
    """An adapter fed ``chunks`` one read at a time."""
    adapter = AudioSocketAdapter(**kwargs)  # type: ignore[arg-type]
    for chunk in chunks:
        adapter.receive_data(chunk)
    return adapter


def test_a_whole_call_in_one_read_decodes_in_order() -> None:
    """UUID, audio, DTMF and hangup in one read give Start, audio, Dtmf, audio and Stop."""
    adapter = feed([CALL])
    assert adapter.events_received() == CALL_EVENTS
    assert adapter.stopped
    assert adapter.data_to_send() == []


def test_byte_by_byte_reads_give_the_same_events() -> None:
    """Feeding one byte per read (every frame split everywhere) changes nothing."""
    adapter = feed([CALL[i : i + 1] for i in range(len(CALL))])
    assert adapter.events_received() == CALL_EVENTS


@pytest.mark.parametrize("cut", [1, 2, 3, 10, 19, 20, 21, 25, 30])
def test_a_frame_split_across_two_reads_is_reassembled(cut: int) -> None:
    """A split inside the header or the payload holds the partial frame until the rest arrives."""
    first = feed([CALL[:cut]])
    assert all(not isinstance(e, AudioChunk) or e.data == SAMPLES for e in first.events_received())
    first.receive_data(CALL[cut:])
    assert feed([CALL[:cut], CALL[cut:]]).events_received() == CALL_EVENTS


def test_start_waits_for_the_first_audio_to_learn_the_rate() -> None:
    """A digit before any audio is held and emitted after Start, at the rate of kind 0x12."""
    audio_16k = bytes.fromhex("12 0004 0100ffff")
    adapter = feed([UUID_FRAME + bytes.fromhex("03 0001 31"), audio_16k])
    start = Start(call_id=CALL_ID, audio=AudioFormat("pcm_s16le", 16000, 1), legs=("caller",))
    assert adapter.events_received() == [start, Dtmf("1", "caller"), AudioChunk(bytes.fromhex("0100ffff"))]


@pytest.mark.parametrize(("kind", "rate"), [(0x10, 8000), (0x12, 16000), (0x13, 24000), (0x16, 48000)])
def test_supported_audio_kinds_map_to_their_rates(kind: int, rate: int) -> None:
    """Kinds 0x10, 0x12, 0x13 and 0x16 are 8, 16, 24 and 48 kHz slin."""
    adapter = feed([UUID_FRAME + bytes([kind]) + bytes.fromhex("0002 3412")])
    events = adapter.events_received()
    assert isinstance(events[0], Start)
    assert events[0].audio == AudioFormat("pcm_s16le", rate, 1)
    assert events[1] == AudioChunk(b"\x34\x12")


@pytest.mark.parametrize("kind", [0x11, 0x14, 0x15, 0x17, 0x18])
def test_rates_we_do_not_resample_are_unsupported(kind: int) -> None:
    """12, 32, 44.1, 96 and 192 kHz audio raises AudioSocketUnsupported (an Unsupported)."""
    adapter = AudioSocketAdapter()
    with pytest.raises(AudioSocketUnsupported) as info:
        adapter.receive_data(UUID_FRAME + bytes([kind]) + bytes.fromhex("0002 0000"))
    assert isinstance(info.value, Unsupported)
    assert info.value.code == "unsupported"


def test_a_configured_rate_starts_on_the_uuid_and_refuses_other_rates() -> None:
    """With sample_rate=8000, Start follows the UUID and 16 kHz audio is refused."""
    adapter = feed([UUID_FRAME], sample_rate=8000)
    assert adapter.events_received() == [START_8K]
    with pytest.raises(AudioSocketUnsupported):
        adapter.receive_data(bytes.fromhex("12 0002 0000"))


def test_a_rate_change_mid_stream_is_refused() -> None:
    """Audio of kind 0x12 after kind 0x10 audio raises AudioSocketUnsupported."""
    adapter = feed([UUID_FRAME + AUDIO_8K])
    with pytest.raises(AudioSocketUnsupported):
        adapter.receive_data(bytes.fromhex("12 0002 0000"))


def test_audio_longer_than_one_second_is_cut_into_one_second_chunks() -> None:
    """A 20000-byte (1.25 s) payload becomes chunks of 16000 and 4000 bytes."""
    payload = bytes(range(256)) * 78 + bytes(32)
    adapter = feed([UUID_FRAME + bytes.fromhex("10 4e20") + payload])
    events = adapter.events_received()
    assert [len(e.data) for e in events if isinstance(e, AudioChunk)] == [16000, 4000]
    assert b"".join(e.data for e in events if isinstance(e, AudioChunk)) == payload


def test_params_fill_the_start_options() -> None:
    """Per-port params set language, purposes, consent and leg name of the Start."""
    params = {"language": "nl", "purposes": "quality, training", "consent": "granted", "legs": "customer"}
    adapter = feed([UUID_FRAME + AUDIO_8K], params=params)
    start = adapter.events_received()[0]
    assert start == Start(
        call_id=CALL_ID,
        audio=AudioFormat("pcm_s16le", 8000, 1),
        legs=("customer",),
        language="nl",
        purposes=("quality", "training"),
        consent="granted",
    )


def test_peer_error_frame_ends_the_stream_and_keeps_the_code() -> None:
    """An 0xff frame with Asterisk's code 0x01 (caller hung up) ends the stream with Stop."""
    adapter = feed([UUID_FRAME + AUDIO_8K + bytes.fromhex("ff 0001 01")])
    assert adapter.events_received()[-1] == Stop()
    assert adapter.peer_error == b"\x01"


def test_hangup_before_any_audio_emits_nothing() -> None:
    """A stream that ends before its first audio never opened a session."""
    adapter = feed([UUID_FRAME + DTMF_5 + HANGUP])
    assert adapter.events_received() == []
    assert adapter.stopped


def test_eof_at_a_frame_boundary_is_a_hangup() -> None:
    """Closing the socket after whole frames ends the stream with Stop."""
    adapter = feed([UUID_FRAME + AUDIO_8K])
    adapter.receive_eof()
    assert adapter.events_received() == [START_8K, AudioChunk(SAMPLES), Stop()]


def test_input_after_the_hangup_is_ignored() -> None:
    """Bytes after a hangup frame decode to nothing and raise nothing."""
    adapter = feed([CALL, b"\x99\x99"])
    assert adapter.events_received() == CALL_EVENTS


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        (AUDIO_8K, "before the UUID"),
        (DTMF_5, "before the UUID"),
        (bytes.fromhex("01 000f") + bytes(15), "UUID payload of 15 bytes"),
        (UUID_FRAME + UUID_FRAME, "second UUID"),
        (UUID_FRAME + bytes.fromhex("02 0000"), "unknown frame kind 0x02"),
        (UUID_FRAME + bytes.fromhex("20 0002 0000"), "unknown frame kind 0x20"),
        (UUID_FRAME + bytes.fromhex("03 0002 3132"), "DTMF payload of 2 bytes"),
        (UUID_FRAME + bytes.fromhex("03 0001 78"), "DTMF payload is not"),
        (UUID_FRAME + bytes.fromhex("00 0001 00"), "hangup frame with a payload"),
    ],
)
def test_malformed_frames_raise_and_queue_the_terminate_frame(frames: bytes, message: str) -> None:
    """Each violation raises AudioSocketError and queues the 00 00 00 terminate frame."""
    adapter = AudioSocketAdapter()
    with pytest.raises(AudioSocketError, match=message):
        adapter.receive_data(frames)
    assert adapter.data_to_send() == [b"\x00\x00\x00"]
    with pytest.raises(AudioSocketError):
        adapter.receive_data(HANGUP)


def test_odd_length_audio_is_bad_audio() -> None:
    """A 3-byte slin payload raises AudioSocketBadAudio (a BadAudio, code bad_audio)."""
    adapter = AudioSocketAdapter()
    with pytest.raises(AudioSocketBadAudio) as info:
        adapter.receive_data(UUID_FRAME + bytes.fromhex("10 0003 000000"))
    assert isinstance(info.value, BadAudio)
    assert info.value.code == "bad_audio"


def test_events_before_an_error_stay_queued() -> None:
    """Frames decoded before the bad one are still delivered."""
    adapter = AudioSocketAdapter()
    with pytest.raises(AudioSocketError):
        adapter.receive_data(UUID_FRAME + AUDIO_8K + bytes.fromhex("07 0000"))
    assert adapter.events_received() == [START_8K, AudioChunk(SAMPLES)]


def test_eof_inside_a_frame_is_truncation() -> None:
    """Closing the socket in the middle of a frame raises AudioSocketError."""
    adapter = feed([UUID_FRAME + AUDIO_8K[:5]])
    with pytest.raises(AudioSocketError, match="inside a frame"):
        adapter.receive_eof()


def test_no_transcripts_go_back_over_audiosocket() -> None:
    """AudioSocket has no message for text, so send_transcript returns nothing."""
    from protocol.messages import Partial

    adapter = feed([CALL])
    assert adapter.send_transcript(Partial("caller", "u1", "hello", 0.0, 1.0)) == []


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=200),
    cuts=st.lists(st.integers(0, 200), max_size=4),
    eof=st.booleans(),
    uuid_first=st.booleans(),
)
def test_arbitrary_bytes_decode_or_raise_audiosocket_error(
    data: bytes, cuts: list[int], eof: bool, uuid_first: bool
) -> None:
    """Any byte string, split anywhere, either decodes or raises AudioSocketError, nothing else."""
    adapter = AudioSocketAdapter()
    bounds = [0, *sorted(c for c in cuts if c <= len(data)), len(data)]
    try:
        adapter.receive_data(UUID_FRAME if uuid_first else b"")
        for lo, hi in itertools.pairwise(bounds):
            adapter.receive_data(data[lo:hi])
        if eof:
            adapter.receive_eof()
    except AudioSocketError:
        return
    events = adapter.events_received()
    assert all(isinstance(e, Start | AudioChunk | Dtmf | Stop) for e in events)
