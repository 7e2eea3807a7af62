"""Store configuration: retention per purpose, recipients per purpose, where the master key comes from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from store.errors import StoreConfigError

DAY = 86_400.0


def _default_retention() -> Mapping[str, float]:
    return MappingProxyType({"quality": 30.0, "training": 90.0, "complaint": 365.0, "legal": 3650.0})


@dataclass(frozen=True, slots=True)
class StoreConfig:
    """How long transcripts live, who receives them, and where keys come from; each field has advice."""

    retention_days: Mapping[str, float] = field(default_factory=_default_retention)
    """Days a transcript is kept per declared purpose; a call expires after the longest of its purposes."""
    default_retention_days: float | None = None
    """Retention for a purpose missing from `retention_days`; None (the default) stores nothing for calls
    whose purposes are all unknown, and ignores the unknown ones otherwise (purpose limitation)."""
    recipients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Who receives transcripts kept for each purpose (reported in a data-subject export, art. 15)."""
    purge_interval_s: float = 3600.0
    """How often expired calls are purged (also once at start-up)."""
    master_key_file: str | None = None
    """File holding the base64 256-bit master key; otherwise the env var below is read."""
    master_key_env: str = "CALLSCRIBE_MASTER_KEY"
    """Environment variable with the base64 master key (used when `master_key_file` is None)."""
    old_master_key_files: tuple[str, ...] = ()
    """Previous master keys, kept during a rotation until every data key is rewrapped under the new one."""
    rotate_batch: int = 500
    """Data keys rewrapped per transaction during a rotation (small batches keep writers unblocked)."""
    anchor_file: str | None = None
    """File outside the database the audit chain head is appended to (see `store.anchor`); put it where
    whoever can delete database rows cannot rewrite it. None: no anchoring (deleting the newest audit
    rows then goes unnoticed by `python -m store verify`)."""
    anchor_webhook: str | None = None
    """URL the anchored chain head is also POSTed to as JSON (another host's log, a timestamping service)."""
    anchor_interval_s: float = 300.0
    """How often the chain head is anchored (also at start-up and at shutdown)."""

    def __post_init__(self) -> None:
        for purpose, days in self.retention_days.items():
            if not purpose or days <= 0:
                raise StoreConfigError("retention_days: purposes must be named and retention positive")
        if self.default_retention_days is not None and self.default_retention_days <= 0:
            raise StoreConfigError("default_retention_days must be positive")
        if self.purge_interval_s <= 0 or self.rotate_batch < 1 or self.anchor_interval_s <= 0:
            raise StoreConfigError("purge_interval_s, anchor_interval_s, rotate_batch: must be positive")
        if self.anchor_webhook is not None and not self.anchor_webhook.startswith(("http://", "https://")):
            raise StoreConfigError("anchor_webhook must be an http:// or https:// URL")
        if self.anchor_file is not None and not self.anchor_file.strip():
            raise StoreConfigError("anchor_file must name a file (None turns anchoring off)")
        object.__setattr__(self, "retention_days", MappingProxyType(dict(self.retention_days)))
        object.__setattr__(
            self, "recipients", MappingProxyType({purpose: tuple(names) for purpose, names in self.recipients.items()})
        )

    def retention_for(self, purposes: tuple[str, ...]) -> float | None:
        """Seconds the call is kept: the longest retention of its purposes; None when none is known."""
        days = [self.retention_days.get(p, self.default_retention_days) for p in purposes]
        known = [d for d in days if d is not None]
        return max(known) * DAY if known else None

    def kept_purposes(self, purposes: tuple[str, ...]) -> tuple[str, ...]:
        """The declared purposes the store accepts (those with a retention), de-duplicated, in order."""
        kept = [p for p in purposes if p in self.retention_days or self.default_retention_days is not None]
        return tuple(dict.fromkeys(kept))
