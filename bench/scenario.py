"""One scenario: N concurrent real-time calls against one running system, measured end to end.

N workers each replay calls back to back from a shared queue holding max(N, clips) calls (clip i of the
manifest, round-robin), so N calls are live at any time and every clip is played at least once. Workers
start staggered over `stagger_s` (seeded) so that N calls do not all hit the same endpoint at once.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bench.audio import Clip, read_wav
from bench.manifest import WRAP_GAP_S, Item
from bench.metrics import CallMeasures, measure_call
from bench.pacing import Pacing
from bench.procstat import ResourceSampler
from bench.progress import Progress
from bench.servers import Server
from bench.summary import overall, per_call


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """What to replay and how hard."""

    calls: int
    items: tuple[Item, ...]
    pacing: Pacing
    stagger_s: float = 2.0
    seed: int = 7
    phases: str = "aligned"
    """`aligned`: every call plays its clip from the start, so N copies of one clip end their turns within
    `stagger_s` of each other (a burst of N finals: the worst case). `random`: each call starts at a
    seeded random cut point between turns (`Item.rotated`), as independent calls would be."""
    min_turns: int = 0
    """Replay more calls, in waves (each of the `calls` concurrent slots plays its calls back to back), until
    the scenario has at least this many reference turns: at 1 call a clip of 5 turns gives a p95 that is
    its slowest turn. A clip without turns counts as one."""

    def __post_init__(self) -> None:
        if self.calls < 1 or not self.items or self.stagger_s < 0 or self.min_turns < 0:
            raise ValueError("need calls >= 1, at least one item, stagger_s >= 0 and min_turns >= 0")
        if self.phases not in ("aligned", "random"):
            raise ValueError("phases must be 'aligned' or 'random'")

    @property
    def total_calls(self) -> int:
        base = max(self.calls, len(self.items))
        per_call = sum(max(1, len(i.turns)) for i in self.items) / len(self.items)
        need = math.ceil(self.min_turns / per_call)
        return base if need <= base else self.calls * math.ceil(need / self.calls)

    def expected_seconds(self) -> float:
        per_call = sum(i.seconds + self.pacing.tail_s for i in self.items) / len(self.items) / self.pacing.pace
        waves = -(-self.total_calls // self.calls)
        return waves * per_call + (self.stagger_s if self.calls > 1 else 0)


def load_clip(item: Item, cache: dict[str, Clip], rotate_s: float = 0.0) -> Clip:
    """The item's audio, cut to its (possibly truncated) length, started `rotate_s` in (see `Item.rotated`)."""
    if item.file not in cache:
        cache[item.file] = read_wav(item.path)
    clip = cache[item.file]
    frames = round(item.seconds * clip.rate)
    if frames < len(clip.samples):
        clip = Clip(clip.samples[:frames], clip.rate)
    if rotate_s:
        cut = round(rotate_s * clip.rate)
        gap = np.zeros((round(WRAP_GAP_S * clip.rate), *clip.samples.shape[1:]), dtype=clip.samples.dtype)
        clip = Clip(np.concatenate([clip.samples[cut:], gap, clip.samples[:cut]]), clip.rate)
    return clip


def phase_of(item: Item, spec: ScenarioSpec, rng: random.Random) -> float:
    """Where call `item` starts in its clip (0 unless `spec.phases` is random)."""
    if spec.phases != "random" or not item.turns:
        return 0.0
    return rng.choice(item.cut_points())


_SCENARIO_RUNS = itertools.count(1)


async def run_calls(server: Server, spec: ScenarioSpec, progress: Progress) -> list[CallMeasures]:
    """Replay the scenario's calls; returns their measures in call order."""
    queue: asyncio.Queue[tuple[int, Item]] = asyncio.Queue()
    for i in range(spec.total_calls):
        queue.put_nowait((i, spec.items[i % len(spec.items)]))
    clips: dict[str, Clip] = {}
    results: dict[int, CallMeasures] = {}
    rng = random.Random(spec.seed)
    run = next(_SCENARIO_RUNS)  # call ids are never reused: the gateway refuses the id of an ended call
    offsets = [0.0] + [rng.uniform(0, spec.stagger_s) for _ in range(spec.calls - 1)]
    phases = [phase_of(spec.items[i % len(spec.items)], spec, rng) for i in range(spec.total_calls)]

    async def worker(offset: float) -> None:
        await asyncio.sleep(offset)
        while not queue.empty():
            i, item = queue.get_nowait()
            clip = load_clip(item, clips, phases[i])
            item = item.rotated(phases[i])
            trace = await server.driver.call(item, clip, f"bench-{run}-{spec.calls}-{i}", spec.pacing, time.monotonic)
            results[i] = measure_call(item, trace)
            progress.done_calls += 1
            progress.failed_calls += 0 if trace.ok else 1
            progress.finals += sum(len(lt.finals) for lt in trace.legs.values())

    await asyncio.gather(*(worker(o) for o in offsets))
    return [results[i] for i in sorted(results)]


async def run_scenario(server: Server, spec: ScenarioSpec) -> dict[str, Any]:
    """Run one scenario with resource sampling and a progress line; returns its JSON-ready result."""
    progress = Progress(f"{server.name} N={spec.calls}", spec.total_calls, spec.expected_seconds())
    ticker = asyncio.create_task(progress.ticker())
    sampler = ResourceSampler(server.pid)
    sampler.start()
    t0 = time.monotonic()
    try:
        calls = await run_calls(server, spec, progress)
    finally:
        wall = time.monotonic() - t0
        sampler.stop()
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    langs = {i.file: i.lang for i in spec.items}
    by_file = {i.file: i for i in spec.items}
    audio_s = sum(by_file[c.file].seconds * by_file[c.file].channels for c in calls)
    return {
        "calls": spec.calls,
        "total_calls": len(calls),
        "wall_s": round(wall, 2),
        "audio_s": round(audio_s, 2),
        "load_avg_after": [round(v, 2) for v in os.getloadavg()],
        "overall": overall(calls, langs),
        "resources": sampler.summary(audio_s, wall),
        "per_call": [per_call(c, langs[c.file]) for c in calls],
        "per_utterance": [asdict(u) for c in calls for u in c.utterances],
        "raw": {
            "final_latency": [
                round(u.final_latency, 4) for c in calls for u in c.utterances if u.final_latency is not None
            ],
            "partial_lag": [round(v, 4) for c in calls for v in c.partial_lags],
        },
    }
