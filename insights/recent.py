"""The displayable insights of recently closed calls, in memory, for the captions page (bounded, expiring).

Only `schema.to_dict(insights)` (redacted text, no contact details) is kept; an erased call is forgotten.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from insights.model import Insights
from insights.schema import to_dict


class RecentInsights:
    def __init__(self, ttl_s: float = 600.0, max_calls: int = 1000, clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.max_calls, self.clock = ttl_s, max_calls, clock
        self._items: OrderedDict[tuple[str, str], tuple[float, dict[str, Any]]] = OrderedDict()

    def __call__(self, insights: Insights) -> None:
        """A worker listener: remember the call's displayable insights."""
        key = (insights.tenant, insights.call_id)
        self._items[key] = (self.clock() + self.ttl_s, to_dict(insights))
        self._items.move_to_end(key)
        while len(self._items) > self.max_calls:
            self._items.popitem(last=False)

    def get(self, tenant: str, call_id: str) -> dict[str, Any] | None:
        item = self._items.get((tenant, call_id))
        if item is None:
            return None
        if item[0] < self.clock():
            del self._items[(tenant, call_id)]
            return None
        return item[1]

    def forget(self, tenant: str, call_id: str) -> None:
        self._items.pop((tenant, call_id), None)
