"""Measured engine load over a sliding window (pure): busy ratio and how long finals wait.

Admission uses it instead of a fixed call count: a new call is refused while the finals decoded in
the last `window_s` waited longer than the configured bound in the queue (the engine is behind), or,
with a latency target configured, while the p95 of the finals sent in that window is above it. With no batches in the
window (idle) nothing is refused.
"""

from __future__ import annotations

import math
from collections import deque


class LoadWindow:
    """Batches of the last `window_s` seconds: (end time, busy seconds, longest final wait)."""

    def __init__(self, window_s: float = 10.0) -> None:
        self.window_s = window_s
        self._batches: deque[tuple[float, float, float]] = deque()
        self._finals: deque[tuple[float, float]] = deque()

    def observe_final(self, sent_at: float, latency_s: float) -> None:
        """A final was sent `latency_s` after its request (the utterance's end) was made."""
        self._finals.append((sent_at, latency_s))

    def final_p95(self, now: float, least: int = 10) -> float | None:
        """p95 of the latency of the finals sent within the window; None with fewer than `least` of them."""
        while self._finals and self._finals[0][0] < now - self.window_s:
            self._finals.popleft()
        if len(self._finals) < least:
            return None
        ordered = sorted(latency for _, latency in self._finals)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]

    def observe(self, ended_at: float, busy_s: float, final_wait_s: float) -> None:
        """Record one batch (`final_wait_s`: its longest queue wait among finals, 0 for partials)."""
        self._batches.append((ended_at, busy_s, final_wait_s))

    def _prune(self, now: float) -> None:
        while self._batches and self._batches[0][0] < now - self.window_s:
            self._batches.popleft()

    def busy_ratio(self, now: float) -> float:
        """Share of the window the engine spent decoding (0..1; more than 1 with several in flight)."""
        self._prune(now)
        return sum(b for _, b, _ in self._batches) / self.window_s

    def final_wait(self, now: float) -> float:
        """The longest queue wait of a final decoded within the window (0 when none)."""
        self._prune(now)
        return max((w for _, _, w in self._batches), default=0.0)

    def overloaded(self, now: float, max_final_wait_s: float) -> bool:
        """Whether finals recently waited longer than `max_final_wait_s`: the engine is behind."""
        return self.final_wait(now) > max_final_wait_s


class PartialCadence:
    """How much new audio a leg needs before its next partial, from how late partials come back (pure).

    A running mean of the measured partial lag (request to partial sent, all calls) is compared with the
    target: at or under it the base interval holds; above it the interval grows in proportion (lag twice
    the target: twice the interval), capped at `max_s`. Fewer partials per leg free the engine for finals
    and for the partials still asked for, so the lag comes back down and the interval with it.
    """

    def __init__(self, base_s: float, target_lag_s: float, max_s: float, weight: float = 0.2) -> None:
        if base_s <= 0 or target_lag_s <= 0 or max_s < base_s or not 0 < weight <= 1:
            raise ValueError("need base_s > 0, target_lag_s > 0, max_s >= base_s and weight in (0, 1]")
        self.base_s, self.target_lag_s, self.max_s, self.weight = base_s, target_lag_s, max_s, weight
        self.mean_lag_s: float | None = None

    def observe(self, lag_s: float) -> None:
        """One partial's lag (seconds from its request to its sending)."""
        m = self.mean_lag_s
        self.mean_lag_s = lag_s if m is None else m + self.weight * (lag_s - m)

    def interval(self) -> float:
        """Seconds of new utterance audio between two partials of a leg, now."""
        if self.mean_lag_s is None:
            return self.base_s
        return min(self.max_s, self.base_s * max(1.0, self.mean_lag_s / self.target_lag_s))
