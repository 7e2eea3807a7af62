"""Shared machinery of the telephony adapters (sans-I/O, like ``h11`` and ``websockets``).

Every adapter turns one media server's streaming protocol into the client messages of the
native protocol (``Start``, ``AudioChunk``, ``Dtmf``, ``Stop``), so the gateway drives a call
session the same way whatever the source. The network shell owns the socket and only pumps::

    adapter.receive_data(chunk)            # byte-stream protocols (AudioSocket over TCP)
    adapter.receive_text(text)             # WebSocket-framed protocols: one call per frame
    adapter.receive_binary(data)
    adapter.receive_eof()                  # the media server closed the connection
    for message in adapter.events_received(): session.process(message)
    for frame in adapter.data_to_send(): transport.send(frame)
    for frame in adapter.send_transcript(partial_or_final): transport.send(frame)

On a protocol violation a ``receive_*`` call raises the adapter's own ``ProtocolError``
subclass (documented in each module); events decoded before the bad input stay queued, any
protocol-native error frame is queued in ``data_to_send()``, and the shell then closes with
the error's ``close_code`` (WebSocket) or closes the TCP connection (AudioSocket). After that
the adapter refuses further input. Input after the stream has ended (``Stop`` emitted) is
ignored.

Call options that the media server cannot express in its own protocol come from a flat
string mapping (``params``: the upgrade URL's query, or per-port configuration), overridden
by whatever the protocol's own metadata carries (custom parameters, channel variables, the
first JSON frame). The recognised keys are listed in ``OPTION_KEYS``. ``caller`` (the calling
party's number, ``Start.caller``) is personal data: adapters map it from the media server's own
caller-number field where it has one, and never put it in an error message; a value without any
digit ("anonymous", "restricted": a withheld number) is no caller.

``consent`` is one of ``CONSENT_MODES``: ``pending`` (wait for a consent event, e.g. from the HTTP
consent API), ``granted`` (the operator guarantees consent) or ``announced`` (the media server played
the announcement before it started streaming: ``Start`` goes out pending and is followed at once by a
``ConsentEvent("announced")`` naming ``announcement``, so the opt-out window starts at the first
sample and the opt-out digit is honoured; the call turns active when the window ends).

Errors: every adapter's errors belong to one family, ``AdapterError`` (``bad_message``, 1008; 1007
for undecodable text), ``AdapterUnsupported`` (``unsupported``, 1003) and ``AdapterBadAudio``
(``bad_audio``, 1007); each adapter names its own subclasses so that a caller can tell the sources
apart, and the code and close code come from the family, declared once.
"""

from __future__ import annotations

import abc
import base64
import binascii
import json
from collections.abc import Mapping
from typing import ClassVar

from protocol.errors import BadAudio, BadMessage, ProtocolError, Unsupported
from protocol.messages import (
    AudioChunk,
    AudioFormat,
    ClientMessage,
    ConsentEvent,
    Final,
    Partial,
    ServerMessage,
    Start,
    Stop,
)
from protocol.vocab import ConsentEventKind, InitialConsent

__all__ = [
    "CONSENT_MODES",
    "OPTION_KEYS",
    "Adapter",
    "AdapterBadAudio",
    "AdapterError",
    "AdapterUnsupported",
    "StreamAdapter",
    "WebSocketAdapter",
    "split_audio",
]

#: Option keys read from ``params`` / protocol metadata to fill ``Start``.
OPTION_KEYS = (
    "call_id",
    "language",
    "purposes",
    "consent",
    "announcement",
    "legs",
    "interim_results",
    "resume_from",
    "caller",
)
#: What ``consent`` may say (see the module docstring); ``pending`` when nothing does.
CONSENT_MODES = ("pending", "announced", "granted")

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class AdapterError(BadMessage):
    """A media server broke its protocol: ``bad_message``, close 1008 (1007 for undecodable text)."""


class AdapterUnsupported(Unsupported, AdapterError):
    """Well-formed but not taken (a codec, rate or mix type): ``unsupported``, close 1003."""


class AdapterBadAudio(BadAudio, AdapterError):
    """Audio that is not a whole number of sample frames: ``bad_audio``, close 1007."""


class Adapter(abc.ABC):
    """Common state: the queues of decoded events and outbound frames, and the end states."""

    #: WebSocket subprotocols the media server offers (empty for TCP or none).
    SUBPROTOCOLS: ClassVar[tuple[str, ...]] = ()
    #: The adapter's error root (a ``ProtocolError`` subclass), set by each adapter.
    error: ClassVar[type[ProtocolError]]
    #: Close code and reason after an idle timeout, where the protocol has its own (None: the gateway's).
    IDLE_CLOSE: ClassVar[tuple[int, str] | None] = None

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        self._params: dict[str, str] = dict(params or {})
        self._events: list[ClientMessage] = []
        self._outgoing: list[str | bytes] = []
        self._start_msg: Start | None = None
        self._stopped = False
        self._failed = False
        self._announced: ConsentEvent | None = None

    @property
    def started(self) -> bool:
        """True once ``Start`` has been emitted."""
        return self._start_msg is not None

    @property
    def stopped(self) -> bool:
        """True once the stream has ended (``Stop`` emitted, or ended before it began)."""
        return self._stopped

    def events_received(self) -> list[ClientMessage]:
        """Return and clear the client messages decoded so far, in order."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[str | bytes]:
        """Return and clear protocol-level frames to write back (text frames as ``str``)."""
        frames, self._outgoing = self._outgoing, []
        return frames

    def send_transcript(self, message: Partial | Final) -> list[str | bytes]:
        """Frames that carry ``message`` back to the media server; ``[]`` where it has no way."""
        del message
        return []

    def request_transcription(self, call_id: str) -> list[str | bytes]:
        """Frames asking the media server to play the recording announcement (an agent asked for
        transcription); ``[]`` where its protocol has no way back (the gateway then calls a webhook)."""
        del call_id
        return []

    def server_frames(self, message: ServerMessage) -> list[str | bytes] | None:
        """Frames for any server message, for protocols that answer more than transcripts (the compatible
        APIs of ``protocol.compat``); None: the default mapping (``send_transcript``, error frames)."""
        del message
        return None

    def receive_eof(self) -> None:
        """The media server closed the connection: end the stream (flush, then ``Stop``)."""
        if not (self._stopped or self._failed):
            self._finish()

    # -- helpers for subclasses ---------------------------------------------------------------

    def _emit_start(self, start: Start) -> None:
        self._start_msg = start
        self._events.append(start)
        if self._announced is not None:  # consent "announced": the window starts at the first sample
            self._events.append(self._announced)

    def _finish(self) -> None:
        """End the stream: ``Stop`` if it started, nothing if it never did."""
        if self._start_msg is not None and not self._stopped:
            self._events.append(Stop())
        self._stopped = True

    def _fail(self, exc: ProtocolError) -> ProtocolError:
        """Mark the adapter failed, queue any native error frame, and return ``exc`` to raise."""
        self._failed = True
        self._outgoing.extend(self._error_frames(exc))
        return exc

    def _error_frames(self, exc: ProtocolError) -> list[str | bytes]:
        """Protocol-native frames announcing ``exc`` before the close (default: none)."""
        del exc
        return []

    def _check_open(self) -> bool:
        """Raise if the adapter failed; return False if input should be ignored (stream ended)."""
        if self._failed:
            raise self.error("input after a protocol error")
        return not self._stopped

    def _option(self, metadata: Mapping[str, object], key: str) -> object:
        """``metadata[key]`` if present, else ``params[key]``, else None."""
        if metadata.get(key) is not None:
            return metadata[key]
        return self._params.get(key)

    def _build_start(
        self, metadata: Mapping[str, object], *, call_id: str, audio: AudioFormat, legs: tuple[str, ...]
    ) -> Start:
        """``Start`` from protocol ``metadata`` over ``params``; ``call_id``/``legs`` are defaults.

        Values may be typed JSON or strings (``"a,b"`` lists, ``"true"`` booleans); an invalid
        value raises the adapter's error (re-raised from the ``Start`` validation).
        """
        err, get = self.error, self._option
        try:
            own_id = _text(get(metadata, "call_id"), "call_id", err)
            consent = self._consent_mode(metadata)
            return Start(
                call_id=own_id or call_id,
                audio=audio,
                legs=_text_list(get(metadata, "legs"), "legs", err) or legs,
                language=_text(get(metadata, "language"), "language", err) or "auto",
                purposes=_text_list(get(metadata, "purposes"), "purposes", err) or (),
                consent=InitialConsent.GRANTED if consent == "granted" else InitialConsent.PENDING,
                interim_results=_flag(get(metadata, "interim_results"), err),
                resume_from=_int_or_none(get(metadata, "resume_from"), "resume_from", err),
                caller=_caller(_text(get(metadata, "caller"), "caller", err)),
            )
        except ProtocolError as exc:
            if isinstance(exc, err):
                raise
            raise err(f"start options: {exc.message}") from exc

    def _consent_mode(self, metadata: Mapping[str, object]) -> str:
        """The call's consent mode; for ``announced`` the ``ConsentEvent`` to follow ``Start``."""
        err = self.error
        mode = (_text(self._option(metadata, "consent"), "consent", err) or "pending").lower()
        if mode not in CONSENT_MODES:
            raise err("consent: expected pending, announced or granted")
        if mode == "announced":
            announcement = _text(self._option(metadata, "announcement"), "announcement", err)
            try:
                self._announced = ConsentEvent(ConsentEventKind.ANNOUNCED, announcement)
            except ProtocolError as exc:
                raise err(f"announcement: {exc.message}") from exc
        return mode


class StreamAdapter(Adapter):
    """An adapter for a byte-stream protocol: frames may be split or merged across reads."""

    @abc.abstractmethod
    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the connection (any split); decoded events queue up."""


class WebSocketAdapter(Adapter):
    """An adapter for a WebSocket-framed protocol: one call per received message."""

    @abc.abstractmethod
    def receive_text(self, text: str) -> None:
        """Feed one TEXT message."""

    @abc.abstractmethod
    def receive_binary(self, data: bytes) -> None:
        """Feed one BINARY message."""


# -- option parsing -----------------------------------------------------------------------------


def _text(value: object, field: str, err: type[ProtocolError]) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise err(f"{field}: expected a string")
    return value.strip()


def _text_list(value: object, field: str, err: type[ProtocolError]) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise err(f"{field}: expected a list of strings or a comma-separated string")


def _caller(value: str | None) -> str | None:
    """The caller's number, or None for a withheld one ("anonymous", "restricted": no digit at all)."""
    return value if value is not None and any(ch.isdigit() for ch in value) else None


def _flag(value: object, err: type[ProtocolError]) -> bool:
    if value is None or value == "":
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise err("interim_results: expected a boolean")


def _int_or_none(value: object, field: str, err: type[ProtocolError]) -> int | None:
    if value is None or value == "":
        return None
    return parse_int(value, field, err)


# -- small parsing helpers ----------------------------------------------------------------------


def parse_int(value: object, field: str, err: type[ProtocolError]) -> int:
    """An integer given as a JSON number or a decimal string (Twilio/Telnyx send strings)."""
    if isinstance(value, bool):
        raise err(f"{field}: expected an integer")
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.lstrip("-").isdigit() and len(text) <= 19:
        return int(text)
    raise err(f"{field}: expected an integer")


def parse_json_object(text: str, err: type[ProtocolError]) -> dict[str, object]:
    """Decode a JSON object (invalid JSON closes with 1007, a non-object with 1008)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise err("invalid JSON", close_code=1007) from None
    if not isinstance(value, dict):
        raise err("expected a JSON object")
    return value


def get_object(obj: Mapping[str, object], key: str, err: type[ProtocolError]) -> dict[str, object]:
    """``obj[key]`` as a JSON object, or the adapter's error."""
    value = obj.get(key)
    if not isinstance(value, dict):
        raise err(f"{key}: expected an object")
    return value


def get_text(obj: Mapping[str, object], key: str, err: type[ProtocolError]) -> str:
    """``obj[key]`` as a string, or the adapter's error."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise err(f"{key}: expected a string")
    return value


def decode_base64(text: object, field: str, err: type[ProtocolError]) -> bytes:
    """Strict base64 (standard alphabet, padding required), or the adapter's error."""
    if not isinstance(text, str):
        raise err(f"{field}: expected a base64 string")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise err(f"{field}: invalid base64", close_code=1007) from None


def split_audio(data: bytes, audio: AudioFormat) -> list[AudioChunk]:
    """Cut whole-sample ``data`` into ``AudioChunk``s of at most one second each."""
    limit = audio.sample_rate * audio.frame_bytes
    return [AudioChunk(data=data[i : i + limit]) for i in range(0, len(data), limit)]
