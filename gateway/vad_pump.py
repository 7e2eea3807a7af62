"""Cross-call VAD batching: every call's waiting leg audio scored in one onnxruntime run (async shell).

Theory of operation: a session in deferred-VAD mode (`CallSession(vad_pending=...)`) decodes a frame and
leaves its legs' 16 kHz audio waiting; it tells the pump, which schedules one run `window_s` later (or
for the next turn of the event loop). By then the frames of the other calls that arrived meanwhile have
been decoded too, so one `vad.endpointer.push_many` scores the windows of all those legs together; each session then
turns its legs' events into effects (finals, partials), which its driver applies. A batch holds
about one frame of every live call (the window is one frame long), and a window costs about a third in a
batch of 16 of what it costs alone; an utterance's end is seen at most `window_s` later. A session asked
for anything but audio settles its own waiting audio first (`CallSession.settle_vad`), so the order of
events per call never changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from gateway.core.effects import Effect
from gateway.core.session import CallSession, VadJob
from gateway.core.stages import StageClock
from vad.endpointer import VadEvent, push_many

log = structlog.get_logger("gateway.vad_pump")

Apply = Callable[[list[Effect]], None]


class VadPump:
    """One per runtime: sessions with audio waiting for VAD, scored together once per loop turn."""

    def __init__(self, stages: StageClock, window_s: float = 0.0) -> None:
        self.stages = stages
        self.window_s = window_s
        """How long the first waiting session waits for company (`VadConfig.batch_window_ms`)."""
        self._waiting: dict[int, tuple[CallSession, Apply]] = {}
        self._scheduled = False
        self.runs = 0
        """onnxruntime batches run so far (one per loop turn with work, more when a leg's audio has a gap)."""
        self.jobs = 0
        """Leg jobs scored so far (`jobs / runs` is the mean batch)."""

    def want(self, session: CallSession, apply: Apply) -> None:
        """`session` has audio waiting; its effects go to `apply` (the call's driver)."""
        self._waiting[id(session)] = (session, apply)
        if not self._scheduled:
            self._scheduled = True
            loop = asyncio.get_running_loop()
            if self.window_s > 0:
                loop.call_later(self.window_s, self._run)
            else:
                loop.call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        waiting = list(self._waiting.values())
        self._waiting.clear()
        while waiting:
            batch = [(session, apply, session.vad_jobs()) for session, apply in waiting]
            batch = [entry for entry in batch if entry[2]]
            if not batch:
                return
            jobs = [job for _, _, call_jobs in batch for job in call_jobs]
            with self.stages.timed("vad_pump"):
                events = push_many([(job.endpointer, job.audio, job.start) for job in jobs])
            self.runs += 1
            self.jobs += len(jobs)
            at = 0
            for session, apply, call_jobs in batch:
                self._deliver(session, apply, call_jobs, events[at : at + len(call_jobs)])
                at += len(call_jobs)
            waiting = [(session, apply) for session, apply, _ in batch if session.vad_waiting]

    @staticmethod
    def _deliver(session: CallSession, apply: Apply, jobs: list[VadJob], events: list[list[VadEvent]]) -> None:
        try:
            apply(session.vad_done(jobs, events))
        except Exception as exc:  # one call's failure must not stop the others' VAD
            log.error("vad_apply_failed", exc_info=exc)
