"""Where the gateway's time goes, by stage: wall seconds and counts, summed per process (pure).

Each stage is timed where it runs: on the event loop (`LOOP_STAGES`) or on an engine worker thread
(`ENGINE_STAGES`, from the engine's own per-batch timings). `/metrics` exports the sums as
`callscribe_stage_seconds_total{stage}`, and `python -m bench.profile` turns two scrapes into a profile. A
stage's seconds are wall time: an engine stage running on two threads uses up to two cores during its
seconds. The clock is injected; the default is `time.perf_counter`, which reads no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

LOOP_STAGES = ("wire_in", "session", "audio_decode", "vad", "vad_pump", "results", "wire_out", "listeners")
"""Event-loop stages: parsing client frames (`wire_in`), the session's handling of them (`session`, of which
`audio_decode` is G.711/PCM decoding with resampling and `vad` is silero with endpointing, where VAD runs
inside the session), VAD batched across calls (`vad_pump`, gateway.vad_pump), turning engine
results into messages (`results`: stabilising, redaction), encoding server frames (`wire_out`) and the
event bus's subscribers (`listeners`: store, captions fan-out, post-call work, cluster bridge)."""
ENGINE_STAGES = ("engine_features", "engine_encode", "engine_generate", "engine_fallback", "engine_align")
"""Engine stages (per batch, on the worker thread): mel features, encoder, decoding, fallback re-decodes,
word alignment."""
STAGES = LOOP_STAGES + ENGINE_STAGES
ENGINE_TIMINGS = {
    "features": "engine_features",
    "encode": "engine_encode",
    "generate": "engine_generate",
    "fallback": "engine_fallback",
    "align": "engine_align",
}
"""`DecodeResult.timings` keys -> stage names."""


class StageClock:
    """Running sums of seconds and counts per stage (one per runtime; not thread-safe: event loop only)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.counts: dict[str, int] = dict.fromkeys(STAGES, 0)

    def add(self, stage: str, seconds: float) -> None:
        if stage not in self.seconds:
            raise KeyError(f"unknown stage {stage!r}")
        self.seconds[stage] += seconds
        self.counts[stage] += 1

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        started = self._clock()
        try:
            yield
        finally:
            self.add(stage, self._clock() - started)

    def add_engine_timings(self, timings: Mapping[str, float]) -> None:
        """One batch's engine timings (`DecodeResult.timings`); keys it does not know are ignored."""
        for key, stage in ENGINE_TIMINGS.items():
            if key in timings:
                self.add(stage, timings[key])
