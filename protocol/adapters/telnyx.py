"""Telnyx media streaming -> native client messages (the Twilio variant, snake_case).

Facts relied on (developers.telnyx.com "Stream call media over WebSocket" AsyncAPI page,
``docs/voice/programmable-voice/media-streaming``, ``call-commands/streaming-start``):

* JSON TEXT frames, numbers as strings: ``{"event": "connected", "version": "1.0.0"}``, then
  ``{"event": "start", "sequence_number": "1", "start": {"call_control_id", "call_session_id",
  "from", "to", "client_state", "media_format": {"encoding": "PCMU", "sample_rate": 8000,
  "channels": 1}, ...}, "stream_id"}`` (older accounts send ``"encoding": "audio/x-mulaw"``).
* ``media``: ``{"sequence_number", "media": {"track": "inbound"|"outbound", "chunk",
  "timestamp", "payload"}, "stream_id"}``; the payload is a base64 RTP payload without header.
  "Media frame order is not guaranteed. Use media.chunk, media.timestamp, and sequence_number
  to order frames."
* ``stream_codec`` may be PCMU, PCMA, G722, OPUS, AMR-WB or L16; L16 is network byte order
  (big-endian, RFC 2586). ``stream_track`` is ``inbound_track`` (default), ``outbound_track``
  or ``both_tracks``; the start frame does not repeat it.
* ``dtmf``: ``{"event": "dtmf", "dtmf": {"digit": "1"}, ...}``; ``stop`` ends the stream;
  ``mark`` and ``error`` (about media we would send) are ignored.
* Only ``media``, ``mark`` and ``clear`` go back, so ``send_transcript`` returns ``[]``.

Mapping: PCMU -> mulaw and PCMA -> alaw at 8 kHz; L16 -> pcm_s16le (bytes swapped) at 8, 16,
24 or 48 kHz; anything else raises ``TelnyxUnsupported``. Frames carrying ``sequence_number``
pass through a reorder buffer (``_tracks.ReorderBuffer``, numbering from 1) that waits at most
``reorder_window`` frames for a missing number, then skips it; a frame older than what was
already released is dropped (counted in ``reordered_dropped``); ``stop`` releases everything.
The streamed tracks come from ``start.tracks`` if present, else ``params["tracks"]``
(``inbound_track``, ``outbound_track`` or ``both_tracks``: put it in the ``stream_url`` query),
default inbound only; both tracks are interleaved as for Twilio (inbound first). ``Start``:
``call_id`` = custom parameter ``call_id``, else ``call_control_id``; the other options from
``start.custom_parameters`` (an object, or a list of ``{"name", "value"}``), else ``params``;
``caller`` = custom parameter ``caller``, else ``start.from`` (for a call your application placed,
``from`` is your own number: pass the called number as the custom parameter ``caller``).

Errors raise ``TelnyxError`` (1008; 1007 for invalid JSON/base64/odd L16) or
``TelnyxUnsupported`` (1003), as for Twilio.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from protocol.adapters._mediastream import MediaFormat, MediaStreamAdapter
from protocol.adapters._tracks import ReorderBuffer
from protocol.adapters.base import AdapterError, AdapterUnsupported, parse_int
from protocol.errors import ProtocolError
from protocol.messages import SAMPLE_RATES

__all__ = ["TelnyxAdapter", "TelnyxError", "TelnyxUnsupported"]

_G711 = {"PCMU": "mulaw", "AUDIO/X-MULAW": "mulaw", "PCMA": "alaw", "AUDIO/X-ALAW": "alaw"}
_TRACK_PARAM = {
    "inbound_track": ("inbound",),
    "outbound_track": ("outbound",),
    "both_tracks": ("inbound", "outbound"),
}


class TelnyxError(AdapterError):
    """Telnyx broke the media streaming protocol; close 1008 (1007 for undecodable data)."""


class TelnyxUnsupported(AdapterUnsupported, TelnyxError):
    """A codec or rate we do not take (G722, OPUS, AMR-WB, odd rates); close 1003."""


class TelnyxAdapter(MediaStreamAdapter):
    """Decode a Telnyx media stream (see the module docstring)."""

    error: ClassVar[type[ProtocolError]] = TelnyxError
    FORMAT_KEY: ClassVar[str] = "media_format"
    PARAMS_KEY: ClassVar[str] = "custom_parameters"
    CALL_ID_KEY: ClassVar[str] = "call_control_id"

    def __init__(self, params: Mapping[str, str] | None = None, *, reorder_window: int = 8) -> None:
        super().__init__(params)
        self._reorder: ReorderBuffer[Mapping[str, object]] = ReorderBuffer(reorder_window)

    @property
    def reordered_dropped(self) -> int:
        """Frames dropped because they arrived after their place was given up (or twice)."""
        return self._reorder.dropped

    def _on_message(self, msg: Mapping[str, object]) -> None:
        seq = msg.get("sequence_number")
        if seq is None:
            self._dispatch(msg)
            return
        number = parse_int(seq, "sequence_number", TelnyxError)
        ready = self._reorder.push(number, msg)
        if msg.get("event") == "stop":
            ready += self._reorder.flush()
        for item in ready:
            if not self._stopped:
                self._dispatch(item)

    def _media_format(self, fmt: Mapping[str, object]) -> MediaFormat:
        encoding = str(fmt.get("encoding", "")).upper()
        rate = parse_int(fmt.get("sample_rate", 8000), "media_format.sample_rate", TelnyxError)
        channels = parse_int(fmt.get("channels", 1), "media_format.channels", TelnyxError)
        if channels != 1:
            raise TelnyxUnsupported("media_format.channels must be 1")
        if encoding in _G711 and rate == 8000:
            return MediaFormat(encoding="mulaw" if _G711[encoding] == "mulaw" else "alaw", sample_rate=8000)
        if encoding == "L16" and rate in SAMPLE_RATES:
            return MediaFormat(encoding="pcm_s16le", sample_rate=rate, big_endian=True)
        raise TelnyxUnsupported("codec must be PCMU/PCMA at 8 kHz or L16 at 8, 16, 24 or 48 kHz")

    def _caller(self, start: Mapping[str, object]) -> str | None:
        caller = start.get("from")
        return caller if isinstance(caller, str) and caller else None

    def _tracks(self, start: Mapping[str, object]) -> tuple[str, ...]:
        tracks = start.get("tracks")
        if isinstance(tracks, list) and tracks and all(t in ("inbound", "outbound") for t in tracks):
            return tuple(t for t in ("inbound", "outbound") if t in tracks)
        if tracks is not None:
            raise TelnyxError("start.tracks: expected inbound and/or outbound")
        choice = self._params.get("tracks", "inbound_track")
        if choice not in _TRACK_PARAM:
            raise TelnyxError("tracks parameter must be inbound_track, outbound_track or both_tracks")
        return _TRACK_PARAM[choice]
