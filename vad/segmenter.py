"""Endpointing: per-window speech probabilities in, utterance start/end events out (pure, no model).

Theory of operation
-------------------
Window i covers samples [i*W, (i+1)*W) (W = 512 at 16 kHz). The segmenter is idle or has one open
utterance. While idle, a window with p >= threshold opens an utterance at that window (the onset);
while open, a window with p >= neg_threshold is speech (hysteresis) and anything lower is silence.

An utterance that starts at most `turn_gap_ms` after the previous one ended continues the talker's turn:
its endpoint needs `turn_silence_ms` of silence instead (when that is set and longer), so a pause inside a
sentence does not cut it. The first utterance of a turn, and any after a flush, ends after min_silence_ms;
the remainder of a forced split (below) keeps the endpoint of the utterance it was cut from.

An open utterance is *tentative* until it holds min_speech_ms of speech (onset to the end of its last
speech window); only then is `SpeechStart` emitted. A tentative utterance that ends is dropped without
an event, so blips never reach ASR. An utterance ends when its run of silence windows reaches
its endpoint silence: `SpeechEnd(reason="silence")`, emitted at that window.

Reported positions are samples: start = onset - pre_roll, never before the first fed sample nor before
the previous utterance's end (utterances never overlap); end = end of the last speech window +
post_roll, which post_roll <= min_silence_ms keeps inside the audio already fed.

While a confirmed utterance is silent for `early_final_ms` (at least its post-roll, and less than
min_silence_ms) `SpeechPause(start, end)` is emitted, once per run of silence: [start, end) is what its
`SpeechEnd` will be if no speech comes before the endpoint, so its final can be decoded ahead of it.

When an open utterance reaches max_utterance_s, it is cut at the window with the lowest probability
among the last split_search_s seconds, in that window's middle (but never past max_utterance_s, so
no part is longer): `SpeechEnd(reason="max_length")`
for the first part; the remainder starts exactly there, with no pre-roll, and is tentative again (it
usually already holds enough speech, so its `SpeechStart` follows in the same call). `flush()` closes
an open utterance at the last fed window (`reason="flush"`); `discard()` drops it silently.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from vad.config import VadConfig
from vad.errors import TimelineError

EndReason = Literal["silence", "max_length", "flush"]
_REASONS = ("silence", "max_length", "flush")


@dataclass(frozen=True, slots=True)
class SpeechStart:
    """An utterance began at sample `start` (pre-roll included) on the leg's 16 kHz clock."""

    start: int

    def __post_init__(self) -> None:
        if self.start < 0:
            raise ValueError("start must be >= 0")


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    """The utterance [start, end) ended (post-roll included), in samples on the leg's 16 kHz clock."""

    start: int
    end: int
    reason: EndReason

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError("need 0 <= start < end")
        if self.reason not in _REASONS:
            raise ValueError(f"unknown reason {self.reason!r}")


@dataclass(frozen=True, slots=True)
class SpeechPause:
    """The open utterance has been silent for `early_final_ms` (and its post-roll): were it to end with no
    more speech, its `SpeechEnd` would be exactly [start, end). Emitted once per silence run."""

    start: int
    end: int


SegmentEvent = SpeechStart | SpeechEnd | SpeechPause


@dataclass(slots=True)
class _Open:
    """Mutable state of the open utterance."""

    start: int  # reported start, in samples
    speech_from: int  # where min_speech is measured from, in samples
    last_speech: int  # index of the last speech window
    confirmed: bool = False  # SpeechStart emitted
    paused_after: int = -1  # last_speech when the latest SpeechPause was emitted
    silence: int = 0  # the silence, in samples, that ends it (min_silence, or turn_silence inside a turn)
    recent: deque[float] = field(default_factory=deque)  # probabilities of the last windows


class Segmenter:
    """Turns a leg's window probabilities into `SpeechStart` / `SpeechEnd` events (see module doc)."""

    def __init__(self, config: VadConfig, window: int = 512, rate: int = 16000) -> None:
        """Prepare an idle segmenter for windows of `window` samples at `rate` Hz."""
        if window <= 0 or rate <= 0:
            raise ValueError("window and rate must be > 0")
        self._cfg = config
        self._w = window
        self._min_silence = _samples(config.min_silence_ms, rate)
        self._turn_silence = max(self._min_silence, _samples(config.turn_silence_ms, rate))
        self._turn_gap = _samples(config.turn_gap_ms, rate)
        self._last_end: int | None = None  # where the last utterance ended (silence or split); None after a flush
        self._min_speech = _samples(config.min_speech_ms, rate)
        self._pre_roll = _samples(config.pre_roll_ms, rate)
        self._post_roll = _samples(config.post_roll_ms, rate)
        early = _samples(config.early_final_ms, rate)
        self._early = max(early, self._post_roll) if 0 < early < self._min_silence else None
        self._max_len = round(config.max_utterance_s * rate)
        self._search = max(1, math.ceil(config.split_search_s * rate / window))
        self._next: int | None = None  # index of the next window to feed
        self._floor = 0  # no utterance may start before this sample
        self._open: _Open | None = None

    @property
    def next_window(self) -> int | None:
        """Index of the window `feed` expects next (None before the first feed)."""
        return self._next

    def retain_from(self) -> int | None:
        """Earliest sample a future event can still reference (None before the first feed).

        Audio before it can be dropped: this is what keeps a silent leg's buffer at pre-roll size.
        """
        if self._open is not None:
            return self._open.start
        if self._next is None:
            return None
        return max(self._floor, self._next * self._w - self._pre_roll)

    def feed(self, probs: Sequence[float], first_window_index: int) -> list[SegmentEvent]:
        """Consume probabilities of consecutive windows starting at `first_window_index`.

        The first call may start at any index (audio before it is treated as absent); later calls must
        continue exactly where the previous one stopped, else `TimelineError`.
        """
        if self._next is None:
            if first_window_index < 0:
                raise TimelineError("first_window_index must be >= 0")
            self._floor = first_window_index * self._w
        elif first_window_index != self._next:
            raise TimelineError(f"expected window {self._next}, got {first_window_index}")
        self._next = first_window_index
        events: list[SegmentEvent] = []
        for p in probs:
            index = self._next
            self._next = index + 1
            self._step(index, float(p), events)
        return events

    def flush(self) -> list[SegmentEvent]:
        """Close the open utterance at the last fed window (reason "flush"); drop a tentative one."""
        opened, self._open = self._open, None
        self._last_end = None  # what follows a flush (finalize, a gap, hang-up) starts a turn
        if opened is None or not opened.confirmed or self._next is None:
            return []
        end = min(self._speech_end(opened), self._next * self._w)
        self._floor = end
        return [SpeechEnd(opened.start, end, "flush")]

    def discard(self) -> None:
        """Drop the open utterance without an event; later utterances never include its audio."""
        self._open = None
        self._last_end = None
        if self._next is not None:
            self._floor = max(self._floor, self._next * self._w)

    def _step(self, i: int, p: float, events: list[SegmentEvent]) -> None:
        u = self._open
        if u is None:
            if p >= self._cfg.threshold:
                start = max(self._floor, i * self._w - self._pre_roll)
                turn = self._last_end is not None and i * self._w - self._last_end <= self._turn_gap
                silence = self._turn_silence if turn else self._min_silence
                self._open = _Open(start, i * self._w, i, recent=deque([p], maxlen=self._search), silence=silence)
                self._confirm(self._open, events)
            return
        u.recent.append(p)
        if p >= self._cfg.neg_threshold:
            u.last_speech = i
            self._confirm(u, events)
        elif (i - u.last_speech) * self._w >= u.silence:
            self._open = None
            if u.confirmed:
                end = self._speech_end(u)
                self._floor = self._last_end = end
                events.append(SpeechEnd(u.start, end, "silence"))
            return
        elif (
            self._early is not None
            and u.confirmed
            and u.paused_after != u.last_speech
            and (i - u.last_speech) * self._w >= self._early
        ):
            u.paused_after = u.last_speech
            events.append(SpeechPause(u.start, self._speech_end(u)))
        if u.confirmed and (i + 1) * self._w - u.start >= self._max_len:
            self._split(u, i, events)

    def _confirm(self, u: _Open, events: list[SegmentEvent]) -> None:
        if not u.confirmed and (u.last_speech + 1) * self._w - u.speech_from >= self._min_speech:
            u.confirmed = True
            events.append(SpeechStart(u.start))

    def _split(self, u: _Open, i: int, events: list[SegmentEvent]) -> None:
        """Cut `u` (whose last window is `i`) in the middle of its quietest recent window."""
        recent = list(u.recent)
        # the latest of equally quiet windows, so the first part is as long as possible
        offset = len(recent) - 1 - min(range(len(recent)), key=lambda k: (recent[-1 - k], k))
        quietest = i - (len(recent) - 1) + offset
        cut = max(min(quietest * self._w + self._w // 2, u.start + self._max_len), u.start + 1)
        events.append(SpeechEnd(u.start, cut, "max_length"))
        self._floor = self._last_end = cut
        rest = _Open(
            cut, cut, u.last_speech, recent=deque(recent[offset + 1 :], maxlen=self._search), silence=u.silence
        )
        self._open = rest
        self._confirm(rest, events)

    def _speech_end(self, u: _Open) -> int:
        return (u.last_speech + 1) * self._w + self._post_roll


def _samples(ms: int, rate: int) -> int:
    return round(ms * rate / 1000)
