"""Property tests: the parsers accept or reject any input, but never fail in another way."""

from __future__ import annotations

import json

import msgpack
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.codec import Mode, encode_client, parse_binary, parse_text
from protocol.errors import ProtocolError
from protocol.messages import ClientMessage

MODES = st.sampled_from([Mode.JSON, Mode.MSGPACK])
FIELDS = [
    "call_id", "audio", "legs", "language", "purposes", "consent", "interim_results", "resume_from",
    "event", "announcement", "digit", "leg", "data", "encoding", "sample_rate", "channels",
]  # fmt: skip
GOOD_VALUES = st.sampled_from(
    ["mulaw", "alaw", "pcm_s16le", 8000, 16000, 1, 2, "caller", "auto", "en", "granted", "paused", "1", "#"]
)

scalars = st.none() | st.booleans() | st.floats() | st.text(max_size=8) | GOOD_VALUES
json_values = st.recursive(
    scalars | st.integers(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner),
    max_leaves=12,
)
msgpack_values = st.recursive(
    scalars | st.integers(-(2**63), 2**64 - 1) | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner),
    max_leaves=12,
)


VALID: list[dict[str, object]] = [
    {
        "type": "start",
        "call_id": "c",
        "audio": {"encoding": "mulaw", "sample_rate": 8000, "channels": 2},
        "legs": ["agent", "caller"],
        "language": "en",
        "purposes": ["qa"],
        "consent": "granted",
        "interim_results": False,
        "resume_from": 2,
    },
    {"type": "start", "call_id": "c", "audio": {"encoding": "alaw", "sample_rate": 16000, "channels": 1}},
    {"type": "consent", "event": "announced", "announcement": "v1"},
    {"type": "dtmf", "digit": "5", "leg": "caller"},
    {"type": "audio", "data": b"\x00\x01"},
    {"type": "stop"},
]
_DELETE = object()


def _mutate(base: dict[str, object], changes: dict[str, object], audio: dict[str, object]) -> dict[str, object]:
    """``base`` with some fields replaced or deleted, its audio format too."""
    out = {k: v for k, v in (base | changes).items() if v is not _DELETE}
    if isinstance(out.get("audio"), dict):
        merged = out["audio"] | audio  # type: ignore[operator]
        out["audio"] = {k: v for k, v in merged.items() if v is not _DELETE}
    return out


def messages(values: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    """Near misses of valid client messages: a few fields replaced by arbitrary values or deleted."""
    change = values | st.just(_DELETE)
    changes = st.dictionaries(st.sampled_from([*FIELDS, "type"]), change, max_size=2)
    audio = st.dictionaries(st.sampled_from(["encoding", "sample_rate", "channels"]), change, max_size=1)
    return st.builds(_mutate, st.sampled_from(VALID), changes, audio)


def check(parse: object, *args: object) -> ClientMessage | None:
    """Run a parser; return its message, or None when it raised a ProtocolError."""
    assert callable(parse)
    try:
        msg = parse(*args)
    except ProtocolError:
        return None
    assert isinstance(msg, ClientMessage)
    return msg


def assert_round_trips(msg: ClientMessage | None, mode: Mode) -> None:
    """An accepted message encodes to a frame that parses back to the same message."""
    if msg is None:
        return
    frame = encode_client(msg, mode)
    again = parse_text(frame, mode) if isinstance(frame, str) else parse_binary(frame, mode)
    assert again == msg


@given(data=st.binary(max_size=200), mode=MODES)
def test_any_bytes_parse_or_raise_protocol_error(data: bytes, mode: Mode) -> None:
    """Arbitrary binary frames give a message or a ProtocolError, nothing else."""
    check(parse_binary, data, mode)


@given(text=st.text(max_size=200), mode=MODES)
def test_any_text_parses_or_raises_protocol_error(text: str, mode: Mode) -> None:
    """Arbitrary text frames give a message or a ProtocolError, nothing else."""
    check(parse_text, text, mode)


@settings(max_examples=300)
@given(obj=messages(json_values) | json_values)
def test_json_shaped_messages(obj: object) -> None:
    """Any JSON value, including near-miss messages, parses (and round-trips) or raises ProtocolError."""
    msg = check(parse_text, json.dumps(obj, default=list), Mode.JSON)  # bytes -> list of ints
    assert_round_trips(msg, Mode.JSON)


@settings(max_examples=300)
@given(obj=messages(msgpack_values) | msgpack_values)
def test_msgpack_shaped_messages(obj: object) -> None:
    """Any msgpack value, including near-miss messages, parses (and round-trips) or raises ProtocolError."""
    msg = check(parse_binary, msgpack.packb(obj, use_bin_type=True), Mode.MSGPACK)
    assert_round_trips(msg, Mode.MSGPACK)
