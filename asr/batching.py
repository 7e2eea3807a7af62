"""The batching policy of the shared scheduler, without threads or event loops (pure).

Theory of operation: jobs from every call wait in one queue per engine. A batch is cut when the oldest
waiting job has waited `window_s`, or at once when a full batch is waiting or any final waits
while the engine is idle past the window. Finals always go ahead of partials, partials ahead of file
work (kind "file": one window of a recorded file, always a batch of its own), and a batch holds jobs of
one engine and one kind. Within a batch the calls take turns (round-robin, each call's jobs in their own
order, calls in the order of their oldest waiting job): a call that floods the queue with hundreds of
jobs gets one slot per turn, so it cannot push another call's final back by more than one batch. A live
final waits behind at most one file job; and while live jobs keep coming (one within `live_quiet_s`),
file work is paused after each job so that it takes at most `file_share` of the engine's time. A newer
partial for a leg replaces the older one still waiting (the old one is returned to the caller as
`replaced`). Finals are never dropped; the queue bound applies to partials (the oldest partial is shed)
and to admission of new calls (`would_overload`, which counts live jobs only).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BatcherConfig:
    """Scheduler knobs, each with a line of advice."""

    max_batch: int = 16
    """Most requests in one engine call. CPU: 8-16 is plenty; GPU: 32-64 for large models."""
    max_partial_batch: int = 4
    """Most partials in one engine call (0 = `max_batch`). A partial batch holds its worker until it is done,
    and a final that arrives meanwhile may wait for it: at 32 calls on 2 cores (docs/capacity.md) a batch of
    16 partials held a worker about 1 s; with 4, final p95 went from 2.1 to 1.4-1.6 s, and partial lag p50
    from 0.66 to 0.50 s once the first partial stretched under load too. CPU: 4; GPU: as `max_batch`."""
    max_inflight: int = 0
    """Batches handed to the engines at once (each in its own worker thread). 0 = auto: the most `workers`
    any engine has (`EngineConfig.workers`; 1 for an engine that does not say). 1 = one batch at a time;
    more where engines are a pool (Ray: replicas x max_ongoing_requests) or a GPU has room for overlap."""
    window_s: float = 0.010
    """How long the first waiting job may wait for company when the engine is idle. Jobs queue up on
    their own while the engine is busy, so this only matters at low load; keep it small."""
    max_pending: int = 256
    """Bound on waiting jobs; past it new calls are refused (`overloaded`) and old partials are shed."""
    file_share: float = 0.1
    """While live jobs keep coming, the most engine time file work may take (each file window is followed by
    a pause of window time x (1/share - 1)). A live final that arrives during a window waits for it, so this
    bounds how many finals do. 1.0 = files take every idle moment."""
    live_quiet_s: float = 1.0
    """After this long without a live job, file work runs unthrottled (no call is speaking)."""

    def __post_init__(self) -> None:
        if self.max_partial_batch < 0:
            raise ValueError("max_partial_batch must be >= 0 (0: max_batch)")
        if self.max_batch < 1 or self.max_pending < 1 or self.window_s < 0 or self.max_inflight < 0:
            raise ValueError("max_batch and max_pending must be >= 1, max_inflight >= 0 (auto) and window_s >= 0")
        if not 0 < self.file_share <= 1 or self.live_quiet_s < 0:
            raise ValueError("file_share, live_quiet_s: file_share must be within (0, 1] and live_quiet_s >= 0")


@dataclass(slots=True)
class Job(Generic[T]):
    """A queued unit of work. `leg_key` identifies the call leg; `payload` is opaque here."""

    engine: str
    kind: str
    leg_key: Hashable
    call_id: str
    payload: T
    queued_at: float
    replaced: bool = field(default=False)


class BatchQueue(Generic[T]):
    """Waiting jobs and the rule that cuts them into batches."""

    def __init__(self, config: BatcherConfig) -> None:
        self.config = config
        self._finals: list[Job[T]] = []
        self._partials: dict[Hashable, Job[T]] = {}
        self._files: list[Job[T]] = []
        self._last_live = float("-inf")  # when the last live job was queued
        self._file_next_at = float("-inf")  # when throttled file work may run again

    def __len__(self) -> int:
        return len(self._finals) + len(self._partials) + len(self._files)

    @property
    def files_waiting(self) -> int:
        return len(self._files)

    @property
    def finals_waiting(self) -> int:
        return len(self._finals)

    def would_overload(self) -> bool:
        return len(self._finals) + len(self._partials) >= self.config.max_pending

    def submit(self, job: Job[T]) -> Job[T] | None:
        """Queue a job; returns a job it displaced (an older partial of the same leg, or a shed one)."""
        if job.kind == "file":
            self._files.append(job)
            return None
        self._last_live = max(self._last_live, job.queued_at)
        if job.kind == "final":
            self._finals.append(job)
            return None
        old = self._partials.pop(job.leg_key, None)
        self._partials[job.leg_key] = job
        if old is None and len(self) > self.config.max_pending and len(self._partials) > 1:
            oldest = min(self._partials.values(), key=lambda j: j.queued_at)
            old = self._partials.pop(oldest.leg_key)
        if old is not None:
            old.replaced = True
        return old

    def file_done(self, started: float, ended: float) -> None:
        """A file job ran from `started` to `ended`: while live jobs come, pause file work to keep its share."""
        self._file_next_at = ended + (ended - started) * (1 / self.config.file_share - 1)

    def _live_deadline(self) -> float | None:
        oldest = [j.queued_at for j in (*self._finals, *self._partials.values())]
        return min(oldest) + self.config.window_s if oldest else None

    def _file_ready_at(self) -> float | None:
        """When the first file job may run if no live job waits by then (throttled while calls speak)."""
        if not self._files:
            return None
        unthrottled = min(self._last_live + self.config.live_quiet_s, self._file_next_at)
        return max(self._files[0].queued_at + self.config.window_s, unthrottled)

    def next_deadline(self) -> float | None:
        """When the next batch is due (None when nothing waits)."""
        due = [t for t in (self._live_deadline(), self._file_ready_at()) if t is not None]
        return min(due) if due else None

    def take(self, now: float, force: bool = False, partials: bool = True) -> list[Job[T]]:
        """Cut the next batch if one is due at `now` (or at once with `force`); empty list otherwise.

        `partials` False: only finals may be taken now (the scheduler keeps a worker free for them)."""
        if not partials and not self._finals and not force:
            return []
        live = len(self._finals) + len(self._partials)
        if not live:
            ready = self._file_ready_at()
            if ready is None or (now < ready and not force):
                return []
            return [self._files.pop(0)]  # file work: one job per batch, only when no live job waits
        deadline = self._live_deadline()
        if not (live >= self.config.max_batch or force) and deadline is not None and now < deadline:
            return []
        pool = self._finals if self._finals else list(self._partials.values())
        engine = min(pool, key=lambda j: j.queued_at).engine
        limit = self.config.max_batch
        if pool is not self._finals and self.config.max_partial_batch:
            limit = min(limit, self.config.max_partial_batch)
        batch = round_robin([j for j in sorted(pool, key=lambda j: j.queued_at) if j.engine == engine], limit)
        taken = {id(j) for j in batch}
        if pool is self._finals:
            self._finals = [j for j in self._finals if id(j) not in taken]
        else:
            for j in batch:
                del self._partials[j.leg_key]
        return batch


def round_robin(jobs: list[Job[T]], limit: int) -> list[Job[T]]:
    """Up to `limit` of `jobs` (oldest first), taking one job per call per turn (see the module doc)."""
    by_call: dict[str, list[Job[T]]] = {}
    for job in jobs:
        by_call.setdefault(job.call_id, []).append(job)
    queues = list(by_call.values())  # in the order of each call's oldest job
    picked: list[Job[T]] = []
    turn = 0
    while len(picked) < limit and queues:
        queues = [q for q in queues if len(q) > turn]
        for queue in queues:
            if len(picked) == limit:
                break
            picked.append(queue[turn])
        turn += 1
    return picked
