"""Insights settings: where the CRM webhook is, its secret, the outbox file, retry back-off."""

from __future__ import annotations

from dataclasses import dataclass

from insights.core import DEFAULT_REGIONS
from insights.model import InsightsError


@dataclass(frozen=True, slots=True)
class InsightsConfig:
    """Each field says what it is for; a bad value raises one InsightsError naming it."""

    outbox_path: str = "data/insights-outbox.db"
    """SQLite file of the webhook outbox (event ids and call ids only: payloads are read from the store)."""
    webhook_url: str | None = None
    """The CRM endpoint that receives insights and erasure notices (POST JSON); None: no delivery."""
    webhook_secret: bytes = b""
    """HMAC-SHA256 key for `X-Callscribe-Signature`; required with a webhook_url."""
    crm_purposes: tuple[str, ...] = ()
    """Purposes under which insights may go to the CRM; () allows any of the call's purposes."""
    regions: tuple[str, ...] = DEFAULT_REGIONS
    """Regions tried for phone numbers said without a country code."""
    backoff_base_s: float = 1.0
    """First retry delay; doubles per failed attempt up to `backoff_max_s`."""
    backoff_max_s: float = 300.0
    max_attempts: int = 20
    """Attempts before an event is given up (kept in the outbox, logged)."""
    timeout_s: float = 10.0
    """Per-request timeout of a delivery (and of the abstractive summary request)."""
    summary_url: str | None = None
    """OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1) of a chat model the operator runs, for an
    abstractive summary next to the extractive one; None (the default): off. Only redacted text is sent."""
    summary_model: str = "default"
    """The `model` field of the chat request."""

    def __post_init__(self) -> None:
        if self.webhook_url is not None:
            if not self.webhook_url.startswith(("http://", "https://")):
                raise InsightsError("insights webhook_url must be an http:// or https:// URL")
            if len(self.webhook_secret) < 16:
                raise InsightsError("insights webhook_secret must be at least 16 bytes")
        if self.backoff_base_s <= 0 or self.backoff_max_s < self.backoff_base_s or self.max_attempts < 1:
            raise InsightsError("insights backoff_base_s, backoff_max_s and max_attempts must be positive")
        if self.summary_url is not None and not self.summary_url.startswith(("http://", "https://")):
            raise InsightsError("insights summary_url must be an http:// or https:// URL")
        if self.timeout_s <= 0:
            raise InsightsError("insights timeout_s must be positive")


@dataclass(frozen=True, slots=True)
class InsightsOptions:
    """The `[insights]` table of the gateway's config file (secrets by file or environment, never inline)."""

    enabled: bool = True
    """Compute post-call insights for every call that ends with consent (needs the transcript store)."""
    webhook_url: str | None = None
    """The CRM endpoint for insights and erasure notices (signed POST); None: stored and served only."""
    webhook_secret_file: str | None = None
    """File holding the webhook's HMAC secret (>= 16 bytes); else CALLSCRIBE_INSIGHTS_WEBHOOK_SECRET."""
    outbox_path: str = ""
    """SQLite file of the webhook outbox; empty: `<data_dir>/insights-outbox.db`."""
    crm_purposes: tuple[str, ...] = ()
    """Purposes under which insights may go to the CRM; empty allows any of the call's purposes."""
    summary_url: str | None = None
    """OpenAI-compatible base URL of the operator's own chat model for an abstractive summary; None: off."""
    summary_model: str = "default"
    """The `model` of the chat request."""
    timezone: str = "Europe/Amsterdam"
    """Where "tomorrow between eight and ten" is placed in time."""

    def __post_init__(self) -> None:
        for name in ("webhook_url", "summary_url"):
            value = getattr(self, name)
            if value is not None and not value.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http:// or https:// URL")

    def to_config(self, data_dir: str, secret: bytes) -> InsightsConfig:
        """The worker's config (`secret` read by the caller from the file or the environment)."""
        outbox = self.outbox_path or f"{data_dir.rstrip('/')}/insights-outbox.db"
        return InsightsConfig(
            outbox_path=outbox,
            webhook_url=self.webhook_url,
            webhook_secret=secret,
            crm_purposes=self.crm_purposes,
            summary_url=self.summary_url,
            summary_model=self.summary_model,
        )
