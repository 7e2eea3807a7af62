"""FreeSWITCH ``mod_audio_fork`` / ``mod_audio_stream`` -> native client messages.

Facts relied on (drachtio-freeswitch-modules ``modules/mod_audio_fork/README.md``;
amigniter/mod_audio_stream ``README.md``):

* ``uuid_audio_fork <uuid> start <wss-url> <mix-type> <sampling-rate> <metadata>`` (and
  ``uuid_audio_stream`` with the same arguments). ``mix-type`` is ``mono`` (the caller only),
  ``mixed`` (both parties in one channel) or ``stereo`` (two channels: the caller in the
  first, the other party in the second); ``sampling-rate`` is ``8k`` or ``16k``.
* The first TEXT message is ``metadata``, sent on connect before any audio; audio follows in
  BINARY messages of L16 (16-bit linear PCM, FreeSWITCH's native little-endian), interleaved
  when stereo, of variable size. mod_audio_fork advertises the subprotocol
  ``audio.drachtio.org`` (``audiostream.drachtio.org`` in old releases; configurable).
* The server may send TEXT JSON back. mod_audio_fork turns ``{"type": "transcription",
  "data": {...}}`` into the FreeSWITCH event ``mod_audio_fork::transcription`` (body: ``data``)
  and ``{"type": "error", "data": {...}}`` into ``mod_audio_fork::error``; mod_audio_stream
  fires ``mod_audio_stream::json`` with any text it receives. ``send_transcript`` therefore
  returns one ``{"type": "transcription", "data": <partial/final as in PROTOCOL.md>}`` frame,
  and a protocol error queues ``{"type": "error", "data": {"code", "message"}}`` first.
* ``uuid_audio_fork <uuid> stop`` or the call's hangup closes the WebSocket -> ``Stop``.

The mix type and rate are arguments of the start command and never reach the server, so the
metadata must repeat them. The metadata is a JSON object with our keys (``params`` supply
defaults)::

    {"call_id": "${uuid}", "mix_type": "stereo", "sample_rate": 8000,
     "language": "nl", "purposes": ["quality"], "consent": "pending", "legs": ["caller", "agent"]}

``caller`` (the data subject's number) is the metadata key ``caller``, else ``caller_id_number``:
put FreeSWITCH's channel variable there, ``"caller":"${caller_id_number}"``.
``call_id`` falls back to ``uuid``/``callid`` keys; ``sample_rate`` accepts ``8000``, ``"8k"``,
``16000``, ``"16k"`` (and 24/48 kHz). ``mix_type``, ``sample_rate`` and the call id may come from
``params`` instead (the URL query, over the entry point's configured defaults): drachtio's README
metadata (``{"to","from","callid"}``) lacks the first two, and mod_audio_stream's metadata is optional
(``mod_audio_stream.c:191``): when the first message is BINARY, the call starts on ``params`` alone
(put ``call_id=${uuid}`` in the URL).

A zero-length BINARY message is mod_audio_fork's ``graceful-shutdown`` ("flush any final
responses", ``audio_pipe.cpp:200-206``): it becomes ``Finalize``, so the open utterances are
finalised at once instead of when the socket closes. Legs
default to ``("caller",)`` (mono), ``("mixed",)`` (mixed) and ``("caller", "agent")``
(stereo: the FreeSWITCH channel's own party first).

Later TEXT messages (``uuid_audio_fork <uuid> send_text <text>``) are ignored, except the JSON
object ``{"event": "dtmf", "digit": "5"}`` (optionally ``"leg"``), which becomes ``Dtmf``: the
dialplan can forward key presses that way.

Errors raise ``FreeswitchError`` (1008; 1007 for invalid JSON), ``FreeswitchUnsupported``
(1003) or ``FreeswitchBadAudio`` (1007): metadata that is not a JSON object, no
``mix_type``/``sample_rate``/call id in the metadata or ``params``, a dtmf message without a valid
digit, audio that is not a whole number of sample frames.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

from protocol.adapters.base import (
    AdapterBadAudio,
    AdapterError,
    AdapterUnsupported,
    WebSocketAdapter,
    parse_int,
    parse_json_object,
    split_audio,
)
from protocol.codec import server_to_dict
from protocol.errors import ProtocolError
from protocol.messages import DTMF_DIGITS, SAMPLE_RATES, AudioFormat, Dtmf, Final, Finalize, Partial

__all__ = [
    "MIX_TYPES",
    "FreeswitchAdapter",
    "FreeswitchBadAudio",
    "FreeswitchError",
    "FreeswitchUnsupported",
]

#: mix type -> (channels, default legs)
MIX_TYPES: dict[str, tuple[int, tuple[str, ...]]] = {
    "mono": (1, ("caller",)),
    "mixed": (1, ("mixed",)),
    "stereo": (2, ("caller", "agent")),
}
_RATE_NAMES = {"8k": 8000, "16k": 16000, "24k": 24000, "48k": 48000}


class FreeswitchError(AdapterError):
    """The FreeSWITCH fork broke the protocol; close 1008 (1007 for undecodable text)."""


class FreeswitchUnsupported(AdapterUnsupported, FreeswitchError):
    """A mix type or sample rate we do not take; close 1003."""


class FreeswitchBadAudio(AdapterBadAudio, FreeswitchError):
    """Audio that is not a whole number of sample frames; close 1007."""


class FreeswitchAdapter(WebSocketAdapter):
    """Decode a mod_audio_fork / mod_audio_stream connection (see the module docstring)."""

    SUBPROTOCOLS: ClassVar[tuple[str, ...]] = ("audio.drachtio.org", "audiostream.drachtio.org")
    error: ClassVar[type[ProtocolError]] = FreeswitchError

    def __init__(self, params: Mapping[str, str] | None = None) -> None:
        super().__init__(params)
        self._audio: AudioFormat | None = None
        self.metadata: dict[str, object] = {}
        """The metadata object of the first text message."""

    def receive_text(self, text: str) -> None:
        """Feed one TEXT message: the metadata first, then ``send_text`` messages (see above)."""
        if not self._check_open():
            return
        if self._audio is not None:
            self._on_later_text(text)
            return
        try:
            self._on_metadata(parse_json_object(text, FreeswitchError))
        except FreeswitchError as exc:
            raise self._fail(exc) from None

    def receive_binary(self, data: bytes) -> None:
        """Feed one BINARY message of L16 audio."""
        if not self._check_open():
            return
        if self._audio is None:
            if not data:
                return
            try:
                self._on_metadata({})  # no metadata (optional in mod_audio_stream): configured defaults
            except FreeswitchError as exc:
                raise self._fail(exc) from None
        assert self._audio is not None
        if len(data) % self._audio.frame_bytes:
            raise self._fail(FreeswitchBadAudio("audio is not a whole number of sample frames"))
        if data:
            self._events.extend(split_audio(data, self._audio))
        else:  # graceful-shutdown: "flush any final responses" (audio_pipe.cpp:200-206)
            self._events.append(Finalize())

    def send_transcript(self, message: Partial | Final) -> list[str | bytes]:
        """One ``{"type": "transcription", "data": ...}`` text frame (a FreeSWITCH event)."""
        return [json.dumps({"type": "transcription", "data": server_to_dict(message)})]

    def request_transcription(self, call_id: str) -> list[str | bytes]:
        """``{"type": "transcription_request", ...}``: mod_audio_fork raises it as the FreeSWITCH event
        ``mod_audio_fork::transcription_request`` (``lws_glue.cpp:34-157``: ``type`` names the event)."""
        return [json.dumps({"type": "transcription_request", "data": {"call_id": call_id}})]

    def _error_frames(self, exc: ProtocolError) -> list[str | bytes]:
        data = {"code": exc.code, "message": exc.message}
        return [json.dumps({"type": "error", "data": data})]

    def _on_metadata(self, obj: dict[str, object]) -> None:
        self.metadata = obj
        mix = self._option(obj, "mix_type")
        if not isinstance(mix, str) or not mix:
            raise FreeswitchError("no mix_type (mono, mixed or stereo) in the metadata or the URL query")
        if mix not in MIX_TYPES:
            raise FreeswitchUnsupported("mix_type must be mono, mixed or stereo")
        channels, legs = MIX_TYPES[mix]
        rate = _sample_rate(self._option(obj, "sample_rate"))
        call_id = obj.get("uuid") or obj.get("callid") or obj.get("call_uuid")
        if not isinstance(call_id, str) or not call_id:
            if not self._option(obj, "call_id"):
                raise FreeswitchError("no call id: put call_id=${uuid} in the URL query or the metadata")
            call_id = ""
        audio = AudioFormat(encoding="pcm_s16le", sample_rate=rate, channels=channels)
        if not obj.get("caller") and obj.get("caller_id_number"):
            obj = {**obj, "caller": obj["caller_id_number"]}
        self._emit_start(self._build_start(obj, call_id=call_id, audio=audio, legs=legs))
        self._audio = audio

    def _on_later_text(self, text: str) -> None:
        """A ``{"event": "dtmf", "digit": "5"}`` object is a key press; other text is ignored."""
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            return
        if not isinstance(obj, dict) or obj.get("event") != "dtmf":
            return
        digit = obj.get("digit", obj.get("dtmf"))
        if not isinstance(digit, str) or len(digit) != 1 or digit.upper() not in DTMF_DIGITS:
            raise self._fail(FreeswitchError("dtmf message without a valid digit"))
        assert self._start_msg is not None
        leg = obj.get("leg")
        self._events.append(Dtmf(digit=digit.upper(), leg=leg if leg in self._start_msg.legs else None))


def _sample_rate(value: object) -> int:
    if value is None or value == "":
        raise FreeswitchError("no sample_rate (8000 or 16000) in the metadata or the URL query")
    if isinstance(value, str) and value.strip().lower() in _RATE_NAMES:
        rate = _RATE_NAMES[value.strip().lower()]
    else:
        rate = parse_int(value, "sample_rate", FreeswitchError)
    if rate not in SAMPLE_RATES:
        raise FreeswitchUnsupported("sample_rate must be 8000 or 16000 (24000, 48000 also taken)")
    return rate
