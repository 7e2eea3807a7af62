"""Twilio Media Streams -> native client messages, and the ``X-Twilio-Signature`` check.

Facts relied on (twilio.com/docs/voice/media-streams/websocket-messages and
/docs/voice/media-streams; twilio.com/docs/usage/webhooks/webhooks-security; Twilio SDK tests
for the signature vectors):

* Every message is a JSON TEXT frame; numbers such as ``sequenceNumber``, ``chunk`` and
  ``timestamp`` are strings. Order: ``connected`` (``protocol``, ``version``), ``start``,
  then ``media``/``dtmf``/``mark``, finally ``stop``.
* ``start.start``: ``streamSid``, ``accountSid``, ``callSid``, ``tracks`` (``["inbound"]``,
  ``["outbound"]`` or both), ``customParameters`` (``<Parameter name= value=>`` of the
  ``<Stream>``, strings) and ``mediaFormat`` ``{"encoding": "audio/x-mulaw", "sampleRate":
  8000, "channels": 1}`` (always these values).
* ``media.media``: ``track`` (``inbound``/``outbound``), ``chunk`` (1, 2, ... per track),
  ``timestamp`` (ms since the stream started), ``payload`` (base64 raw mu-law, no header).
  Each track has its own ``media`` events.
* ``dtmf.dtmf``: ``{"track": "inbound_track", "digit": "1"}`` (bidirectional streams).
* ``stop`` ends the stream; ``mark`` echoes marks we never send and is ignored.
* The server may only send ``media``, ``mark`` and ``clear`` back, so transcripts cannot go
  back on the stream: ``send_transcript`` returns ``[]``.

Mapping: mu-law payloads pass through unchanged (``mulaw``, 8000 Hz). One track -> 1 channel;
both tracks (``<Start><Stream track="both_tracks">``) -> 2 channels, inbound first, aligned by
``timestamp`` (see ``_tracks.TrackMixer``). Legs default to ``caller`` for the inbound track and
``agent`` for the outbound one. ``Start``: ``call_id`` = custom parameter ``call_id``, else
``callSid``; ``language``, ``purposes`` (comma-separated), ``consent``, ``legs``
(comma-separated, inbound first), ``interim_results``, ``resume_from`` from custom parameters
(``params`` supply defaults; ``<Stream url>`` may not carry a query string). ``caller``: the custom
parameter ``caller`` only, since ``start`` carries no caller number (TwiML:
``<Parameter name="caller" value="{{From}}"/>`` in a TwiML Bin, or the webhook's ``From``).

Errors raise ``TwilioError`` (1008; 1007 for invalid JSON or base64) or
``TwilioUnsupported`` (1003, a media format other than 8 kHz mono mu-law): media or dtmf
before ``start``, a second ``start``, missing fields, media for a track not announced, a
binary message. The gateway closes the WebSocket with that code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from protocol.adapters._mediastream import MediaFormat, MediaStreamAdapter
from protocol.adapters.base import AdapterError, AdapterUnsupported, parse_int
from protocol.errors import ProtocolError

__all__ = ["TwilioAdapter", "TwilioError", "TwilioUnsupported", "verify_twilio_signature"]

_TRACKS = ("inbound", "outbound")
_DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}


class TwilioError(AdapterError):
    """Twilio broke the Media Streams protocol; close 1008 (1007 for undecodable data)."""


class TwilioUnsupported(AdapterUnsupported, TwilioError):
    """A media format other than 8 kHz mono mu-law; close 1003."""


class TwilioAdapter(MediaStreamAdapter):
    """Decode a Twilio Media Stream (see the module docstring)."""

    error: ClassVar[type[ProtocolError]] = TwilioError
    FORMAT_KEY: ClassVar[str] = "mediaFormat"
    PARAMS_KEY: ClassVar[str] = "customParameters"
    CALL_ID_KEY: ClassVar[str] = "callSid"

    def _media_format(self, fmt: Mapping[str, object]) -> MediaFormat:
        encoding = fmt.get("encoding")
        rate = parse_int(fmt.get("sampleRate", 8000), "mediaFormat.sampleRate", TwilioError)
        channels = parse_int(fmt.get("channels", 1), "mediaFormat.channels", TwilioError)
        if encoding != "audio/x-mulaw" or rate != 8000 or channels != 1:
            raise TwilioUnsupported("media format must be audio/x-mulaw, 8000 Hz, 1 channel")
        return MediaFormat(encoding="mulaw", sample_rate=8000)

    def _tracks(self, start: Mapping[str, object]) -> tuple[str, ...]:
        tracks = start.get("tracks", ["inbound"])
        if not isinstance(tracks, list) or not tracks or not all(t in _TRACKS for t in tracks):
            raise TwilioError("start.tracks: expected inbound and/or outbound")
        return tuple(t for t in _TRACKS if t in tracks)


def verify_twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str | Sequence[str]], signature: str
) -> bool:
    """Check an ``X-Twilio-Signature`` header value (HMAC-SHA1, base64).

    The signed string is ``url`` followed by every parameter, sorted by name, as name+value
    (a repeated parameter contributes each distinct value, in sorted order). ``url`` is the URL
    exactly as configured in Twilio, query string included: for the Media Streams upgrade
    request that is the ``wss://`` URL of ``<Stream url>`` and ``params`` is empty. As Twilio's
    SDKs do, the URL is also tried without its port and with the scheme's default port.
    """
    expected = signature.encode("utf-8", "replace")
    for candidate in _url_variants(url):
        computed = _signature(auth_token, candidate, params).encode("ascii")
        if hmac.compare_digest(computed, expected):
            return True
    return False


def _signature(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    parts = [url]
    for name in sorted(params):
        value = params[name]
        values = [value] if isinstance(value, str) else sorted(set(value))
        parts.extend(name + v for v in values)
    digest = hmac.new(auth_token.encode("utf-8"), "".join(parts).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """``url`` as given, without its port, and with the default port of its scheme."""
    variants = [url]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return variants
    host = parts.netloc.rsplit("@", 1)
    userinfo = host[0] + "@" if len(host) == 2 else ""
    hostname = host[-1].rsplit(":", 1)[0] if port is not None else host[-1]
    bare = urlunsplit(parts._replace(netloc=userinfo + hostname))
    variants.append(bare)
    default = _DEFAULT_PORTS.get(parts.scheme.lower())
    if port is None and default is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{userinfo}{hostname}:{default}")))
    return variants
