"""Telnyx media streaming adapter: snake_case frames, L16 big-endian, out-of-order frames.

Frames follow the examples of developers.telnyx.com (media streaming over WebSockets).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters import TelnyxAdapter, TelnyxError, TelnyxUnsupported
from protocol.messages import AudioChunk, AudioFormat, Dtmf, Start, Stop

STREAM = "32DE0DEA-53CB-4B21-89A4-9E1819C043BC"
CCID = "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ"
CONNECTED = '{"event": "connected", "version": "1.0.0"}'
FROM = "+13122010094"  # start.from: the Start's caller


def start(encoding: str = "L16", rate: int = 16000, extra: str = "") -> str:
    """A start frame as in Telnyx's example, with the given media format."""
    return (
        '{"event": "start", "sequence_number": "1", "start": {'
        '"user_id": "3E6F995F-85F7-4705-9741-53B116D28237", '
        f'"call_control_id": "{CCID}", "call_session_id": "ff55a038-6f5d-11ef-9692-02420aeffb1f", '
        f'"from": "{FROM}", "to": "+13122123456", "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d", '
        f'{extra}"media_format": {{"encoding": "{encoding}", "sample_rate": {rate}, "channels": 1}}}}, '
        f'"stream_id": "{STREAM}"}}'
    )


def media(seq: int, payload: str, track: str = "inbound", timestamp: int = 5) -> str:
    """A media frame as in Telnyx's example."""
    return (
        f'{{"event": "media", "sequence_number": "{seq}", "media": {{"track": "{track}", '
        f'"chunk": "{seq - 1}", "timestamp": "{timestamp}", "payload": "{payload}"}}, "stream_id": "{STREAM}"}}'
    )


STOP = f'{{"event": "stop", "sequence_number": "9", "stop": {{"call_control_id": "{CCID}"}}, "stream_id": "{STREAM}"}}'


def run(*texts: str, **kwargs: object) -> list[object]:
    """Events of a Telnyx adapter fed ``texts``."""
    adapter = TelnyxAdapter(**kwargs)  # type: ignore[arg-type]
    for text in texts:
        adapter.receive_text(text)
    return list(adapter.events_received())


def test_l16_is_byte_swapped_to_little_endian() -> None:
    """Big-endian L16 samples 1 and -2 (00 01 ff fe) arrive as little-endian PCM."""
    events = run(CONNECTED, start(), media(2, "AAH//g=="), STOP)
    assert events == [
        Start(call_id=CCID, audio=AudioFormat("pcm_s16le", 16000, 1), legs=("caller",), caller=FROM),
        AudioChunk(bytes.fromhex("0100feff")),
        Stop(),
    ]


@pytest.mark.parametrize(("encoding", "ours"), [("PCMU", "mulaw"), ("audio/x-mulaw", "mulaw"), ("PCMA", "alaw")])
def test_g711_payloads_pass_through(encoding: str, ours: str) -> None:
    """PCMU (or the older audio/x-mulaw) and PCMA payloads are used as they are, at 8 kHz."""
    events = run(start(encoding, 8000), media(2, "/38AgA=="))
    assert events == [
        Start(call_id=CCID, audio=AudioFormat(ours, 8000, 1), legs=("caller",), caller=FROM),  # type: ignore[arg-type]
        AudioChunk(bytes([0xFF, 0x7F, 0x00, 0x80])),
    ]


def test_out_of_order_frames_are_reordered_by_sequence_number() -> None:
    """Media 3 arriving before media 2 is held until 2 comes, then both go out in order."""
    events = run(start(), media(3, "AAI="), media(2, "AAE="))
    assert events[1:] == [AudioChunk(b"\x01\x00"), AudioChunk(b"\x02\x00")]


def test_a_start_overtaken_by_media_is_put_first() -> None:
    """Media 2 arriving before start 1 waits for it, then follows it."""
    assert run(media(2, "AAE="), start()) == [
        Start(call_id=CCID, audio=AudioFormat("pcm_s16le", 16000, 1), legs=("caller",), caller=FROM),
        AudioChunk(b"\x01\x00"),
    ]


def test_a_missing_frame_is_given_up_after_the_window() -> None:
    """With window 2, a gap at 2 is skipped once three later frames wait; 2 is then dropped."""
    adapter = TelnyxAdapter(reorder_window=2)
    for text in (start(), media(3, "AAM="), media(4, "AAQ=")):
        adapter.receive_text(text)
    assert adapter.events_received()[1:] == []
    adapter.receive_text(media(5, "AAU="))
    adapter.receive_text(media(2, "AAI="))
    assert adapter.events_received() == [AudioChunk(b"\x03\x00"), AudioChunk(b"\x04\x00"), AudioChunk(b"\x05\x00")]
    assert adapter.reordered_dropped == 1


def test_stop_releases_everything_still_waiting() -> None:
    """A stop behind a gap flushes the held frames, then Stop."""
    events = run(start(), media(3, "AAM="), STOP)
    assert events[1:] == [AudioChunk(b"\x03\x00"), Stop()]


def test_dtmf_without_a_sequence_number_is_immediate() -> None:
    """Telnyx's dtmf frame (no sequence_number) becomes Dtmf on the inbound leg."""
    dtmf = (
        f'{{"event": "dtmf", "dtmf": {{"digit": "#"}}, "occurred_at": "2024-01-01T00:00:00Z", "stream_id": "{STREAM}"}}'
    )
    assert run(start(), dtmf)[1:] == [Dtmf("#", "caller")]


def test_both_tracks_from_the_url_parameter() -> None:
    """tracks=both_tracks gives 2 channels; inbound and outbound samples interleave."""
    events = run(
        start("PCMU", 8000),
        media(2, "AQID", "inbound", 0),
        media(3, "BAUG", "outbound", 0),
        STOP,
        params={"tracks": "both_tracks"},
    )
    first = events[0]
    assert isinstance(first, Start)
    assert (first.audio.channels, first.legs) == (2, ("caller", "agent"))
    assert events[1:] == [AudioChunk(bytes([1, 4, 2, 5, 3, 6])), Stop()]


def test_custom_parameters_as_name_value_list() -> None:
    """custom_parameters given as [{"name", "value"}] fill the Start options."""
    extra = '"custom_parameters": [{"name": "language", "value": "de"}, {"name": "call_id", "value": "x1"}], '
    first = run(start(extra=extra))[0]
    assert isinstance(first, Start)
    assert (first.language, first.call_id) == ("de", "x1")


@pytest.mark.parametrize(("encoding", "rate"), [("G722", 16000), ("OPUS", 48000), ("AMR-WB", 16000), ("L16", 22050)])
def test_codecs_we_do_not_decode_are_unsupported(encoding: str, rate: int) -> None:
    """G722, OPUS, AMR-WB and L16 at 22.05 kHz raise TelnyxUnsupported (1003)."""
    with pytest.raises(TelnyxUnsupported):
        run(start(encoding, rate))


@pytest.mark.parametrize(
    ("texts", "close_code"),
    [
        ([start(), media(2, "AAAA")], 1007),  # 3 bytes of L16
        ([start(), media(2, "%%%")], 1007),
        ([media(seq, "AAE=") for seq in range(2, 11)], 1008),  # no start within the window
        ([start(), '{"event": "media", "sequence_number": "two"}'], 1008),
        ([start().replace(f'"call_control_id": "{CCID}", ', "")], 1008),
        (["{"], 1007),
    ],
)
def test_malformed_frames_raise_telnyx_error(texts: list[str], close_code: int) -> None:
    """Odd L16, bad base64, media with no start, bad numbers, no call id, bad JSON all raise."""
    with pytest.raises(TelnyxError) as info:
        run(*texts)
    assert info.value.close_code == close_code


@settings(max_examples=200, deadline=None)
@given(seqs=st.lists(st.integers(1, 12), max_size=12), payload=st.binary(max_size=6))
def test_any_arrival_order_decodes_or_raises_telnyx_error(seqs: list[int], payload: bytes) -> None:
    """Frames in any order (with duplicates and gaps) decode in sequence or raise TelnyxError."""
    import base64

    adapter = TelnyxAdapter(reorder_window=3)
    try:
        adapter.receive_text(start())
        for seq in seqs:
            adapter.receive_text(media(seq + 1, base64.b64encode(payload).decode()))
        adapter.receive_eof()
    except TelnyxError:
        return
    assert all(isinstance(e, Start | AudioChunk | Stop) for e in adapter.events_received())
