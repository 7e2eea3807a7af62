"""Per-call behaviour settings, validated once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from protocol.messages import DTMF_DIGITS


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """How every call session behaves; each field has a line of advice."""

    opt_out_digit: str = "9"
    """DTMF key that means `declined`. Announce it in the consent prompt."""
    opt_out_window_s: float = 5.0
    """After `announced`, audio seconds to wait for an opt-out before transcribing starts."""
    partial_interval_s: float = 0.5
    """New utterance audio between two partials of a leg. A partial is skipped (not queued) while the
    previous one of that leg is still decoding."""
    first_partial_s: float = 0.6
    """Utterance audio before the first partial; shorter snippets decode to noise. Stretched under load in the
    same proportion as `partial_interval_s`."""
    partial_lag_target_s: float = 0.15
    """Partial cadence under load: while partials come back later than this (a running mean of their lag,
    gateway.core.load.PartialCadence), the interval between partials is stretched in proportion, up to
    `partial_max_interval_s`, and `first_partial_s` with it, so a busy engine spends its time on finals (never
    fewer finals)."""
    partial_max_interval_s: float = 3.0
    """The longest the stretched interval gets; = `partial_interval_s` turns the adaptation off."""
    max_frame_seconds: float = 1.0
    """Most audio one binary frame may carry (PROTOCOL.md: bad_audio above it)."""
    condition_on_previous: bool = False
    """Prompt a final with the leg's previous final text. Off: it did not lower WER on our clips and it
    can carry a hallucination from one utterance into the next."""

    context_s: float = 6.0
    """Seconds of the leg's previous final put before a final's audio, its words forced as the decoder
    prefix (`asr.context`), so a phrase cut off by a pause is decoded as the rest of its sentence. 0 = off.
    Measured (docs/accuracy-longform.md): long read speech 16 kHz 6.6 -> 6.0 %, 8 kHz 11.0 -> 10.4 %,
    stretched pauses 9.6 -> 9.2 % / 15.8 -> 13.8 %; +15 % engine time for finals."""
    context_max_gap_s: float = 2.0
    """Context only joins utterances this close (the pause between them, in seconds): the same speaker
    going on. A final whose predecessor is still decoding waits for it (at most one decode)."""
    context_max_utterance_s: float = 4.0
    """Context only for utterances up to this long: a short phrase loses its sense alone, a longer one
    carries its own (and its encoder window is long already)."""

    def __post_init__(self) -> None:
        if len(self.opt_out_digit) != 1 or self.opt_out_digit not in DTMF_DIGITS:
            raise ValueError("opt_out_digit must be one DTMF key")
        if self.opt_out_window_s < 0 or self.partial_interval_s <= 0 or self.first_partial_s <= 0:
            raise ValueError("windows and intervals must be positive")
        if self.partial_lag_target_s <= 0 or self.partial_max_interval_s < self.partial_interval_s:
            raise ValueError("partial_lag_target_s must be > 0 and partial_max_interval_s >= partial_interval_s")
        if not 0 <= self.context_s <= 10:
            raise ValueError("context_s must be within [0, 10]")
        if not 0 < self.context_max_gap_s <= 10 or not 0 < self.context_max_utterance_s <= 30:
            raise ValueError("context_max_gap_s must be within (0, 10] and context_max_utterance_s within (0, 30]")
        if not 0 < self.max_frame_seconds <= 1.0:
            raise ValueError("max_frame_seconds must be within (0, 1]")
