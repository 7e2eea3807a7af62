"""Settings of the compatible entry points (Deepgram `/v1/listen`, OpenAI Realtime `/v1/realtime`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EntryConsent = Literal["off", "granted", "announced"]
ENTRY_CONSENTS: tuple[str, ...] = ("off", "granted", "announced")


@dataclass(frozen=True, slots=True)
class CompatConfig:
    """Which compatible APIs are served, and what their calls count as consented.

    Their clients send no consent events, so the consent of every call on such an entry point is the
    operator's statement here: `off` (the default) refuses the upgrade with 403 (nothing is processed);
    `granted` means the announcement was played and the caller did not object before the audio reaches
    us (the PBX or the application guarantees it); `announced` starts each call `pending` with the
    announcement just played, so the first `session.opt_out_window_s` seconds of audio are dropped
    before transcription starts.
    """

    deepgram_consent: EntryConsent = "off"
    """Consent of calls on the Deepgram-compatible `/v1/listen`: `off` (refused, 403), `granted`, `announced`."""
    openai_consent: EntryConsent = "off"
    """Consent of calls on the OpenAI Realtime `/v1/realtime?intent=transcription`: `off`, `granted`,
    `announced`."""

    def __post_init__(self) -> None:
        for name in ("deepgram_consent", "openai_consent"):
            if getattr(self, name) not in ENTRY_CONSENTS:
                raise ValueError(f"compat.{name} must be off, granted or announced")
