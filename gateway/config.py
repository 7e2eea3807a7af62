"""Server configuration: one typed object, validated once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from asr.batching import BatcherConfig
from asr.config import EngineConfig
from asr.remote import RemoteConfig
from files.config import FilesConfig
from gateway.cluster.config import ClusterConfig
from gateway.compat_config import CompatConfig
from gateway.core.caption_viewer import HubConfig
from gateway.core.session_config import SessionConfig
from gateway.core.telephony_config import TelephonyConfig
from gateway.limits import LimitsConfig
from insights.config import InsightsOptions
from privacy import NumberRule, PrivacyError
from protocol.vocab import RedactionPolicy, SpecialPolicy
from store.config import StoreConfig
from vad.config import VadConfig


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything the gateway process needs; each field has a line of advice."""

    host: str = "127.0.0.1"
    """Listen address. Loopback by default: put a TLS-terminating proxy in front for anything else."""
    port: int = 8080
    tokens: Mapping[str, str] = field(default_factory=dict)
    """Bearer token -> tenant. Tokens are compared in constant time; keep them long and random."""
    english_model: str | None = "tiny.en"
    """Model for calls in English (`language: "en"`); None sends English to the multilingual model."""
    multilingual_model: str | None = "base"
    """Model for every other language and `auto`; None refuses such calls (`unsupported`)."""
    engine: EngineConfig = field(default_factory=EngineConfig)
    """Device, compute type, threads and decoding options shared by both models (`model` is ignored)."""
    remote: RemoteConfig = field(default_factory=RemoteConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    files: FilesConfig = field(default_factory=FilesConfig)
    """Voicemail and recorded calls: accepted consent bases and upload limits (docs/files.md)."""
    insights: InsightsOptions = field(default_factory=InsightsOptions)
    """Post-call insights (summary, agreements, contacts, sentiment) and their CRM webhook (docs/insights.md)."""
    """Other gateway nodes: caption streams shared through Redis Streams (off by default; docs/scale-out.md)."""
    """Where the engines run: `local` (embedded, the default) or a Ray Serve pool (docs/scale-out.md)."""
    batcher: BatcherConfig = field(default_factory=BatcherConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    captions: HubConfig = field(default_factory=HubConfig)
    """Bounds of the live caption hub (viewer queues, history, viewers per call)."""
    redaction: RedactionPolicy = RedactionPolicy.MASK
    """Default redaction policy (a call may choose its own in `start.redaction`): `mask` replaces PII
    with `[KIND]`, `pseudonymise` with stable per-call `[KIND_n]`, `off` only for purposes that legally
    need the raw text."""
    special_categories: SpecialPolicy = SpecialPolicy.FLAG
    """Default policy for GDPR art. 9 mentions (health, religion, ...; a call may choose its own in
    `start.special_categories`): `flag` names them in `final.special`, `mask` also replaces each sentence
    holding one by `[SPECIAL:<category>]`, `stop` masks that final and transcribes nothing more of the
    call, `off` does not look. `mask` or `stop` where transcripts are stored and art. 9 data is not needed."""
    mask_digit_runs: int = 4
    """Fail-safe: a run of at least this many digits (spoken or written, groups joined by spaces, commas,
    dots or hyphens) is masked even when no checksum recognises it (`[NUMBER]`); 0 turns it off."""
    readable_numbers: str = "amounts,quantities,times,dates,years"
    """What the fail-safe leaves readable (comma-separated subset; see `privacy.failsafe`)."""
    max_calls: int = 64
    """Concurrent calls per process; the next one gets `overloaded` (1013). Size it with bench/."""
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    """Edge limits (header size and deadline, offer size, allowed Origins) and per-tenant call quotas."""
    max_frame_bytes: int = 192_000
    """Largest WebSocket message accepted (`too_large`, 1009): 1 s of 48 kHz stereo PCM16."""
    max_outbound_frames: int = 4096
    """Frames queued for one connection's peer; a peer that falls this far behind reading is closed with
    `overloaded` (1013) rather than buffered without bound."""
    idle_timeout_s: float = 30.0
    """A stream that sends nothing (audio or keepalive) this long is flushed and closed."""
    drain_timeout_s: float = 15.0
    """On shutdown, how long open calls get to receive their last finals."""
    resume_ttl_s: float = 300.0
    """How long the finals of a disconnected call are kept for `resume_from`."""
    twilio_auth_token: str | None = None
    """Twilio account auth token: when set, a valid `X-Twilio-Signature` authenticates a `/v1/telephony/twilio`
    upgrade without a bearer token (Twilio can send neither a header nor a query string of ours)."""
    twilio_tenant: str = "default"
    """Tenant of the Twilio calls authenticated by their signature (a bearer token names its own tenant)."""
    store_dsn: str | None = None
    """Transcript store: `sqlite:///path.db` (embedded) or `postgresql://...`; None stores nothing."""
    store: StoreConfig = field(default_factory=StoreConfig)
    """Retention per purpose, recipients, master key source (see `store.config`)."""
    admin_tokens: Mapping[str, str] = field(default_factory=dict)
    """Bearer token -> tenant for the admin API (`/v1/admin/...`: transcripts, export, erasure); keep these
    apart from stream tokens (a stream token never opens the admin API)."""
    audiosocket_port: int | None = None
    """TCP port for Asterisk AudioSocket (None: off; 0: any free port, see `app.state.audiosocket.port`)."""
    audiosocket_host: str = "127.0.0.1"
    """AudioSocket listen address. AudioSocket has no authentication: keep it on loopback or a private network."""
    audiosocket_tenant: str = "default"
    """Tenant every AudioSocket call belongs to (the protocol carries no token)."""
    audiosocket_params: Mapping[str, str] = field(default_factory=dict)
    """Call options for AudioSocket calls (`language`, `purposes`, `consent`, `legs`): the protocol has none."""
    telephony: TelephonyConfig = field(default_factory=TelephonyConfig)
    """Per media-server entry point: consent mode, call defaults, idle limit, AudioSocket format, pings."""
    compat: CompatConfig = field(default_factory=CompatConfig)
    """The Deepgram- and OpenAI-compatible entry points: off by default; each names its calls' consent."""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be within 0..65535")
        if self.english_model is None and self.multilingual_model is None:
            raise ValueError("english_model, multilingual_model: configure at least one model")
        if self.max_calls < 1 or self.max_frame_bytes < 1024 or self.max_outbound_frames < 16:
            raise ValueError("max_calls, max_frame_bytes, max_outbound_frames: must be >= 1, >= 1024 and >= 16")
        if self.idle_timeout_s <= 0 or self.drain_timeout_s < 0 or self.resume_ttl_s < 0:
            raise ValueError("idle_timeout_s, drain_timeout_s, resume_ttl_s: timeouts must be positive")
        if self.audiosocket_port is not None and not 0 <= self.audiosocket_port <= 65535:
            raise ValueError("audiosocket_port must be within 0..65535")
        if not self.audiosocket_tenant or not self.twilio_tenant:
            raise ValueError("audiosocket_tenant, twilio_tenant: must name a tenant")
        if self.twilio_auth_token is not None and not self.twilio_auth_token:
            raise ValueError("twilio_auth_token must not be empty (None turns signatures off)")
        for name, vocab in (("redaction", RedactionPolicy), ("special_categories", SpecialPolicy)):
            if getattr(self, name) not in tuple(vocab):
                raise ValueError(f"{name} must be one of {', '.join(vocab)}")
            object.__setattr__(self, name, vocab(getattr(self, name)))  # a string becomes its member
        try:
            self.number_rule()
        except PrivacyError as exc:
            raise ValueError(f"mask_digit_runs, readable_numbers: {exc}") from None
        for token, tenant in self.tokens.items():
            if len(token) < 8 or not tenant:
                raise ValueError("tokens: must be >= 8 characters and name a tenant")
        for token, tenant in self.admin_tokens.items():
            if len(token) < 16 or not tenant or token in self.tokens:
                raise ValueError("admin_tokens: must be >= 16 characters, name a tenant and not be stream tokens")

    def number_rule(self) -> NumberRule:
        """The fail-safe digit-run rule of `mask_digit_runs` and `readable_numbers`."""
        return NumberRule.parse(self.mask_digit_runs, self.readable_numbers)
