"""Random call phases for the capacity bench: a call rotated at a cut point keeps every turn whole (its
audio is where its reference says), and the background load really occupies a core."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bench.background import BackgroundLoad
from bench.manifest import WRAP_GAP_S, load_manifest
from bench.pacing import Pacing
from bench.procstat import cpu_seconds
from bench.progress import Progress
from bench.scenario import ScenarioSpec, load_clip, run_calls
from bench.servers import Server
from bench.trace import CallTrace

MANIFEST = Path(__file__).resolve().parents[3] / "shared" / "audio" / "manifest.tsv"


def test_a_rotated_call_keeps_its_turns_whole_and_its_audio_in_place() -> None:
    item = load_manifest(MANIFEST, ["synthetic/synthetic_call_en.wav"])[0]
    points = item.cut_points()
    assert points[0] == 0.0 and len(points) >= 3
    cache: dict[str, object] = {}
    original = load_clip(item, cache)  # type: ignore[arg-type]
    for at in points[1:]:
        rotated = item.rotated(at)
        clip = load_clip(item, cache, at)  # type: ignore[arg-type]
        assert len(clip.samples) == len(original.samples) + round(WRAP_GAP_S * clip.rate)
        assert rotated.seconds == pytest.approx(item.seconds + WRAP_GAP_S)
        assert sorted(t.text for t in rotated.turns) == sorted(t.text for t in item.turns)
        for old in item.turns:
            new = next(t for t in rotated.turns if t.text == old.text and t.leg == old.leg)
            assert new.end - new.start == pytest.approx(old.end - old.start, abs=1e-3)
            assert new.start >= 0 and new.end <= rotated.seconds
            ch = item.legs.index(old.leg)
            first, cut = round(old.start * clip.rate), round(at * clip.rate)
            moved = first - cut if first >= cut else first - cut + len(clip.samples)
            assert abs(new.start * clip.rate - moved) <= clip.rate / 1000  # the reference moved with it
            a = original.samples[first : round(old.end * clip.rate), ch]
            assert np.array_equal(a, clip.samples[moved : moved + len(a), ch])  # the turn's audio, whole
    with pytest.raises(Exception, match="cut point"):
        item.rotated(1.0)


def test_background_load_runs_a_busy_process_and_stops_it() -> None:
    import os

    with BackgroundLoad(1) as load:
        (pid,) = load.pids
        start = cpu_seconds(Path(f"/proc/{pid}/stat"))
        time.sleep(0.5)
        assert cpu_seconds(Path(f"/proc/{pid}/stat")) - start > 0.2  # it burns CPU
    assert not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_profile_level_shares_are_per_wall_second_and_loop_other_is_the_rest() -> None:
    from bench.profile import markdown, profile_level

    before = (
        {"vad_pump": 1.0, "session": 2.0, "engine_encode": 5.0, "refused:engine_load": 0.0},
        {"loop": 10.0, "other": 20.0},
    )
    after = (
        {"vad_pump": 3.0, "session": 3.0, "engine_encode": 15.0, "refused:engine_load": 2.0},
        {"loop": 14.0, "other": 36.0},
    )
    level = profile_level(before, after, wall_s=10.0)
    assert level["stage_share"]["vad_pump"] == pytest.approx(0.2)
    assert level["stage_share"]["engine_encode"] == pytest.approx(1.0)
    assert level["thread_cores"] == {"loop": 0.4, "other": 1.6} and level["cores"] == pytest.approx(2.0)
    assert level["stage_share"]["loop_other"] == pytest.approx(0.4 - 0.2 - 0.1)
    assert level["refusals"] == {"engine_load": 2}
    level.update(calls=8, final_latency={"p50": 0.4, "p95": 0.5}, partial_lag={"p50": 0.1, "p95": 0.2}, completion=1.0)
    table = markdown([level], "python -m bench.profile --calls 8")
    assert "| vad_pump | 0.200 |" in table and "| final p50 / p95 (s) | 0.4 / 0.5 |" in table


class _CountingDriver:
    """A driver that plays nothing: it records how many calls run at once and which phases they got."""

    def __init__(self) -> None:
        self.running = self.most = 0
        self.starts: list[float] = []

    async def call(self, item: Any, clip: Any, call_id: str, pacing: Any, clock: Any) -> CallTrace:
        self.running += 1
        self.most = max(self.most, self.running)
        self.starts.append(item.turns[0].start if item.turns else 0.0)
        await asyncio.sleep(0.01)
        self.running -= 1
        return CallTrace.empty(call_id, item.file, item.legs)


@pytest.mark.asyncio
async def test_min_turns_replays_calls_in_waves_at_the_same_concurrency() -> None:
    item = load_manifest(MANIFEST, ["synthetic/synthetic_call_en.wav"])[0]
    turns = len(item.turns)
    spec = ScenarioSpec(2, (item,), Pacing(), stagger_s=0, seed=3, phases="random", min_turns=8 * turns)
    assert spec.total_calls == 8
    assert ScenarioSpec(2, (item,), Pacing(), min_turns=9 * turns).total_calls == 10  # whole waves
    assert ScenarioSpec(4, (item,), Pacing(), min_turns=turns).total_calls == 4  # enough already
    driver = _CountingDriver()
    calls = await run_calls(Server("fake", driver, None), spec, Progress("fake", spec.total_calls, 1.0))  # type: ignore[arg-type]
    assert len(calls) == 8 and driver.most == 2
    assert len(set(driver.starts)) > 1  # each replayed call draws its own phase
    with pytest.raises(ValueError, match="min_turns"):
        ScenarioSpec(1, (item,), Pacing(), min_turns=-1)
