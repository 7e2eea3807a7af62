"""Calls known to this process: the live ones, the dropped ones awaiting a resume, the ended ones (pure).

Theory of operation. A call (tenant, call_id) is `live` while a connection streams it. When the
connection ends the call is either *dropped* (the peer went away without ending it: it may resume
within `ttl_s`, its finals kept for `resume_from`) or *closed* for good (stop, hang-up, idle, shutdown,
declined). `expire(now)` returns the dropped calls whose resume window ran out: they are closed then,
so every call is closed exactly once. A closed call leaves a tombstone for `ttl_s` that refuses a new
connection with the same call_id, so that a later, unrelated call can never continue an ended one's
numbering or inherit its finals. `erase` forgets a call's finals at once (declined, erasure request).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from protocol.messages import ConsentStateName, Final, Start

Phase = Literal["live", "dropped", "closed"]


@dataclass(slots=True)
class CallRecord:
    """What outlives a connection: sent finals (for `resume_from`) and the next seq number."""

    tenant: str
    call_id: str
    finals: list[Final] = field(default_factory=list)
    raw_texts: list[str | None] = field(default_factory=list, repr=False)  # per final, before redaction
    phase: Phase = "live"
    ended_at: float | None = None
    connections: int = 0
    counters: object | None = None  # the last connection's SessionCounters, for tests and metrics
    halted: bool = False  # a special-category stop holds for the rest of the call, across reconnects
    start: Start | None = None  # the first connection's start (purposes, legs, language)
    started_at: float = 0.0  # wall-clock Unix seconds of the first connection
    consent: ConsentStateName = ConsentStateName.PENDING
    first_seq: int = 1  # the seq the next connection starts at when the finals were erased (or stored)
    takeover: Callable[[], None] | None = field(default=None, repr=False)  # asks the live connection to yield

    @property
    def live(self) -> bool:
        return self.phase == "live"

    @property
    def next_seq(self) -> int:
        return self.finals[-1].seq + 1 if self.finals else self.first_seq


class CallEndedError(Exception):
    """The call_id belongs to a call that has ended; a new call needs a new call_id."""


class CallRegistry:
    """Live, dropped and recently closed calls, keyed by (tenant, call_id); see the module doc."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._calls: dict[tuple[str, str], CallRecord] = {}

    @property
    def live(self) -> int:
        return sum(1 for r in self._calls.values() if r.live)

    def live_of(self, tenant: str) -> int:
        """Live calls of one tenant (per-tenant quotas)."""
        return sum(1 for r in self._calls.values() if r.live and r.tenant == tenant)

    def open(self, tenant: str, call_id: str) -> CallRecord | None:
        """Mark a call live; None when it is already streaming on another connection.

        Raises `CallEndedError` for a call closed less than `ttl_s` ago. Expired calls are not closed
        here (their `CallClosed` is the caller's to publish): call `expire` first.
        """
        record = self._calls.get((tenant, call_id))
        if record is not None and record.live:
            return None
        if record is not None and record.phase == "closed":
            raise CallEndedError(call_id)
        if record is None:
            record = CallRecord(tenant, call_id)
            self._calls[(tenant, call_id)] = record
        record.phase, record.ended_at = "live", None
        record.connections += 1
        return record

    def get(self, tenant: str, call_id: str) -> CallRecord | None:
        return self._calls.get((tenant, call_id))

    def drop(self, record: CallRecord) -> None:
        """The connection went away without ending the call: keep it for a resume within `ttl_s`."""
        record.phase, record.ended_at = "dropped", self._clock()

    def close(self, record: CallRecord, forget: bool = False) -> None:
        """The call is over for good; its tombstone refuses the call_id for `ttl_s` (`forget`: no tombstone,
        nothing of the call is kept, as after `declined`)."""
        record.phase, record.ended_at = "closed", self._clock()
        record.finals.clear()
        record.raw_texts.clear()
        if forget:
            self._calls.pop((record.tenant, record.call_id), None)

    def erase(self, tenant: str, call_id: str) -> bool:
        """Forget the call's finals now (a resume replays nothing); True when the call was known."""
        record = self._calls.get((tenant, call_id))
        if record is None:
            return False
        record.first_seq = record.next_seq
        record.finals.clear()
        record.raw_texts.clear()
        return True

    def expire(self, now: float | None = None) -> list[CallRecord]:
        """Forget stale calls; returns the dropped calls whose resume window ran out (now closed)."""
        now = self._clock() if now is None else now
        expired: list[CallRecord] = []
        for key, r in list(self._calls.items()):
            if r.live or r.ended_at is None or now - r.ended_at <= self.ttl_s:
                continue
            del self._calls[key]
            if r.phase == "dropped":
                r.phase = "closed"
                expired.append(r)
        return expired

    def dropped(self) -> list[CallRecord]:
        """Calls awaiting a resume (for shutdown: they are closed when the process ends)."""
        return [r for r in self._calls.values() if r.phase == "dropped"]
