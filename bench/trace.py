"""What one replayed call produced, in a form common to every system under test.

Each system speaks its own protocol; its driver turns what comes back into `Hyp` events (a partial or a
final hypothesis for a stretch of one leg's audio, with the monotonic time it arrived) and records, per
leg, when each 20 ms frame of audio was handed to the socket (`sent`). The metrics read only these.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Literal

HypKind = Literal["partial", "final"]


@dataclass(frozen=True, slots=True)
class Hyp:
    """One hypothesis a system sent: text for leg audio [start, end] seconds, received at monotonic `at`."""

    kind: HypKind
    at: float
    leg: str
    text: str
    start: float
    end: float

    def __post_init__(self) -> None:
        if self.kind not in ("partial", "final"):
            raise ValueError(f"unknown hypothesis kind {self.kind!r}")


@dataclass(slots=True)
class LegTrace:
    """One leg's send timeline and the hypotheses received for it."""

    leg: str
    sent_audio: list[float] = field(default_factory=list)
    """Audio seconds sent so far, after each frame (increasing)."""
    sent_at: list[float] = field(default_factory=list)
    """Monotonic time each frame was handed to the socket."""
    jitter_ms: list[float] = field(default_factory=list)
    """Per frame: actual send time minus its scheduled time, in milliseconds."""
    hyps: list[Hyp] = field(default_factory=list)

    def record_send(self, audio_s: float, at: float, scheduled: float | None) -> None:
        """Note that the audio up to `audio_s` was sent at `at` (due at `scheduled`, if jitter is kept here)."""
        self.sent_audio.append(audio_s)
        self.sent_at.append(at)
        if scheduled is not None:
            self.jitter_ms.append((at - scheduled) * 1000)

    def time_sent(self, audio_s: float) -> float | None:
        """Monotonic time at which the audio up to `audio_s` had been sent (None if it never was)."""
        i = bisect.bisect_left(self.sent_audio, audio_s - 1e-6)
        if i < len(self.sent_at):
            return self.sent_at[i]
        return None

    def audio_sent_by(self, at: float) -> float:
        """Seconds of audio sent by monotonic time `at`."""
        i = bisect.bisect_right(self.sent_at, at)
        return self.sent_audio[i - 1] if i else 0.0

    @property
    def finals(self) -> list[Hyp]:
        return [h for h in self.hyps if h.kind == "final"]

    @property
    def partials(self) -> list[Hyp]:
        return [h for h in self.hyps if h.kind == "partial"]


@dataclass(slots=True)
class CallTrace:
    """Everything one call produced: per-leg traces plus how it ended."""

    call_id: str
    file: str
    legs: dict[str, LegTrace]
    started: float = 0.0
    ended: float = 0.0
    errors: list[str] = field(default_factory=list)
    """Error messages / unexpected close codes; a call with errors counts as failed."""
    refused: bool = False
    """The system turned the call away (gateway `overloaded`, a peer's WAIT/full)."""

    @classmethod
    def empty(cls, call_id: str, file: str, legs: tuple[str, ...]) -> CallTrace:
        return cls(call_id, file, {leg: LegTrace(leg) for leg in legs})

    @property
    def ok(self) -> bool:
        return not self.errors and not self.refused
