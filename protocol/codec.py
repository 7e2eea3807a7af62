"""Frames <-> typed messages for both subprotocols of ``transcribe.v1`` (sans-I/O).

Theory of operation: a WebSocket frame is either text or binary; the negotiated ``Mode`` says
how to read it.

* ``Mode.JSON`` (``transcribe.v1``): text frames hold one JSON object, binary frames are raw
  audio (``AudioChunk``).
* ``Mode.MSGPACK`` (``transcribe.v1.msgpack``): every frame is binary and holds one msgpack map;
  audio is ``{"type": "audio", "data": <bin>}``. A text frame is a ``BadMessage``.

Decoding fails closed: a payload that is not JSON/msgpack raises ``BadMessage`` with close
code 1007; a well-formed payload of the wrong shape (not an object, unknown ``type``, missing
or wrong-typed field) raises ``BadMessage`` (1008), an unsupported audio format
``Unsupported`` (1003). Unknown fields are ignored. Nothing else escapes the parsers.

The parsers are stateless; ordering rules (``start`` first) belong to the session.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import cast

import msgpack

from protocol._checks import client_bool, client_choice, client_int, client_text, type_name
from protocol.errors import BadMessage
from protocol.messages import (
    CONSENT_EVENTS,
    MAX_CALLER_LEN,
    MAX_ID_LEN,
    MAX_NAME_LEN,
    START_CONSENTS,
    AudioChunk,
    AudioFormat,
    ClientMessage,
    ConsentEvent,
    ConsentEventKind,
    Dtmf,
    Encoding,
    Finalize,
    KeepAlive,
    RedactionPolicy,
    ServerMessage,
    SpecialPolicy,
    Start,
    StartConsent,
    Stop,
    default_legs,
)
from protocol.serialize import client_to_dict, server_to_dict

__all__ = [
    "SUBPROTOCOLS",
    "Mode",
    "client_to_dict",
    "encode_client",
    "encode_server",
    "parse_binary",
    "parse_server",
    "parse_text",
    "server_to_dict",
]


class Mode(enum.Enum):
    """The negotiated WebSocket subprotocol."""

    JSON = "transcribe.v1"
    MSGPACK = "transcribe.v1.msgpack"


SUBPROTOCOLS: tuple[str, ...] = (Mode.JSON.value, Mode.MSGPACK.value)

_MISSING = object()  # no default: the field is required
_ABSENT = object()  # default marker for "the peer left this field out"
_Fields = dict[object, object]


# --------------------------------------------------------------------------- client -> gateway


def parse_text(text: str, mode: Mode) -> ClientMessage:
    """Parse a text frame from the client; raises ProtocolError on anything invalid."""
    if mode is Mode.MSGPACK:
        raise BadMessage("text frames are not allowed in transcribe.v1.msgpack, send binary msgpack")
    return _message_from_object(_load_json(text), audio_allowed=False)


def parse_binary(data: bytes | bytearray | memoryview, mode: Mode) -> ClientMessage:
    """Parse a binary frame from the client; raises ProtocolError on anything invalid.

    In JSON mode a binary frame is audio; its length is checked later by ``protocol.audio``.
    """
    if mode is Mode.JSON:
        return AudioChunk(bytes(data))
    return _message_from_object(_load_msgpack(data), audio_allowed=True)


def _load_json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise BadMessage("frame is not valid JSON", close_code=1007) from None


def _load_msgpack(data: bytes | bytearray | memoryview) -> object:
    try:
        return msgpack.unpackb(bytes(data), raw=False)
    except (ValueError, TypeError, RecursionError, OverflowError, msgpack.UnpackException):
        raise BadMessage("frame is not valid msgpack", close_code=1007) from None


def _message_from_object(obj: object, *, audio_allowed: bool) -> ClientMessage:
    if not isinstance(obj, dict):
        raise BadMessage(f"a message must be an object/map, got {type_name(obj)}")
    kind = client_text(_field(obj, "message", "type"), "message.type", max_len=MAX_NAME_LEN)
    if kind == "audio" and not audio_allowed:
        raise BadMessage("in transcribe.v1 audio travels in binary frames, not as a JSON message")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise BadMessage("message.type: unknown message type")
    return parser(obj)


def _field(obj: _Fields, owner: str, name: str, default: object = _MISSING) -> object:
    """The value of ``name`` in ``obj``; a missing field without default is a BadMessage."""
    if name in obj:
        return obj[name]
    if default is _MISSING:
        raise BadMessage(f"{owner}.{name}: missing required field")
    return default


def _list(value: object, field: str) -> tuple[object, ...]:
    if not isinstance(value, list):
        raise BadMessage(f"{field}: expected a list, got {type_name(value)}")
    return tuple(value)


def _optional_text(obj: _Fields, owner: str, name: str, max_len: int) -> str | None:
    value = _field(obj, owner, name, None)
    return None if value is None else client_text(value, f"{owner}.{name}", max_len=max_len)


def _audio_format(value: object) -> AudioFormat:
    if not isinstance(value, dict):
        raise BadMessage(f"start.audio: expected an object, got {type_name(value)}")
    owner = "start.audio"
    encoding = client_text(_field(value, owner, "encoding"), f"{owner}.encoding", max_len=MAX_NAME_LEN)
    return AudioFormat(
        encoding=cast(Encoding, encoding),
        sample_rate=client_int(_field(value, owner, "sample_rate"), f"{owner}.sample_rate"),
        channels=client_int(_field(value, owner, "channels"), f"{owner}.channels"),
    )


def _legs(obj: _Fields, channels: int) -> tuple[str, ...]:
    legs = _field(obj, "start", "legs", _ABSENT)
    if legs is _ABSENT:
        return default_legs(channels)
    return cast(tuple[str, ...], _list(legs, "start.legs"))  # items are checked by Start


def _start(obj: _Fields) -> Start:
    audio = _audio_format(_field(obj, "start", "audio"))
    resume_from = _field(obj, "start", "resume_from", None)
    endpoint_ms = _field(obj, "start", "endpoint_ms", None)
    consent = client_choice(_field(obj, "start", "consent", "pending"), "start.consent", START_CONSENTS)
    return Start(
        call_id=client_text(_field(obj, "start", "call_id"), "start.call_id", max_len=MAX_ID_LEN),
        audio=audio,
        legs=_legs(obj, audio.channels),
        language=client_text(_field(obj, "start", "language", "auto"), "start.language", max_len=32),
        purposes=cast(tuple[str, ...], _list(_field(obj, "start", "purposes", []), "start.purposes")),
        consent=cast(StartConsent, consent),
        interim_results=client_bool(_field(obj, "start", "interim_results", True), "start.interim_results"),
        resume_from=None if resume_from is None else client_int(resume_from, "start.resume_from"),
        redaction=cast(RedactionPolicy | None, _optional_text(obj, "start", "redaction", 32)),
        special_categories=cast(SpecialPolicy | None, _optional_text(obj, "start", "special_categories", 32)),
        caller=_optional_text(obj, "start", "caller", MAX_CALLER_LEN),
        endpoint_ms=None if endpoint_ms is None else client_int(endpoint_ms, "start.endpoint_ms"),
        vad_events=client_bool(_field(obj, "start", "vad_events", False), "start.vad_events"),
    )


def _audio(obj: _Fields) -> AudioChunk:
    data = _field(obj, "audio", "data")
    if not isinstance(data, bytes):
        raise BadMessage(f"audio.data: expected binary, got {type_name(data)}")
    return AudioChunk(data)


def _consent(obj: _Fields) -> ConsentEvent:
    event = client_choice(_field(obj, "consent", "event"), "consent.event", CONSENT_EVENTS)
    announcement = _optional_text(obj, "consent", "announcement", MAX_ID_LEN)
    return ConsentEvent(event=cast(ConsentEventKind, event), announcement=announcement)


def _dtmf(obj: _Fields) -> Dtmf:
    digit = client_text(_field(obj, "dtmf", "digit"), "dtmf.digit", max_len=1)
    return Dtmf(digit=digit, leg=_optional_text(obj, "dtmf", "leg", MAX_NAME_LEN))


_PARSERS: dict[str, Callable[[_Fields], ClientMessage]] = {
    "start": _start,
    "audio": _audio,
    "consent": _consent,
    "dtmf": _dtmf,
    "finalize": lambda _: Finalize(),
    "keepalive": lambda _: KeepAlive(),
    "stop": lambda _: Stop(),
}


# --------------------------------------------------------------------------- gateway -> client


def encode_server(msg: ServerMessage, mode: Mode) -> str | bytes:
    """Encode a server message: compact JSON text in JSON mode, msgpack bytes otherwise."""
    return _encode(server_to_dict(msg), mode)


def encode_client(msg: ClientMessage, mode: Mode) -> str | bytes:
    """Encode a client message (tests, CLI client). JSON mode sends audio as raw bytes."""
    if mode is Mode.JSON and isinstance(msg, AudioChunk):
        return msg.data
    return _encode(client_to_dict(msg), mode)


def _encode(obj: dict[str, object], mode: Mode) -> str | bytes:
    if mode is Mode.JSON:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return msgpack.packb(obj, use_bin_type=True)


def parse_server(frame: str | bytes, mode: Mode) -> dict[str, object]:
    """Decode a frame sent by the gateway into a plain dict with a string ``type`` (client side)."""
    if mode is Mode.JSON:
        if not isinstance(frame, str):
            raise BadMessage("transcribe.v1 servers send text frames only")
        obj = _load_json(frame)
    else:
        if not isinstance(frame, bytes):
            raise BadMessage("transcribe.v1.msgpack servers send binary frames only")
        obj = _load_msgpack(frame)
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise BadMessage("a server message must be an object with a string type")
    return cast(dict[str, object], obj)
