"""Settings of the telephony entry points: consent mode, call defaults and liveness per media server.

Theory of operation. A media server can rarely say more about a call than its own protocol carries, so
each entry point (`/v1/telephony/<name>` and the AudioSocket port) has operator-configured defaults that
the shell puts under the call's own options: `EntryPoint.defaults()` is the adapter's `params` base, the
upgrade URL's query goes over it, and the protocol's own per-call parameters (Twilio `<Parameter>`,
chan_websocket channel variables, FreeSWITCH/jambonz metadata, Telnyx query) go over both.

`consent` is the consent mode of the entry point's calls: `pending` waits for a consent event (the HTTP
consent API, `POST /v1/calls/{call_id}/consent`); `announced` means the media server plays the recording
announcement before it starts streaming, so the opt-out window starts at the first sample and the opt-out
digit is honoured; `granted` means the operator guarantees consent some other way. The default stays
`pending`: nothing is transcribed until someone says so.

Liveness comes from the transport, not from audio: WebSocket ping/pong (`ws_ping_interval_s`,
`ws_ping_timeout_s`, uvicorn's keepalive) and TCP keepalive for AudioSocket find dead peers, so the idle
limit (`idle_timeout_s`) is long by default: a paused fork (`uuid_audio_fork ... pause`, a paused jambonz
`listen`) sends nothing at all for as long as it is paused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from protocol.adapters.asterisk_ws import FORMATS
from protocol.adapters.base import CONSENT_MODES

__all__ = ["AudioSocketEntryPoint", "EntryPoint", "TelephonyConfig"]

TELEPHONY_IDLE_S = 3600.0
"""Default idle limit of a telephony connection: an hour of nothing at all (pings find dead peers)."""


@dataclass(frozen=True, slots=True)
class EntryPoint:
    """One media server's entry point: the defaults its calls start from."""

    consent: str = "pending"
    """Consent mode of the calls: `pending` (wait for a consent event), `announced` (the media server played
    the announcement before streaming: opt-out window from the first sample), `granted` (guaranteed by the
    operator). A call may override it with its protocol's own `consent` parameter."""
    announcement: str | None = None
    """Id of the announcement played with `announced` (kept in the consent audit), e.g. `rec-nl-v3`."""
    idle_timeout_s: float = TELEPHONY_IDLE_S
    """Close a connection that sends nothing at all (no audio, no text) this long; pings keep it honest."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Other call defaults by option key (`language`, `purposes`, `legs`, `interim_results`; FreeSWITCH
    `mix_type`/`sample_rate`), under the call's own parameters."""

    def defaults(self) -> dict[str, str]:
        """The adapter's `params` base for a call on this entry point."""
        base = {"consent": self.consent} | ({"announcement": self.announcement} if self.announcement else {})
        return base | dict(self.params)

    def check(self, name: str) -> None:
        """Raise one `ValueError` line naming the bad setting (`name` is this entry point's)."""
        if self.consent not in CONSENT_MODES:
            raise ValueError(f"telephony.{name}.consent must be pending, announced or granted")
        if self.announcement is not None and not 0 < len(self.announcement) <= 128:
            raise ValueError(f"telephony.{name}.announcement must be 1..128 characters")
        if not self.idle_timeout_s > 0:
            raise ValueError(f"telephony.{name}.idle_timeout_s must be positive")
        if "consent" in self.params or "announcement" in self.params:
            raise ValueError(f"telephony.{name}.params: set consent and announcement as their own settings")


@dataclass(frozen=True, slots=True)
class AudioSocketEntryPoint(EntryPoint):
    """The AudioSocket port: the protocol carries no options at all, and no codec for kind 0x10."""

    audio_format: str | None = None
    """What kind-0x10 frames hold on this port: `ulaw`, `alaw`, `slin`, `slin16`, `slin24`, `slin48`.
    Asterisk labels mu-law/A-law (and, before 20.17.0/21.12.0/22.7.0/23.1.0, slin16/24/48) 0x10, so set it
    to the channel's codec (`c(ulaw)`); None: 0x10 is slin 8 kHz, as `AudioSocket()` sends."""

    def check(self, name: str) -> None:
        EntryPoint.check(self, name)
        if self.audio_format is not None and self.audio_format not in FORMATS:
            raise ValueError(f"telephony.{name}.audio_format must be one of {', '.join(FORMATS)}")


def _freeswitch() -> EntryPoint:
    return EntryPoint(params={"mix_type": "mono", "sample_rate": "8000"})


@dataclass(frozen=True, slots=True)
class TelephonyConfig:
    """Per media-server entry point settings, and the WebSocket keepalive."""

    asterisk: EntryPoint = field(default_factory=EntryPoint)
    """Asterisk chan_websocket, `/v1/telephony/asterisk`."""
    freeswitch: EntryPoint = field(default_factory=_freeswitch)
    """FreeSWITCH mod_audio_fork / mod_audio_stream, `/v1/telephony/freeswitch`. `params` default to
    `mix_type=mono`, `sample_rate=8000` for mod_audio_stream without metadata: match your start command."""
    twilio: EntryPoint = field(default_factory=EntryPoint)
    """Twilio Media Streams, `/v1/telephony/twilio` (auth token: `ServerConfig.twilio_auth_token`)."""
    telnyx: EntryPoint = field(default_factory=EntryPoint)
    """Telnyx media streaming, `/v1/telephony/telnyx`."""
    jambonz: EntryPoint = field(default_factory=EntryPoint)
    """jambonz `listen`, `/v1/telephony/jambonz`."""
    audiosocket: AudioSocketEntryPoint = field(default_factory=AudioSocketEntryPoint)
    """Asterisk AudioSocket (TCP, `ServerConfig.audiosocket_port`); `ServerConfig.audiosocket_params` go
    over its `params`."""
    request_webhook_url: str | None = None
    """Where an agent's "Start transcription" request is POSTed (JSON `{"event": "transcription_requested",
    "call_id", "transport"}`) for media servers without a way back on the stream (all but FreeSWITCH, which
    gets a `transcription_request` text frame). Your PBX side plays the announcement, then reports
    `announced`/`granted` to the consent API. Put a secret in the URL; None: such requests get 409."""
    ws_ping_interval_s: float | None = 20.0
    """Seconds between WebSocket pings to every peer (None: no pings); a peer that does not answer within
    `ws_ping_timeout_s` is dropped. This, not silence, is how a dead media server is found."""
    ws_ping_timeout_s: float | None = 20.0
    """Seconds a ping may wait for its pong."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, EntryPoint):
                value.check(f.name)
        url = self.request_webhook_url
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("telephony.request_webhook_url must be an http:// or https:// URL")
        for name in ("ws_ping_interval_s", "ws_ping_timeout_s"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"telephony.{name} must be positive (or None: off)")

    def entry(self, transport: str) -> EntryPoint:
        """The entry point of a transport name (`asterisk`, ..., `audiosocket`)."""
        value = getattr(self, transport, None)
        if not isinstance(value, EntryPoint):
            raise KeyError(transport)
        return value
