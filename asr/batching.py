"""The batching policy of the shared scheduler, without threads or event loops (pure).

Theory of operation: jobs from every call wait in one queue per engine. A batch is cut when the oldest
waiting job has waited `window_s`, or at once when a full batch is waiting or any final waits
while the engine is idle past the window. Finals always go ahead of partials, and a batch holds jobs of
one engine and one kind. Within a batch the calls take turns (round-robin, each call's jobs in their own
order, calls in the order of their oldest waiting job): a call that floods the queue with hundreds of
jobs gets one slot per turn, so it cannot push another call's final back by more than one batch. A newer
partial for a leg replaces the older one still waiting (the old one is returned to the caller as
`replaced`). Finals are never dropped; the queue bound applies to partials
(the oldest partial is shed) and to admission of new calls (`would_overload`).
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
    max_inflight: int = 1
    """Batches handed to the engines at once (each in its own worker thread). 1 = one batch at a time (CPU:
    the engine already uses every core); 2+ where engines are a pool or a GPU has room for overlap."""
    window_s: float = 0.010
    """How long the first waiting job may wait for company when the engine is idle. Jobs queue up on
    their own while the engine is busy, so this only matters at low load; keep it small."""
    max_pending: int = 256
    """Bound on waiting jobs; past it new calls are refused (`overloaded`) and old partials are shed."""

    def __post_init__(self) -> None:
        if self.max_batch < 1 or self.max_pending < 1 or self.window_s < 0 or self.max_inflight < 1:
            raise ValueError("max_batch, max_pending and max_inflight must be >= 1, window_s >= 0")


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

    def __len__(self) -> int:
        return len(self._finals) + len(self._partials)

    @property
    def finals_waiting(self) -> int:
        return len(self._finals)

    def would_overload(self) -> bool:
        return len(self) >= self.config.max_pending

    def submit(self, job: Job[T]) -> Job[T] | None:
        """Queue a job; returns a job it displaced (an older partial of the same leg, or a shed one)."""
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

    def next_deadline(self) -> float | None:
        """When the oldest job's batching window closes (None when nothing waits)."""
        oldest = [j.queued_at for j in (*self._finals, *self._partials.values())]
        return min(oldest) + self.config.window_s if oldest else None

    def take(self, now: float, force: bool = False) -> list[Job[T]]:
        """Cut the next batch if one is due at `now` (or at once with `force`); empty list otherwise."""
        if not len(self):
            return []
        full = len(self) >= self.config.max_batch
        deadline = self.next_deadline()
        if not (full or force) and deadline is not None and now < deadline:
            return []
        pool = self._finals if self._finals else list(self._partials.values())
        engine = min(pool, key=lambda j: j.queued_at).engine
        batch = round_robin([j for j in sorted(pool, key=lambda j: j.queued_at) if j.engine == engine],
                            self.config.max_batch)
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
