"""Parsing and encoding of every transcribe.v1 message in both subprotocols."""

from __future__ import annotations

import json

import msgpack
import pytest

from protocol.codec import (
    SUBPROTOCOLS,
    Mode,
    encode_client,
    encode_server,
    parse_binary,
    parse_server,
    parse_text,
    server_to_dict,
)
from protocol.errors import BadMessage, ProtocolError, Unsupported
from protocol.messages import (
    AudioChunk,
    AudioFormat,
    CallEnded,
    ClientMessage,
    Closed,
    ConsentEvent,
    ConsentState,
    Dtmf,
    ErrorMessage,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    Ready,
    Redaction,
    ServerMessage,
    Start,
    Stop,
    Word,
)

MODES = [Mode.JSON, Mode.MSGPACK]
PCMU_8K_MONO = AudioFormat("mulaw", 8000, 1)
START = {
    "type": "start",
    "call_id": "c-1",
    "audio": {"encoding": "mulaw", "sample_rate": 8000, "channels": 1},
}


def send(obj: object, mode: Mode) -> ClientMessage:
    """Parse ``obj`` as the client would send it in ``mode`` (a JSON text or msgpack frame)."""
    if mode is Mode.JSON:
        return parse_text(json.dumps(obj), mode)
    return parse_binary(msgpack.packb(obj, use_bin_type=True), mode)


def test_subprotocol_names() -> None:
    """The two negotiable subprotocol names are exactly those of PROTOCOL.md."""
    assert SUBPROTOCOLS == ("transcribe.v1", "transcribe.v1.msgpack")
    assert Mode("transcribe.v1.msgpack") is Mode.MSGPACK


@pytest.mark.parametrize("mode", MODES)
def test_start_minimal_gets_defaults(mode: Mode) -> None:
    """A start with only the required fields gets the documented defaults."""
    assert send(START, mode) == Start(
        call_id="c-1",
        audio=PCMU_8K_MONO,
        legs=("caller",),
        language="auto",
        purposes=(),
        consent="pending",
        interim_results=True,
        resume_from=None,
    )


@pytest.mark.parametrize("mode", MODES)
def test_start_stereo_default_legs(mode: Mode) -> None:
    """A two-channel start without legs names them agent then caller."""
    obj = START | {"audio": {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 2}}
    msg = send(obj, mode)
    assert isinstance(msg, Start)
    assert msg.legs == ("agent", "caller")


@pytest.mark.parametrize("mode", MODES)
def test_start_all_fields_and_unknown_fields(mode: Mode) -> None:
    """Every start field is read, and unknown fields (top level and nested) are ignored."""
    obj = {
        "type": "start",
        "call_id": "call-42",
        "audio": {"encoding": "alaw", "sample_rate": 48000, "channels": 2, "bitrate": 64},
        "legs": ["left", "right"],
        "language": "nl",
        "purposes": ["quality", "training"],
        "consent": "granted",
        "interim_results": False,
        "resume_from": 7,
        "x-vendor": {"anything": [1, 2]},
    }
    assert send(obj, mode) == Start(
        call_id="call-42",
        audio=AudioFormat("alaw", 48000, 2),
        legs=("left", "right"),
        language="nl",
        purposes=("quality", "training"),
        consent="granted",
        interim_results=False,
        resume_from=7,
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"type": "consent", "event": "announced", "announcement": "v3"}, ConsentEvent("announced", "v3")),
        ({"type": "consent", "event": "declined"}, ConsentEvent("declined")),
        ({"type": "consent", "event": "paused", "announcement": None}, ConsentEvent("paused")),
        ({"type": "dtmf", "digit": "9", "leg": "caller"}, Dtmf("9", "caller")),
        ({"type": "dtmf", "digit": "#"}, Dtmf("#")),
        ({"type": "finalize"}, Finalize()),
        ({"type": "keepalive", "ts": 12}, KeepAlive()),
        ({"type": "stop"}, Stop()),
    ],
)
def test_control_messages(mode: Mode, obj: dict[str, object], expected: ClientMessage) -> None:
    """Each control message parses to its typed message in both subprotocols."""
    assert send(obj, mode) == expected


def test_audio_in_json_mode_is_a_binary_frame() -> None:
    """In transcribe.v1 any binary frame is audio, passed through byte for byte."""
    assert parse_binary(b"\x00\xff\x7f", Mode.JSON) == AudioChunk(b"\x00\xff\x7f")
    assert parse_binary(bytearray(b"ab"), Mode.JSON) == AudioChunk(b"ab")


def test_audio_in_msgpack_mode_is_a_map() -> None:
    """In transcribe.v1.msgpack audio is a map of type audio with binary data."""
    assert send({"type": "audio", "data": b"\x01\x02"}, Mode.MSGPACK) == AudioChunk(b"\x01\x02")


@pytest.mark.parametrize(
    ("mode", "obj", "field"),
    [
        (Mode.MSGPACK, {"type": "audio", "data": "AQI="}, "audio.data"),
        (Mode.MSGPACK, {"type": "audio"}, "audio.data"),
        (Mode.JSON, {"type": "audio", "data": "AQI="}, "binary frames"),
    ],
)
def test_audio_wrong_shape(mode: Mode, obj: dict[str, object], field: str) -> None:
    """Audio as a string, without data, or as a JSON text message is rejected."""
    with pytest.raises(BadMessage, match=field) as info:
        send(obj, mode)
    assert info.value.close_code == 1008


def _start_with(**changes: object) -> dict[str, object]:
    obj: dict[str, object] = dict(START)
    for key, value in changes.items():
        if value is _DROP:
            del obj[key]
        else:
            obj[key] = value
    return obj


_DROP = object()
_AUDIO = {"encoding": "mulaw", "sample_rate": 8000, "channels": 1}

BAD_MESSAGES: list[tuple[object, str]] = [
    ([START], "object/map"),
    ("start", "object/map"),
    ({"call_id": "c"}, "message.type: missing"),
    ({"type": 3}, "message.type: expected a string"),
    ({"type": "hello"}, "unknown message type"),
    ({"type": "START"}, "unknown message type"),
    (_start_with(call_id=_DROP), "start.call_id: missing"),
    (_start_with(call_id=""), "start.call_id: must not be empty"),
    (_start_with(call_id=12), "start.call_id: expected a string, got integer"),
    (_start_with(call_id="x" * 257), "start.call_id: longer than"),
    (_start_with(audio=_DROP), "start.audio: missing"),
    (_start_with(audio="mulaw"), "start.audio: expected an object"),
    (_start_with(audio={"encoding": "mulaw", "sample_rate": 8000}), "start.audio.channels: missing"),
    (_start_with(audio=_AUDIO | {"sample_rate": "8000"}), "start.audio.sample_rate: expected an integer"),
    (_start_with(audio=_AUDIO | {"sample_rate": 8000.0}), "start.audio.sample_rate: expected an integer"),
    (
        _start_with(audio=_AUDIO | {"channels": True}),
        "start.audio.channels: expected an integer, got boolean",
    ),
    (_start_with(audio=_AUDIO | {"encoding": 1}), "start.audio.encoding: expected a string"),
    (_start_with(legs="caller"), "start.legs: expected a list, got string"),
    (_start_with(legs=None), "start.legs: expected a list, got null"),
    (_start_with(legs=["a", "b"]), "start.legs: need exactly one leg name per audio channel"),
    (_start_with(legs=[""]), r"start.legs\[0\]: must not be empty"),
    (_start_with(legs=[7]), r"start.legs\[0\]: expected a string"),
    (_start_with(audio=_AUDIO | {"channels": 2}, legs=["a", "a"]), "start.legs: items must be unique"),
    (_start_with(language="english!"), "start.language"),
    (_start_with(language=None), "start.language: expected a string"),
    (_start_with(purposes="billing"), "start.purposes: expected a list"),
    (_start_with(purposes=["a", 1]), r"start.purposes\[1\]: expected a string"),
    (_start_with(consent="active"), "start.consent: must be one of pending, granted"),
    (_start_with(interim_results=1), "start.interim_results: expected a boolean, got integer"),
    (_start_with(interim_results="true"), "start.interim_results: expected a boolean"),
    (_start_with(resume_from=True), "start.resume_from: expected an integer, got boolean"),
    (_start_with(resume_from="3"), "start.resume_from: expected an integer"),
    (_start_with(resume_from=-1), "start.resume_from: must be >= 0"),
    ({"type": "consent"}, "consent.event: missing"),
    ({"type": "consent", "event": "maybe"}, "consent.event: must be one of"),
    ({"type": "consent", "event": "granted", "announcement": 3}, "consent.announcement: expected a string"),
    ({"type": "dtmf"}, "dtmf.digit: missing"),
    ({"type": "dtmf", "digit": 5}, "dtmf.digit: expected a string"),
    ({"type": "dtmf", "digit": "55"}, "dtmf.digit: longer than 1"),
    ({"type": "dtmf", "digit": "x"}, "dtmf.digit: must be one of"),
    ({"type": "dtmf", "digit": "1", "leg": ["caller"]}, "dtmf.leg: expected a string, got list"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("obj", "match"), BAD_MESSAGES)
def test_bad_message(mode: Mode, obj: object, match: str) -> None:
    """Wrong shapes, missing and wrong-typed fields are bad_message (1008) naming the field."""
    with pytest.raises(BadMessage, match=match) as info:
        send(obj, mode)
    assert (info.value.code, info.value.close_code) == ("bad_message", 1008)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("audio", "match"),
    [
        ({"encoding": "opus", "sample_rate": 8000, "channels": 1}, "start.audio.encoding"),
        ({"encoding": "mulaw", "sample_rate": 44100, "channels": 1}, "start.audio.sample_rate"),
        ({"encoding": "mulaw", "sample_rate": 8000, "channels": 3}, "start.audio.channels"),
        ({"encoding": "mulaw", "sample_rate": 8000, "channels": 0}, "start.audio.channels"),
    ],
)
def test_unsupported_audio_format(mode: Mode, audio: dict[str, object], match: str) -> None:
    """A well-formed but unsupported encoding, rate or channel count is unsupported (1003)."""
    with pytest.raises(Unsupported, match=match) as info:
        send(START | {"audio": audio}, mode)
    assert (info.value.code, info.value.close_code) == ("unsupported", 1003)


@pytest.mark.parametrize("text", ["", "{", '{"type": "stop"', "nul", "[1, 2", "{" * 100_000])
def test_invalid_json_closes_1007(text: str) -> None:
    """Text that is not JSON is bad_message with close code 1007 (even when deeply nested)."""
    with pytest.raises(BadMessage) as info:
        parse_text(text, Mode.JSON)
    assert info.value.close_code == 1007


@pytest.mark.parametrize("data", [b"", b"\xc1", b"\x81", b"\x81\xa4type", b"\x91\x01\x02", b"\x81\xa1\xff\x01"])
def test_invalid_msgpack_closes_1007(data: bytes) -> None:
    """Bytes that are not one complete msgpack object are bad_message with close code 1007."""
    with pytest.raises(BadMessage) as info:
        parse_binary(data, Mode.MSGPACK)
    assert info.value.close_code == 1007


def test_lone_surrogate_is_invalid_text() -> None:
    """A JSON string escaping half a surrogate pair is rejected as invalid payload data (1007)."""
    text = json.dumps(START).replace('"c-1"', '"\\ud800"')
    assert "\\ud800" in text
    with pytest.raises(BadMessage, match=r"start\.call_id") as info:
        parse_text(text, Mode.JSON)
    assert info.value.close_code == 1007


def test_text_frame_in_msgpack_mode() -> None:
    """In transcribe.v1.msgpack a text frame is a protocol violation, even if it holds valid JSON."""
    with pytest.raises(BadMessage, match="text frames"):
        parse_text('{"type": "stop"}', Mode.MSGPACK)


CLIENT_MESSAGES: list[ClientMessage] = [
    Start("c", AudioFormat("pcm_s16le", 24000, 2), ("agent", "caller"), "en", ("qa",), "granted", False, 3),
    Start("c", PCMU_8K_MONO, ("caller",)),
    AudioChunk(b"\x00\x01\x02\x03"),
    ConsentEvent("resumed", "ann-2"),
    ConsentEvent("granted"),
    Dtmf("*", "agent"),
    Dtmf("0"),
    Finalize(),
    KeepAlive(),
    Stop(),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("msg", CLIENT_MESSAGES)
def test_client_round_trip(mode: Mode, msg: ClientMessage) -> None:
    """encode_client then parsing the frame gives back the same message."""
    frame = encode_client(msg, mode)
    parsed = parse_text(frame, mode) if isinstance(frame, str) else parse_binary(frame, mode)
    assert parsed == msg


def test_client_frame_kinds() -> None:
    """JSON mode sends audio as raw binary and control as text; msgpack mode sends binary only."""
    assert encode_client(AudioChunk(b"ab"), Mode.JSON) == b"ab"
    assert encode_client(Stop(), Mode.JSON) == '{"type":"stop"}'
    frame = encode_client(AudioChunk(b"ab"), Mode.MSGPACK)
    assert isinstance(frame, bytes)
    assert msgpack.unpackb(frame) == {"type": "audio", "data": b"ab"}


FINAL = Final(
    seq=3,
    leg="caller",
    utterance_id="u-9",
    text="call me at [PHONE]",
    start=1.23456,
    end=2.5,
    language="en",
    words=(Word("call", 1.23456, 1.4, 0.98765),),
    redactions=(Redaction("phone", 11, 18),),
)
SERVER_MESSAGES: list[tuple[ServerMessage, dict[str, object]]] = [
    (
        Ready("s-1", "c-1", "pending", "base", ("en", "nl")),
        {
            "type": "ready",
            "session_id": "s-1",
            "call_id": "c-1",
            "consent": "pending",
            "model": "base",
            "languages": ["en", "nl"],
            "protocol": "transcribe.v1",
        },
    ),
    (ConsentState("active", 0.5004), {"type": "consent", "state": "active", "at": 0.5}),
    (
        Partial("agent", "u-1", "hello wor", 0.0, 0.9996, stable_chars=6),
        {
            "type": "partial",
            "leg": "agent",
            "utterance_id": "u-1",
            "text": "hello wor",
            "start": 0.0,
            "end": 1.0,
            "stable_chars": 6,
        },
    ),
    (
        FINAL,
        {
            "type": "final",
            "seq": 3,
            "leg": "caller",
            "utterance_id": "u-9",
            "text": "call me at [PHONE]",
            "start": 1.235,
            "end": 2.5,
            "language": "en",
            "words": [{"word": "call", "start": 1.235, "end": 1.4, "probability": 0.9877}],
            "redactions": [{"kind": "phone", "start": 11, "end": 18}],
        },
    ),
    (
        ErrorMessage("bad_audio", "odd byte count"),
        {"type": "error", "code": "bad_audio", "message": "odd byte count"},
    ),
    (
        Closed(4, {"agent": 12.00049, "caller": 12.0}),
        {"type": "closed", "finals": 4, "audio_seconds": {"agent": 12.0, "caller": 12.0}},
    ),
    (CallEnded("c-1", 4), {"type": "call_ended", "call_id": "c-1", "finals": 4}),
]


@pytest.mark.parametrize(("msg", "expected"), SERVER_MESSAGES)
def test_server_to_dict(msg: ServerMessage, expected: dict[str, object]) -> None:
    """Server messages serialise to the documented fields, times rounded to milliseconds."""
    assert server_to_dict(msg) == expected


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("msg", "expected"), SERVER_MESSAGES)
def test_server_round_trip(mode: Mode, msg: ServerMessage, expected: dict[str, object]) -> None:
    """encode_server produces text (JSON) or bytes (msgpack) that parse_server reads back."""
    frame = encode_server(msg, mode)
    assert isinstance(frame, str if mode is Mode.JSON else bytes)
    assert parse_server(frame, mode) == expected


def test_server_json_is_compact() -> None:
    """JSON frames carry no insignificant whitespace and keep non-ASCII text readable."""
    frame = encode_server(ErrorMessage("internal", "café"), Mode.JSON)
    assert frame == '{"type":"error","code":"internal","message":"café"}'


@pytest.mark.parametrize(
    ("frame", "mode"),
    [
        (b"{}", Mode.JSON),
        ("{}", Mode.MSGPACK),
        ('{"code": 1}', Mode.JSON),
        ("[1]", Mode.JSON),
        ("}", Mode.JSON),
    ],
)
def test_parse_server_rejects_garbage(frame: str | bytes, mode: Mode) -> None:
    """The client-side parser rejects wrong frame kinds and messages without a string type."""
    with pytest.raises(ProtocolError):
        parse_server(frame, mode)
