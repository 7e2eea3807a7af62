"""Consent outcomes as counters, so an operator sees the opt-out rate per announcement version.

A bus listener (like the caption service and the store listener): every consent state change of a call
(`ConsentChanged`, the initial state excluded) is counted by (tenant, announcement version, state).
Only those three labels exist: never a caller, a call id or any text. The opt-out rate of an announcement is
`declined / (active + declined)` of its counters (the customer article reports about 8 %).
`ConsentOutcomes.attach(runtime)` subscribes it; `gateway.http.metrics` exports its counts.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from gateway.core.events import CallEvent, ConsentChanged

if TYPE_CHECKING:
    from gateway.runtime import Runtime

__all__ = ["ConsentOutcomes"]

_NONE = "none"


class ConsentOutcomes:
    """The listener: counts consent states per (tenant, announcement version, state)."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    @classmethod
    def attach(cls, runtime: Runtime) -> ConsentOutcomes:
        """Create one and subscribe it to the runtime's bus."""
        outcomes = cls()
        runtime.bus.subscribe(outcomes)
        return outcomes

    def __call__(self, event: CallEvent) -> None:
        if isinstance(event, ConsentChanged) and not event.initial:
            self.counts[(event.tenant, event.announcement or _NONE, str(event.state))] += 1
