"""Capacity search: the largest number of concurrent real-time calls a system holds.

A level N "holds" when every call was accepted and ended cleanly, at least `min_completion` of the
reference turns got a final (a system that falls behind real time leaves turns unfinished by the end of
the drain), and the p95 final latency is within the target. The search doubles N from 1 until a level
fails (or `max_calls` holds), then bisects between the last level that held and the first that failed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Criteria:
    """What "held" means."""

    target_p95_s: float = 1.2
    """p95 final latency after the end of speech."""
    min_completion: float = 0.95
    """Share of reference turns that must get a final."""
    max_calls: int = 32
    """Stop doubling here."""

    def __post_init__(self) -> None:
        if self.target_p95_s <= 0 or not 0 < self.min_completion <= 1 or self.max_calls < 1:
            raise ValueError("target must be > 0, min_completion in (0, 1] and max_calls >= 1")


def verdict(result: Mapping[str, Any], criteria: Criteria) -> tuple[bool, str]:
    """Whether one scenario result held, and why not."""
    o = result["overall"]
    if o["calls_ok"] < o["calls"]:
        return False, f"{o['calls'] - o['calls_ok']} call(s) refused or failed"
    if o["completion"] is not None and o["completion"] < criteria.min_completion:
        return False, f"only {o['completion']:.0%} of turns finalised (behind real time)"
    p95 = o["final_latency"]["p95"]
    if p95 is None:
        return False, "no final latency measured"
    if p95 > criteria.target_p95_s:
        return False, f"p95 final latency {p95:.2f} s > {criteria.target_p95_s:.2f} s"
    return True, "held"


def next_level(tried: Mapping[int, bool], max_calls: int) -> int | None:
    """The next N to try given the levels tried so far (None: the search is over)."""
    held = [n for n, ok in tried.items() if ok]
    failed = [n for n, ok in tried.items() if not ok]
    best = max(held, default=0)
    worst = min((n for n in failed if n > best), default=None)
    if worst is None:
        if best >= max_calls:
            return None
        return min(max(1, best * 2), max_calls)
    if worst - best <= 1:
        return None
    return (best + worst) // 2


async def search(
    run: Callable[[int], Awaitable[dict[str, Any]]],
    criteria: Criteria,
    known: Mapping[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the search with `run(n)` (one scenario at n calls); `known` results are reused, not rerun."""
    tried: dict[int, bool] = {}
    probes: list[dict[str, Any]] = []
    known = dict(known or {})
    while (n := next_level(tried, criteria.max_calls)) is not None:
        result = known.pop(n, None) or await run(n)
        ok, why = verdict(result, criteria)
        tried[n] = ok
        o = result["overall"]
        probes.append(
            {
                "calls": n,
                "held": ok,
                "reason": why,
                "final_latency": o["final_latency"],
                "partial_lag": o["partial_lag"],
                "completion": o["completion"],
                "resources": result.get("resources"),
            }
        )
    return {
        "capacity": max((n for n, ok in tried.items() if ok), default=0),
        "target_p95_s": criteria.target_p95_s,
        "min_completion": criteria.min_completion,
        "max_calls": criteria.max_calls,
        "probes": sorted(probes, key=lambda p: p["calls"]),
    }
