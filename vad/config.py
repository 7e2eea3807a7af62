"""Typed VAD / endpointing configuration, validated once at start-up."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from vad.errors import VadConfigError


@dataclass(frozen=True, slots=True)
class VadConfig:
    """How speech probabilities become utterances.

    All durations are on the leg's 16 kHz clock. Each field carries a line of tuning advice.
    """

    threshold: float = 0.5
    """Speech starts when a window's probability is >= this. Raise it (0.6-0.7) on noisy lines."""
    neg_threshold: float = 0.35
    """Speech continues while probability is >= this (hysteresis). Keep ~0.15 below `threshold`."""
    min_silence_ms: int = 400
    """Silence that ends an utterance (the endpoint). Lower = faster finals but more mid-sentence cuts."""
    turn_silence_ms: int = 800
    """Silence that ends an utterance which continues its leg's turn (it began at most `turn_gap_ms` after the
    leg's previous utterance ended): a talker pausing inside a sentence is not cut there. The first utterance
    of a turn still ends after `min_silence_ms`, so a short answer in a dialogue is as fast as before. 0 = off
    (every utterance ends after `min_silence_ms`); else >= `min_silence_ms`. A call that sets its own endpoint
    (`start.endpoint_ms`, Deepgram's `endpointing`) gets exactly that one. Measured on the long readings
    (docs/accuracy-longform.md, 2-core EPYC): 16 kHz 6.6 -> 5.3 % (offline 5.7), 8 kHz 10.6 -> 10.1 %
    (13.5), 1-call final latency unchanged."""
    turn_gap_ms: int = 2000
    """How soon after the leg's previous utterance an utterance must start to continue the same turn."""
    min_speech_ms: int = 200
    """Shorter blips (clicks, coughs, 'mm') are discarded and never reach ASR. Raise it if Whisper
    hallucinates on them."""
    pre_roll_ms: int = 200
    """Audio kept before the detected onset, so soft word starts are not clipped."""
    pre_roll_ms_by_language: Mapping[str, int] = field(default_factory=lambda: {"nl": 300})
    """`pre_roll_ms` for the calls of one language. Dutch: 300 ms with the 300 ms post-roll below, measured
    on the Dutch clips (docs/accuracy-longform.md): 8 kHz 45.6 -> 43.5 %, 16 kHz 21.7 -> 22.8 % (offline
    45.6 / 28.3 %); telephone audio is the common case. English keeps 200: with 300 tiny.en looped on JFK."""
    post_roll_ms: int = 150
    """Audio kept after the last speech window, so word tails are not clipped; must be <= min_silence_ms."""
    post_roll_ms_by_language: Mapping[str, int] = field(default_factory=lambda: {"nl": 300})
    """`post_roll_ms` for the calls of one language. Dutch: 300 ms, because its soft word endings (a final
    -en, -e) fall under the speech threshold early and were cut ("hadden" heard as "gade"); measured on the
    Dutch clips (docs/accuracy-longform.md): 16 kHz 25.0 -> 21.7 %, 8 kHz 46.7 -> 45.6 % (offline 28.3 /
    45.6 %). English keeps 150: with 300, tiny.en added words after the tails."""
    early_final_ms: int = 200
    """Silence after which the utterance so far is decoded ahead of its endpoint (0 = off). If the endpoint
    comes with no more speech, that decode is the final (the same audio), so the final's decode overlaps the
    rest of `min_silence_ms` instead of following it; if speech resumes, the decode is discarded. The gateway
    asks for it only while the engine is mostly idle (`early_final_max_busy`) and nothing waits. Must be <
    `min_silence_ms`; the post-roll is always waited for."""
    early_final_max_busy: float = 0.4
    """Early finals only while the engine was busy less than this share of its workers' time (last 10 s). On
    2 cores (docs/capacity.md) they took 1 call's final p50 from 0.72-0.78 to 0.58-0.59 s, but at 8 calls the
    ones that speech made useless held a worker that another call's final then waited for. 0.25 shut them
    out at 2 calls (engine busy 28 %); 0.4 let them through there and stays shut at 8: capacity at p95 <= 1.2 s
    on the 2-core EPYC 1 -> 2 calls."""
    max_utterance_s: float = 15.0
    """Longer speech is force-split so finals keep coming; stay well under Whisper's 30 s window."""
    split_search_s: float = 4.0
    """A forced split cuts at the quietest window within the last this-many seconds; must be
    < max_utterance_s."""
    batch_calls: bool = True
    """Score the windows of every call's legs together, one onnxruntime run per event-loop turn (the
    gateway's `VadPump`), instead of one run per leg and frame. Same probabilities either way; measured on
    2 cores (docs/capacity.md): 235 us per window alone, 76 us in a batch of 16."""
    batch_window_ms: int = 20
    """With `batch_calls`: how long the first waiting leg waits for company before the batch is scored.
    Frames of different calls arrive spread out (32 calls at 20 ms frames: one every 0.6 ms), so a batch of
    one loop turn holds only a few legs; 20 ms gathers a frame of every call, and adds at most that to when
    an utterance's end is seen. 0 = the next loop turn."""

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise VadConfigError("threshold must be within (0, 1]")
        if not 0.0 <= self.neg_threshold <= self.threshold:
            raise VadConfigError("neg_threshold must be within [0, threshold]")
        pre_rolls = {"pre_roll_ms": self.pre_roll_ms}
        pre_rolls.update({f"pre_roll_ms_by_language.{k}": ms for k, ms in self.pre_roll_ms_by_language.items()})
        durations = {
            "min_silence_ms": self.min_silence_ms,
            "min_speech_ms": self.min_speech_ms,
            "turn_silence_ms": self.turn_silence_ms,
            "turn_gap_ms": self.turn_gap_ms,
            **pre_rolls,
            "post_roll_ms": self.post_roll_ms,
            "early_final_ms": self.early_final_ms,
        }
        for name, value in durations.items():
            if value < 0:
                raise VadConfigError(f"{name} must be >= 0")
        if not 0.0 <= self.early_final_max_busy <= 1.0:
            raise VadConfigError("early_final_max_busy must be within [0, 1]")
        if not 0 <= self.batch_window_ms <= 200:
            raise VadConfigError("batch_window_ms must be within [0, 200]")
        if self.min_silence_ms == 0:
            raise VadConfigError("min_silence_ms must be > 0 (an utterance needs an endpoint)")
        if 0 < self.turn_silence_ms < self.min_silence_ms:
            raise VadConfigError("turn_silence_ms must be >= min_silence_ms (0: off)")
        if self.early_final_ms >= self.min_silence_ms:
            raise VadConfigError("early_final_ms must be < min_silence_ms (0: off)")
        if self.post_roll_ms > self.min_silence_ms:
            raise VadConfigError("post_roll_ms must be <= min_silence_ms")
        for lang, ms in self.post_roll_ms_by_language.items():
            if not 0 <= ms <= self.min_silence_ms:
                raise VadConfigError(f"post_roll_ms_by_language.{lang} must be within [0, min_silence_ms]")
        if not 0.0 < self.split_search_s < self.max_utterance_s:
            raise VadConfigError("split_search_s must be > 0 and < max_utterance_s")
        for name, ms in pre_rolls.items():  # every call's utterance budget, whatever its language
            if self.max_utterance_s * 1000 <= ms + self.min_speech_ms + max(self.min_silence_ms, self.turn_silence_ms):
                raise VadConfigError(f"max_utterance_s must exceed {name} + min_speech_ms + turn_silence_ms")

    def for_language(self, language: str) -> VadConfig:
        """This config for a call in `language` (its `pre_roll_ms_by_language` and `post_roll_ms_by_language`
        entries, if any)."""
        pre = self.pre_roll_ms_by_language.get(language, self.pre_roll_ms)
        post = self.post_roll_ms_by_language.get(language, self.post_roll_ms)
        if (pre, post) == (self.pre_roll_ms, self.post_roll_ms):
            return self
        return dataclasses.replace(self, pre_roll_ms=pre, post_roll_ms=post)
