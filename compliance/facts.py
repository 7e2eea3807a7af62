"""The facts the compliance texts rest on, taken from the effective gateway configuration (pure).

Everything a text says about purposes, retention, recipients, redaction, special categories, the
opt-out key and the security measures comes from here, so changing the configuration changes the
texts.  What the configuration cannot know (the organisation's name, its privacy contact, the legal
basis it chose per purpose) is passed in, with defaults that are marked as placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.config import ServerConfig

__all__ = ["BASES", "DEFAULT_BASIS", "Facts", "Purpose", "facts_from"]

#: Legal bases (GDPR art. 6(1)) a purpose can rest on, by key.
BASES = ("legitimate_interest", "contract", "legal_obligation", "consent")

#: The basis assumed per well-known purpose when none is configured.
DEFAULT_BASIS: Mapping[str, str] = {
    "quality": "legitimate_interest",
    "training": "legitimate_interest",
    "complaint": "legitimate_interest",
    "legal": "legal_obligation",
    "evidence": "contract",
}


@dataclass(frozen=True, slots=True)
class Purpose:
    """One purpose transcripts are kept for: its retention (None: not stored), basis and recipients."""

    name: str
    retention_days: float | None
    basis: str
    recipients: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the compliance texts say, in one value (see :func:`facts_from`)."""

    controller: str
    contact: str
    purposes: tuple[Purpose, ...]
    stored: bool
    redaction: str
    special: str
    mask_digit_runs: int
    opt_out_digit: str
    anchored: bool
    languages: tuple[str, ...] = field(default=("nl", "en"))

    @property
    def special_contained(self) -> bool:
        """Whether special-category mentions are kept out of what leaves and is stored (mask or stop)."""
        return self.special in ("mask", "stop")

    @property
    def longest_retention_days(self) -> float | None:
        days = [p.retention_days for p in self.purposes if p.retention_days is not None]
        return max(days) if days else None


def facts_from(
    config: ServerConfig,
    controller: str = "[naam organisatie / organisation name]",
    contact: str = "[privacy@organisatie.nl]",
    bases: Mapping[str, str] | None = None,
) -> Facts:
    """The facts of ``config``; ``bases`` overrides :data:`DEFAULT_BASIS` per purpose."""
    chosen = {**DEFAULT_BASIS, **(bases or {})}
    for purpose, basis in chosen.items():
        if basis not in BASES:
            raise ValueError(f"legal basis for {purpose!r} must be one of {', '.join(BASES)}, not {basis!r}")
    stored = config.store_dsn is not None
    store = config.store
    purposes = tuple(
        Purpose(name, days if stored else None, chosen.get(name, "consent"), tuple(store.recipients.get(name, ())))
        for name, days in store.retention_days.items()
    )
    return Facts(
        controller,
        contact,
        purposes,
        stored,
        config.redaction,
        config.special_categories,
        config.mask_digit_runs,
        config.session.opt_out_digit,
        store.anchor_file is not None,
    )
