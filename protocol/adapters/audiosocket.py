"""Asterisk AudioSocket (TCP) -> native client messages.

Wire format (docs.asterisk.org, Configuration/Channel-Drivers/AudioSocket; ``res_audiosocket``):
every message is ``kind (u8) | length (u16, big-endian) | payload (length bytes)``.

=======  ===========================================  =====================================
kind     payload                                      becomes
=======  ===========================================  =====================================
0x00     none: terminate ("hangup")                   ``Stop``
0x01     16-byte binary UUID of the stream, first     ``Start.call_id`` (canonical UUID text)
0x03     1 ASCII DTMF digit                           ``Dtmf(digit, leg)``
0x10     signed linear 16-bit LE mono, 8 kHz          ``AudioChunk`` (pcm_s16le, 8000 Hz)
0x11     ... 12 kHz                                   ``AudioSocketUnsupported``
0x12     ... 16 kHz                                   ``AudioChunk`` (16000 Hz)
0x13     ... 24 kHz                                   ``AudioChunk`` (24000 Hz)
0x14     ... 32 kHz                                   ``AudioSocketUnsupported``
0x15     ... 44.1 kHz                                 ``AudioSocketUnsupported``
0x16     ... 48 kHz                                   ``AudioChunk`` (48000 Hz)
0x17     ... 96 kHz                                   ``AudioSocketUnsupported``
0x18     ... 192 kHz                                  ``AudioSocketUnsupported``
0xff     optional error code (Asterisk: 0x01 hangup   ``Stop`` (the peer gave up, not us);
         of calling party, 0x02 frame forwarding,     the code is kept in ``peer_error``
         0x04 memory)
=======  ===========================================  =====================================

We do not resample, so the rates outside ``{8, 16, 24, 48} kHz`` are refused. Asterisk labels
every frame that is not slin12+ 0x10 whatever the codec (``res_audiosocket.c:251-253``: mu-law and
A-law from ``Dial(AudioSocket/.../c(ulaw))``), and before 20.17.0/21.12.0/22.7.0/23.1.0 slin16/24/48
too. The kind alone cannot tell those apart, so a port serving such channels is configured with its
format, ``audio_format`` (``ulaw``, ``alaw``, ``slin``, ``slin16``, ``slin24``, ``slin48``, the
Asterisk names): 0x10 frames are then taken in that format, and ``Start`` follows the UUID.
``sample_rate`` (older spelling) fixes slin at that rate. Without either, 0x10 is slin at 8 kHz (the
``AudioSocket()`` application always sends that).

Theory of operation. Bytes accumulate in a buffer; every complete frame is decoded in order,
so partial reads, several frames per read and frames split across reads all work. States::

    AWAIT_UUID --0x01--> AWAIT_AUDIO --first audio--> STREAMING --0x00/0xff/EOF--> ENDED

``Start`` needs the sample rate, which AudioSocket only reveals with the first audio frame:
with ``sample_rate=None`` (default) ``Start`` is emitted just before the first audio, and
digits received before it are held and emitted right after it; with ``sample_rate`` set,
``Start`` is emitted on the UUID and audio of any other rate is refused. A stream that ends
before its first audio emits nothing (there was no session). Call options (language,
purposes, consent, legs, call_id) come from ``params`` (per-port configuration), as the
protocol carries none; the default leg is ``caller``.

Errors: any violation (audio or DTMF before the UUID, a second UUID, a wrong payload length,
an odd-length audio payload, an unknown kind, a truncated frame at EOF) raises
``AudioSocketError`` or a subclass. Reaction: the terminate frame ``00 00 00`` is queued in
``data_to_send()`` and the gateway then closes the TCP connection (there are no close codes).
Transcripts cannot be sent back: ``send_transcript`` returns ``[]``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from typing import ClassVar

from protocol.adapters.asterisk_ws import FORMATS
from protocol.adapters.base import AdapterBadAudio, AdapterError, AdapterUnsupported, StreamAdapter, split_audio
from protocol.errors import ProtocolError
from protocol.messages import DTMF_DIGITS, AudioFormat, Dtmf, Start

__all__ = [
    "KIND_AUDIO_RATES",
    "AudioSocketAdapter",
    "AudioSocketBadAudio",
    "AudioSocketError",
    "AudioSocketUnsupported",
]

KIND_HANGUP = 0x00
KIND_UUID = 0x01
KIND_DTMF = 0x03
KIND_ERROR = 0xFF
#: Audio kinds and their sample rates (signed linear 16-bit little-endian mono).
KIND_AUDIO_RATES: dict[int, int] = {
    0x10: 8000,
    0x11: 12000,
    0x12: 16000,
    0x13: 24000,
    0x14: 32000,
    0x15: 44100,
    0x16: 48000,
    0x17: 96000,
    0x18: 192000,
}
_SUPPORTED_RATES = frozenset({8000, 16000, 24000, 48000})
_HEADER = 3
MAX_HELD_DIGITS = 32
"""DTMF frames held before the first audio frame; one more is an `AudioSocketError` (bounded memory)."""
_TERMINATE = b"\x00\x00\x00"


class AudioSocketError(AdapterError):
    """The AudioSocket peer broke the protocol; the gateway closes the TCP connection."""


class AudioSocketUnsupported(AdapterUnsupported, AudioSocketError):
    """Audio at a sample rate we do not take (12, 32, 44.1, 96 or 192 kHz) or a rate change."""


class AudioSocketBadAudio(AdapterBadAudio, AudioSocketError):
    """An audio payload that is not a whole number of 16-bit samples."""


class _State(enum.Enum):
    AWAIT_UUID = enum.auto()
    AWAIT_AUDIO = enum.auto()
    STREAMING = enum.auto()


class AudioSocketAdapter(StreamAdapter):
    """Decode an AudioSocket byte stream (see the module docstring)."""

    error: ClassVar[type[ProtocolError]] = AudioSocketError

    def __init__(
        self,
        params: Mapping[str, str] | None = None,
        *,
        sample_rate: int | None = None,
        audio_format: str | None = None,
    ) -> None:
        super().__init__(params)
        if sample_rate is not None and sample_rate not in _SUPPORTED_RATES:
            raise ValueError(f"sample_rate must be one of {sorted(_SUPPORTED_RATES)}")
        if audio_format is not None and audio_format not in FORMATS:
            raise ValueError(f"audio_format must be one of {', '.join(FORMATS)}")
        self._fixed: AudioFormat | None = None
        if audio_format is not None:
            encoding, rate = FORMATS[audio_format]
            self._fixed = AudioFormat(encoding=encoding, sample_rate=rate, channels=1)
        elif sample_rate is not None:
            self._fixed = AudioFormat(encoding="pcm_s16le", sample_rate=sample_rate, channels=1)
        self._buffer = bytearray()
        self._state = _State.AWAIT_UUID
        self._call_id = ""
        self._audio: AudioFormat | None = None
        self._held_digits: list[Dtmf] = []
        self.peer_error: bytes | None = None
        """Payload of a 0xff error frame from the peer, if one ended the stream."""

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the TCP connection; complete frames are decoded at once."""
        if not self._check_open():
            return
        self._buffer += data
        try:
            while not self._stopped and len(self._buffer) >= _HEADER:
                length = int.from_bytes(self._buffer[1:3], "big")
                if len(self._buffer) < _HEADER + length:
                    break
                kind = self._buffer[0]
                payload = bytes(self._buffer[_HEADER : _HEADER + length])
                del self._buffer[: _HEADER + length]
                self._handle(kind, payload)
        except AudioSocketError as exc:
            raise self._fail(exc) from None

    def receive_eof(self) -> None:
        """The peer closed the connection (a valid hangup); a partial frame is an error."""
        if self._failed or self._stopped:
            return
        if self._buffer:
            message = f"connection closed inside a frame ({len(self._buffer)} bytes)"
            raise self._fail(AudioSocketError(message))
        self._finish()

    def _error_frames(self, exc: ProtocolError) -> list[str | bytes]:
        del exc
        return [_TERMINATE]

    # -- frame handlers ----------------------------------------------------------------------

    def _handle(self, kind: int, payload: bytes) -> None:
        if kind == KIND_UUID:
            self._on_uuid(payload)
        elif self._state is _State.AWAIT_UUID:
            raise AudioSocketError(f"frame kind 0x{kind:02x} before the UUID frame")
        elif kind == KIND_HANGUP:
            if payload:
                raise AudioSocketError("hangup frame with a payload")
            self._finish()
        elif kind == KIND_ERROR:
            self.peer_error = payload
            self._finish()
        elif kind == KIND_DTMF:
            self._on_dtmf(payload)
        elif kind in KIND_AUDIO_RATES:
            self._on_audio(kind, payload)
        else:
            raise AudioSocketError(f"unknown frame kind 0x{kind:02x}")

    def _on_uuid(self, payload: bytes) -> None:
        if self._state is not _State.AWAIT_UUID:
            raise AudioSocketError("second UUID frame")
        if len(payload) != 16:
            raise AudioSocketError(f"UUID payload of {len(payload)} bytes, expected 16")
        self._call_id = str(uuid.UUID(bytes=payload))
        self._state = _State.AWAIT_AUDIO
        if self._fixed is not None:
            self._start(self._fixed)

    def _on_dtmf(self, payload: bytes) -> None:
        if len(payload) != 1:
            raise AudioSocketError(f"DTMF payload of {len(payload)} bytes, expected 1")
        digit = chr(payload[0]).upper()
        if digit not in DTMF_DIGITS:
            raise AudioSocketError("DTMF payload is not one of 0-9, *, #, A-D")
        if self._state is _State.STREAMING:
            self._events.append(Dtmf(digit=digit, leg=self._leg()))
        elif len(self._held_digits) >= MAX_HELD_DIGITS:
            raise AudioSocketError(f"more than {MAX_HELD_DIGITS} DTMF frames before the first audio frame")
        else:
            self._held_digits.append(Dtmf(digit=digit))

    def _on_audio(self, kind: int, payload: bytes) -> None:
        rate = KIND_AUDIO_RATES[kind]
        fixed = self._fixed
        if fixed is not None and kind == 0x10:
            rate = fixed.sample_rate  # Asterisk labels every non-slin16+ format (and, before 20.17, all) 0x10
        elif fixed is not None and (fixed.encoding != "pcm_s16le" or rate != fixed.sample_rate):
            raise AudioSocketUnsupported(f"kind 0x{kind:02x} audio on a port configured for another format")
        elif rate not in _SUPPORTED_RATES:
            raise AudioSocketUnsupported(f"{rate} Hz audio is not supported (use 8, 16, 24 or 48 kHz)")
        if self._state is _State.AWAIT_AUDIO:
            self._start(AudioFormat(encoding="pcm_s16le", sample_rate=rate, channels=1))
        assert self._audio is not None
        if len(payload) % self._audio.frame_bytes:
            raise AudioSocketBadAudio("audio payload is not a whole number of 16-bit samples")
        if rate != self._audio.sample_rate:
            raise AudioSocketUnsupported(f"audio rate changed from {self._audio.sample_rate} to {rate} Hz")
        if payload:
            self._events.extend(split_audio(payload, self._audio))

    def _start(self, audio: AudioFormat) -> None:
        self._audio = audio
        start: Start = self._build_start({}, call_id=self._call_id, audio=self._audio, legs=("caller",))
        self._emit_start(start)
        self._state = _State.STREAMING
        leg = self._leg()
        self._events.extend(Dtmf(digit=d.digit, leg=leg) for d in self._held_digits)
        self._held_digits.clear()

    def _leg(self) -> str | None:
        return self._start_msg.legs[0] if self._start_msg is not None else None
