"""Limits at the network edge and per tenant (`ServerConfig.limits`): what one peer or tenant may hold.

Each field bounds something an unauthenticated or misbehaving peer could otherwise grow without limit,
or lets one tenant take what others need. Validated once at start-up (one line naming the field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    """Edge and fairness limits; each field has a line of advice."""

    header_timeout_s: float = 10.0
    """A connection whose request line and headers are not complete this long after it opened is closed
    (slowloris). uvicorn has no such timeout of its own; `gateway.http.edge` adds it."""
    max_header_bytes: int = 16_384
    """Largest request line plus headers (h11 `max_incomplete_event_size`); more is refused with 400
    (this also bounds the header count)."""
    max_offer_bytes: int = 65_536
    """Largest WebRTC offer body (`POST /v1/webrtc/offer`); refused with 413 before more is read."""
    allowed_origins: tuple[str, ...] = ()
    """Origins (`https://pbx.example.com`) allowed on the browser-facing endpoints (captions WebSocket,
    WebRTC offer). Empty: only same-origin requests (Origin matching the Host header) and clients that
    send no Origin (media servers, SDKs). `*` allows any origin (not recommended)."""
    max_calls_per_tenant: int | None = None
    """Concurrent calls one tenant may hold (`overloaded` beyond); None: only `max_calls` applies."""
    tenant_calls: Mapping[str, int] = field(default_factory=dict)
    """Per-tenant overrides of `max_calls_per_tenant` (tenant -> concurrent calls)."""
    audio_burst_s: float = 30.0
    """Audio a WebSocket call may send ahead of real time before it is paced (see `max_audio_speed`)."""
    max_audio_speed: float | None = 4.0
    """Beyond the burst, a call's audio is read at most this many times real time: the gateway stops
    reading the socket (TCP back-pressure) rather than queueing one connection's backlog in front of
    every other call. None: unpaced (offline bulk transcription on a dedicated gateway)."""
    max_final_wait_s: float | None = 3.0
    """Admission by measured load: while finals decoded in the last 10 s waited longer than this for the
    engine, new calls are refused (`overloaded`, reason `engine_load`). None: only `max_calls` applies."""
    max_final_p95_s: float | None = None
    """Admission at a latency target: while the p95 of the finals sent in the last 10 s (at least 10 of
    them), from the utterance's end being detected to the final leaving, is above this, new calls are
    refused (`overloaded`, reason `latency`), so the calls already running keep their latency. The endpoint
    silence (`vad.min_silence_ms`) comes on top of what a client measures from the end of speech: for a
    client-side p95 of 1.2 s with the default 400 ms, about 0.7. None: off (`max_final_wait_s` still
    applies)."""
    format_check: bool = True
    """Send a `warning` (`format_mismatch`) when a call's audio does not fit its declared format (arrives
    at a fraction of real time, or decodes to noise); see `gateway.core.format_check`."""
    takeover_wait_s: float = 5.0
    """How long a `resume_from` reconnect waits for the connection it takes over to flush and close."""

    def __post_init__(self) -> None:
        if self.header_timeout_s <= 0:
            raise ValueError("limits.header_timeout_s must be positive")
        if self.max_header_bytes < 1024 or self.max_offer_bytes < 1024:
            raise ValueError("limits.max_header_bytes and limits.max_offer_bytes must be >= 1024")
        if self.max_calls_per_tenant is not None and self.max_calls_per_tenant < 1:
            raise ValueError("limits.max_calls_per_tenant must be >= 1 (or None)")
        if any(n < 0 for n in self.tenant_calls.values()):
            raise ValueError("limits.tenant_calls values must be >= 0")
        if self.audio_burst_s < 0 or (self.max_audio_speed is not None and self.max_audio_speed < 1):
            raise ValueError("limits.audio_burst_s must be >= 0 and limits.max_audio_speed >= 1 (or None)")
        if self.max_final_wait_s is not None and self.max_final_wait_s <= 0:
            raise ValueError("limits.max_final_wait_s must be positive (or None)")
        if self.max_final_p95_s is not None and self.max_final_p95_s <= 0:
            raise ValueError("limits.max_final_p95_s must be positive (or None)")
        if self.takeover_wait_s <= 0:
            raise ValueError("limits.takeover_wait_s must be positive")

    def tenant_limit(self, tenant: str) -> int | None:
        """The concurrent calls `tenant` may hold (None: no tenant limit)."""
        return self.tenant_calls.get(tenant, self.max_calls_per_tenant)
