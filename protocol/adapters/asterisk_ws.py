"""Asterisk ``chan_websocket`` (ARI external media over WebSocket) -> native client messages.

Facts relied on (docs.asterisk.org Configuration/Channel-Drivers/WebSocket; Asterisk
``channels/chan_websocket.c``):

* WebSocket subprotocol ``media``. Media travels in BINARY messages, raw in the channel's
  codec (``c(ulaw)``, ``c(slin16)`` ...), no headers; 160 bytes every 20 ms for ulaw.
  Control notifications are TEXT messages, either plain text (default) or JSON (dial option
  ``f(json)`` or the global ``control_message_format``).
* ``MEDIA_START`` is the first notification. Plain text:
  ``MEDIA_START connection_id:<id> channel:<name> channel_id:<uniqueid> format:ulaw
  optimal_frame_size:160 ptime:20``. JSON: ``{"event": "MEDIA_START", "connection_id",
  "channel", "channel_id", "format", "optimal_frame_size", "ptime", "channel_variables": {}}``.
* ``DTMF_END digit:5 channel_id:<id>`` / ``{"event": "DTMF_END", "channel_id", "digit"}``.
* ``MEDIA_XOFF`` / ``MEDIA_XON`` tell the app to pause/resume the media IT sends; we never
  send media, so they only flip ``media_flow_paused`` and need no reply. ``STATUS``,
  ``MEDIA_BUFFERING_COMPLETED``, ``MEDIA_MARK_PROCESSED``, ``QUEUE_DRAINED`` and ``ERROR``
  answer commands we never send; they and any upper-case notification added later are
  ignored (text that does not start with an upper-case event name is an error).
* Hangup closes the WebSocket: the shell calls ``receive_eof()`` -> ``Stop``.
* TEXT messages the app sends are commands (``ANSWER``, ``HANGUP``, ...); an unknown command
  is only logged by Asterisk, so there is no way to return transcripts:
  ``send_transcript`` returns ``[]``.

Formats: ``ulaw`` -> mulaw 8 kHz, ``alaw`` -> alaw 8 kHz, ``slin``/``slin16``/``slin24``/
``slin48`` -> pcm_s16le at 8/16/24/48 kHz (Asterisk's signed linear is host order, little-endian
on x86-64 and arm64). Other formats (``slin12``, ``slin32``, ``slin44``, ``slin96``,
``slin192``, ``g722``, ``opus`` ...) raise ``AsteriskWsUnsupported`` (1003).

Start fields: ``call_id`` = channel variable ``CALLSCRIBE_CALL_ID``, else ``params["call_id"]``,
else ``channel_id``. Never ``connection_id``: in client mode that is the static ``websocket_client``
section name (``chan_websocket.c:1364-1402``), the same for every call, so a ``MEDIA_START`` without
``channel_id`` (20.16.x, all 21.x, 22.6.x, 23.0.x; ``channel_id`` came in 20.17.0/22.7.0/23.1.0) and
without a ``call_id`` option is refused (``AsteriskWsError``, 1008, ``NO_CALL_ID``): set
``v(call_id=${UNIQUEID})`` in the dial string (``res_websocket_client.c:378-389`` appends it to the
URI query). ``language``, ``purposes``, ``consent``, ``legs``,
``interim_results``, ``resume_from`` come from channel variables ``CALLSCRIBE_<KEY>`` (JSON form
only: set them with a leading ``_`` so the WebSocket channel inherits them) or from ``params``
(the query string: dial option ``v(language=nl,consent=granted)``). One channel, leg
``caller`` unless ``legs`` says otherwise. ``caller`` (the data subject's number) likewise:
``__CALLSCRIBE_CALLER=${CALLERID(num)}``, or ``v(caller=...)`` (the variable is better: a URL may
end up in a proxy's access log).

Errors raise ``AsteriskWsError`` (1008; 1007 for invalid JSON), ``AsteriskWsUnsupported``
(1003) or ``AsteriskWsBadAudio`` (1007): media before ``MEDIA_START``, a second
``MEDIA_START``, a missing ``format``, a JSON notification without ``event``, a DTMF without a
valid digit, odd-length slin media. The gateway closes the WebSocket with that code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from protocol.adapters.base import (
    AdapterBadAudio,
    AdapterError,
    AdapterUnsupported,
    WebSocketAdapter,
    parse_json_object,
    split_audio,
)
from protocol.errors import ProtocolError
from protocol.messages import DTMF_DIGITS, AudioFormat, Dtmf, Encoding

__all__ = [
    "FORMATS",
    "AsteriskWsAdapter",
    "AsteriskWsBadAudio",
    "AsteriskWsError",
    "AsteriskWsUnsupported",
]

#: Asterisk format name -> (encoding, sample rate).
FORMATS: dict[str, tuple[Encoding, int]] = {
    "ulaw": ("mulaw", 8000),
    "alaw": ("alaw", 8000),
    "slin": ("pcm_s16le", 8000),
    "slin16": ("pcm_s16le", 16000),
    "slin24": ("pcm_s16le", 24000),
    "slin48": ("pcm_s16le", 48000),
}
VARIABLE_PREFIX = "CALLSCRIBE_"
NO_CALL_ID = (
    "MEDIA_START without channel_id (Asterisk 20.16, 21.x, 22.6, 23.0): give each call its own id, "
    "dial option v(call_id=${UNIQUEID})"
)
"""The refusal of a call whose id would be the static connection_id (every call would share it)."""
_IGNORED = frozenset({"STATUS", "MEDIA_BUFFERING_COMPLETED", "MEDIA_MARK_PROCESSED", "QUEUE_DRAINED", "ERROR"})


class AsteriskWsError(AdapterError):
    """chan_websocket peer broke the protocol; close 1008 (1007 for undecodable text)."""


class AsteriskWsUnsupported(AdapterUnsupported, AsteriskWsError):
    """The channel's format is not one we take; close 1003."""


class AsteriskWsBadAudio(AdapterBadAudio, AsteriskWsError):
    """slin media that is not a whole number of 16-bit samples; close 1007."""


class AsteriskWsAdapter(WebSocketAdapter):
    """Decode a chan_websocket media connection (see the module docstring)."""

    SUBPROTOCOLS: ClassVar[tuple[str, ...]] = ("media",)
    error: ClassVar[type[ProtocolError]] = AsteriskWsError

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        super().__init__(params)
        self._audio: AudioFormat | None = None
        self.media_flow_paused = False
        """True between ``MEDIA_XOFF`` and ``MEDIA_XON`` (only matters to apps that send media)."""

    def receive_text(self, text: str) -> None:
        """Feed one TEXT notification (plain-text or JSON form)."""
        if not self._check_open():
            return
        try:
            event, fields = _parse_notification(text)
            self._on_notification(event, fields)
        except AsteriskWsError as exc:
            raise self._fail(exc) from None

    def receive_binary(self, data: bytes) -> None:
        """Feed one BINARY media message."""
        if not self._check_open():
            return
        if self._audio is None:
            raise self._fail(AsteriskWsError("media before MEDIA_START"))
        if len(data) % self._audio.frame_bytes:
            raise self._fail(AsteriskWsBadAudio("media is not a whole number of samples"))
        if data:
            self._events.extend(split_audio(data, self._audio))

    def _on_notification(self, event: str, fields: Mapping[str, object]) -> None:
        if event == "MEDIA_START":
            self._on_media_start(fields)
        elif event == "DTMF_END":
            self._on_dtmf(fields)
        elif event in ("MEDIA_XOFF", "MEDIA_XON"):
            self.media_flow_paused = event == "MEDIA_XOFF"
        elif event in _IGNORED or event.isupper():
            return
        else:
            raise AsteriskWsError("not a chan_websocket notification")

    def _on_media_start(self, fields: Mapping[str, object]) -> None:
        if self._audio is not None:
            raise AsteriskWsError("second MEDIA_START")
        name = fields.get("format")
        if not isinstance(name, str) or not name:
            raise AsteriskWsError("MEDIA_START without a format")
        if name not in FORMATS:
            raise AsteriskWsUnsupported("unsupported media format (use ulaw, alaw, slin, slin16/24/48)")
        encoding, rate = FORMATS[name]
        audio = AudioFormat(encoding=encoding, sample_rate=rate, channels=1)
        options = _channel_options(fields.get("channel_variables"))
        call_id = _first_text(fields, "channel_id")
        if call_id is None and not self._option(options, "call_id"):
            raise AsteriskWsError(NO_CALL_ID)
        self._emit_start(self._build_start(options, call_id=call_id or "", audio=audio, legs=("caller",)))
        self._audio = audio

    def _on_dtmf(self, fields: Mapping[str, object]) -> None:
        digit = fields.get("digit")
        if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
            raise AsteriskWsError("DTMF_END without a valid digit")
        if self._start_msg is None:
            raise AsteriskWsError("DTMF_END before MEDIA_START")
        self._events.append(Dtmf(digit=digit.upper(), leg=self._start_msg.legs[0]))


def _parse_notification(text: str) -> tuple[str, dict[str, object]]:
    """Split a notification into its event name and fields (plain-text or JSON form)."""
    stripped = text.strip()
    if stripped.startswith("{"):
        obj = parse_json_object(stripped, AsteriskWsError)
        event = obj.get("event")
        if not isinstance(event, str) or not event:
            raise AsteriskWsError("JSON notification without an event")
        return event, obj
    tokens = stripped.split()
    if not tokens:
        raise AsteriskWsError("empty notification")
    fields: dict[str, object] = {}
    for token in tokens[1:]:
        key, sep, value = token.partition(":")
        if sep and key:
            fields.setdefault(key, value)
    return tokens[0], fields


def _first_text(fields: Mapping[str, object], *keys: str) -> str | None:
    for key in keys:
        value = fields.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _channel_options(variables: object) -> dict[str, object]:
    """``CALLSCRIBE_<KEY>`` channel variables (leading ``_`` stripped) as option keys."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise AsteriskWsError("channel_variables: expected an object")
    options: dict[str, object] = {}
    for name, value in variables.items():
        bare = str(name).lstrip("_").upper()
        if bare.startswith(VARIABLE_PREFIX):
            options[bare[len(VARIABLE_PREFIX) :].lower()] = value
    return options
