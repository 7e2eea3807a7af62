"""Calls known to this process: the live ones (for limits and shutdown) and recently ended ones (resume)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from protocol.messages import Final


@dataclass(slots=True)
class CallRecord:
    """What outlives a connection: sent finals (for `resume_from`) and the next seq number."""

    tenant: str
    call_id: str
    finals: list[Final] = field(default_factory=list)
    live: bool = True
    ended_at: float | None = None
    connections: int = 0
    counters: object | None = None  # the last connection's SessionCounters, for tests and metrics
    halted: bool = False  # a special-category stop holds for the rest of the call, across reconnects

    @property
    def next_seq(self) -> int:
        return self.finals[-1].seq + 1 if self.finals else 1


class CallRegistry:
    """Live and recently ended calls, keyed by (tenant, call_id). Ended calls expire after `ttl_s`."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._calls: dict[tuple[str, str], CallRecord] = {}

    @property
    def live(self) -> int:
        return sum(1 for r in self._calls.values() if r.live)

    def open(self, tenant: str, call_id: str) -> CallRecord | None:
        """Mark a call live; None when it is already streaming on another connection."""
        self._expire()
        record = self._calls.get((tenant, call_id))
        if record is not None and record.live:
            return None
        if record is None:
            record = CallRecord(tenant, call_id)
            self._calls[(tenant, call_id)] = record
        record.live, record.ended_at = True, None
        record.connections += 1
        return record

    def get(self, tenant: str, call_id: str) -> CallRecord | None:
        return self._calls.get((tenant, call_id))

    def close(self, record: CallRecord, erase: bool = False) -> None:
        """The connection ended; keep the finals for resumption unless the call is erased (declined)."""
        record.live, record.ended_at = False, self._clock()
        if erase:
            self._calls.pop((record.tenant, record.call_id), None)

    def _expire(self) -> None:
        now = self._clock()
        stale = [k for k, r in self._calls.items()
                 if not r.live and r.ended_at is not None and now - r.ended_at > self.ttl_s]
        for key in stale:
            del self._calls[key]
