"""Per-connection fairness: how long to stop reading a peer that sends audio faster than real time (pure).

A call may send `burst_s` of audio ahead of the wall clock at once (a reconnect catching up, a file
upload's first seconds); beyond that it may run at most `speed` times real time. `AudioPacer.delay`
says how long the transport should stop reading the peer so that the call falls back within that
envelope: the shell does not read the socket meanwhile, so TCP flow control throttles the sender
(back-pressure) and the engine queue never fills with one connection's backlog.
"""

from __future__ import annotations


class AudioPacer:
    """Allowed audio at wall time t (seconds since the first audio): `burst_s + speed * t`."""

    def __init__(self, burst_s: float, speed: float) -> None:
        self.burst_s = burst_s
        self.speed = speed
        self._t0: float | None = None
        self.throttled_s = 0.0
        """Total time the peer was not read (for the call's log line and metrics)."""

    def delay(self, audio_s: float, now: float) -> float:
        """Seconds to stop reading now, given `audio_s` of audio received so far (0 when within bounds)."""
        if self._t0 is None:
            self._t0 = now
        allowed = self.burst_s + self.speed * (now - self._t0)
        wait = (audio_s - allowed) / self.speed if audio_s > allowed else 0.0
        self.throttled_s += wait
        return wait
