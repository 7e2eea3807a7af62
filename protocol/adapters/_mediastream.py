"""Shared core of the Twilio and Telnyx media-stream adapters (JSON text frames only).

Both send ``connected``, then ``start`` (call ids, media format, custom parameters), then
``media`` events (``track``, ``chunk``, ``timestamp``, base64 ``payload``), ``dtmf``,
``mark`` and finally ``stop``; numbers are strings. The subclasses supply the dialect (field
names, encodings, where the track list comes from) and whether events need reordering.

With one track the payloads pass straight through as mono ``AudioChunk``s. With both tracks
they are interleaved by ``TrackMixer`` into 2 channels (inbound first, then outbound),
aligned by ``media.timestamp``; ``stop`` flushes the mixer before ``Stop``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from protocol.adapters._tracks import TrackMixer
from protocol.adapters.base import (
    WebSocketAdapter,
    decode_base64,
    get_object,
    get_text,
    parse_int,
    parse_json_object,
    split_audio,
)
from protocol.messages import DTMF_DIGITS, AudioFormat, Dtmf, Encoding

__all__ = ["MediaFormat", "MediaStreamAdapter"]

_SILENCE = {"mulaw": b"\xff", "alaw": b"\xd5", "pcm_s16le": b"\x00\x00"}
#: Default leg name per track.
TRACK_LEGS = {"inbound": "caller", "outbound": "agent"}


@dataclass(frozen=True, slots=True)
class MediaFormat:
    """A per-track media format: our encoding and rate, and whether L16 must be byte-swapped."""

    encoding: Encoding
    sample_rate: int
    big_endian: bool = False


class MediaStreamAdapter(WebSocketAdapter):
    """Common state machine of the JSON media-stream protocols."""

    #: Keys of the ``start`` object: media format, custom parameters, call id.
    FORMAT_KEY: ClassVar[str]
    PARAMS_KEY: ClassVar[str]
    CALL_ID_KEY: ClassVar[str]

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        super().__init__(params)
        self._format: MediaFormat | None = None
        self._audio: AudioFormat | None = None
        self._track_legs: dict[str, str] = {}
        self._mixer: TrackMixer | None = None
        self.custom_parameters: dict[str, str] = {}
        """The stream's custom parameters from ``start``."""

    def receive_text(self, text: str) -> None:
        """Feed one TEXT message (a JSON event)."""
        if not self._check_open():
            return
        try:
            self._on_message(parse_json_object(text, self.error))
        except self.error as exc:
            raise self._fail(exc) from None

    def receive_binary(self, data: bytes) -> None:
        """The media streams never send BINARY messages."""
        if not self._check_open():
            return
        raise self._fail(self.error("unexpected binary message"))

    def receive_eof(self) -> None:
        """The WebSocket closed without ``stop``: flush and end the stream."""
        if not (self._stopped or self._failed):
            self._on_stop()

    # -- dialect hooks ------------------------------------------------------------------------

    @abc.abstractmethod
    def _media_format(self, fmt: Mapping[str, object]) -> MediaFormat:
        """Our media format for the ``start`` media format object, or the adapter's error."""

    @abc.abstractmethod
    def _tracks(self, start: Mapping[str, object]) -> tuple[str, ...]:
        """The streamed tracks, ``("inbound",)``, ``("outbound",)`` or both, in that order."""

    def _caller(self, start: Mapping[str, object]) -> str | None:
        """The calling party's number from the ``start`` object itself, if the dialect has one."""
        del start
        return None

    def _on_message(self, msg: Mapping[str, object]) -> None:
        """Dispatch one decoded event (subclasses may reorder first)."""
        self._dispatch(msg)

    # -- events -------------------------------------------------------------------------------

    def _dispatch(self, msg: Mapping[str, object]) -> None:
        event = get_text(msg, "event", self.error)
        if event == "start":
            self._on_start(get_object(msg, "start", self.error))
        elif event == "media":
            self._on_media(get_object(msg, "media", self.error))
        elif event == "dtmf":
            self._on_dtmf(get_object(msg, "dtmf", self.error))
        elif event == "stop":
            self._on_stop()
        # connected, mark, error (about media we never send) and later additions: ignored

    def _on_start(self, start: Mapping[str, object]) -> None:
        if self._start_msg is not None:
            raise self.error("second start event")
        fmt = self._media_format(get_object(start, self.FORMAT_KEY, self.error))
        tracks = self._tracks(start)
        audio = AudioFormat(encoding=fmt.encoding, sample_rate=fmt.sample_rate, channels=len(tracks))
        self.custom_parameters = _custom_parameters(start.get(self.PARAMS_KEY), self.error)
        call_id = start.get(self.CALL_ID_KEY)
        if not isinstance(call_id, str) or not call_id:
            raise self.error(f"start.{self.CALL_ID_KEY}: expected a string")
        legs = tuple(TRACK_LEGS[t] for t in tracks)
        options: dict[str, object] = dict(self.custom_parameters)
        if not options.get("caller") and (caller := self._caller(start)):
            options["caller"] = caller  # a custom parameter ``caller`` wins
        self._emit_start(self._build_start(options, call_id=call_id, audio=audio, legs=legs))
        assert self._start_msg is not None
        self._track_legs = dict(zip(tracks, self._start_msg.legs, strict=True))
        self._format, self._audio = fmt, audio
        if len(tracks) == 2:
            silence = _SILENCE[fmt.encoding]
            self._mixer = TrackMixer(("inbound", "outbound"), sample_rate=fmt.sample_rate, silence=silence)

    def _on_media(self, media: Mapping[str, object]) -> None:
        if self._format is None or self._audio is None:
            raise self.error("media before start")
        track = media.get("track", "inbound")
        if not isinstance(track, str) or track not in self._track_legs:  # a list or object is not hashable
            raise self.error("media for a track that is not streamed")
        data = decode_base64(media.get("payload"), "media.payload", self.error)
        if self._format.big_endian:
            if len(data) % 2:
                raise self.error("L16 payload is not a whole number of samples", close_code=1007)
            data = _swap16(data)
        if self._mixer is None:
            self._events.extend(split_audio(data, self._audio))
            return
        stamp = media.get("timestamp")
        timestamp = None if stamp is None else parse_int(stamp, "media.timestamp", self.error)
        self._emit_audio(self._mixer.push(str(track), timestamp, data))

    def _on_dtmf(self, dtmf: Mapping[str, object]) -> None:
        if self._start_msg is None:
            raise self.error("dtmf before start")
        digit = dtmf.get("digit")
        if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
            raise self.error("dtmf.digit: expected one of 0-9, *, #, A-D")
        raw_track = dtmf.get("track", "inbound")
        track = raw_track.removesuffix("_track") if isinstance(raw_track, str) else ""
        self._events.append(Dtmf(digit=digit.upper(), leg=self._track_legs.get(track)))

    def _on_stop(self) -> None:
        if self._mixer is not None:
            self._emit_audio(self._mixer.flush())
        self._finish()

    def _emit_audio(self, data: bytes) -> None:
        if data and self._audio is not None:
            self._events.extend(split_audio(data, self._audio))


def _swap16(data: bytes) -> bytes:
    """Big-endian 16-bit samples -> little-endian."""
    swapped = bytearray(len(data))
    swapped[0::2] = data[1::2]
    swapped[1::2] = data[0::2]
    return bytes(swapped)


def _custom_parameters(value: object, err: type[Exception]) -> dict[str, str]:
    """Custom parameters as an object of strings or a list of ``{"name", "value"}`` pairs."""
    if value is None:
        return {}
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list) and all(isinstance(p, dict) for p in value):
        pairs = [(p.get("name"), p.get("value")) for p in value]
    else:
        raise err("custom parameters: expected an object")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in pairs):
        raise err("custom parameters: names and values must be strings")
    return dict(pairs)
