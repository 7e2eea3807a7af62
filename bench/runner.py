"""A whole benchmark run: every system in turn, started, warmed up, measured at each concurrency, searched
for capacity, and stopped; the report is rewritten after each system so a long run keeps what it has."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import capacity, peers
from bench.background import BackgroundLoad
from bench.deepgram_driver import DeepgramDriver
from bench.drivers import GatewayDriver
from bench.errors import BenchError
from bench.manifest import Item
from bench.offline import offline_report, offline_texts
from bench.pacing import Pacing
from bench.scenario import ScenarioSpec, run_scenario
from bench.servers import Server, start_gateway, start_peer
from protocol.messages import RedactionPolicy

DISPLAY = {
    "gateway": "callscribe gateway (this project)",
    "whisperlive": peers.WHISPERLIVE.display,
    "whisperlivekit": peers.WHISPERLIVEKIT.display,
    "deepgram": "Deepgram live API (any compatible endpoint: --deepgram-url)",
}


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one `python -m bench run` does."""

    systems: tuple[str, ...]
    calls: tuple[int, ...]
    items: tuple[Item, ...]
    model_name: str
    model_dir: Path
    cache: Path
    out: Path
    pacing: Pacing = field(default_factory=Pacing)
    accuracy_items: tuple[Item, ...] = ()
    stagger_s: float = 2.0
    seed: int = 7
    phases: str = "aligned"
    """Where each call starts in its clip (`bench.scenario.ScenarioSpec.phases`)."""
    min_turns: int = 0
    """Each level replays calls in waves until it has this many turns (`ScenarioSpec.min_turns`)."""
    background_load: int = 0
    """CPU-bound processes run beside the systems for the whole run (`bench.background`)."""
    criteria: capacity.Criteria | None = None
    url: str | None = None
    token: str = "bench-token-0123456789"
    pid: int | None = None
    gateway_args: tuple[str, ...] = ()
    redaction: RedactionPolicy | None = RedactionPolicy.OFF
    warmup: bool = True
    offline: bool = True
    deepgram_url: str | None = None
    """The `deepgram` system: a Deepgram-compatible `/v1/listen` URL (callscribe's own, or a peer's)."""
    deepgram_key: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "systems": list(self.systems),
            "calls": list(self.calls),
            "clips": [i.file for i in self.items],
            "clip_seconds": [i.seconds for i in self.items],
            "accuracy_clips": [i.file for i in self.accuracy_items],
            "pacing": dataclasses.asdict(self.pacing),
            "stagger_s": self.stagger_s,
            "seed": self.seed,
            "phases": self.phases,
            "min_turns": self.min_turns,
            "background_load": self.background_load,
            "target_p95_s": self.criteria.target_p95_s if self.criteria else None,
            "external_url": self.url,
            "gateway_args": list(self.gateway_args),
            "gateway_redaction": self.redaction or "deployment default",
        }


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_system(name: str, cfg: RunConfig) -> Server:
    """Start (or attach to) one system."""
    logs = cfg.out / "logs"
    if name == "deepgram":
        if not cfg.deepgram_url:
            raise BenchError("the deepgram system needs --deepgram-url (and --deepgram-key)")
        return Server("deepgram", DeepgramDriver(cfg.deepgram_url, cfg.deepgram_key or cfg.token), cfg.pid)
    if name == "gateway":
        if cfg.url:
            return Server("gateway", GatewayDriver(cfg.url, cfg.token, redaction=cfg.redaction), cfg.pid)
        args = ["--english-model", str(cfg.model_dir), *cfg.gateway_args]
        if all(i.lang == "en" for i in cfg.items + cfg.accuracy_items) and "--multilingual-model" not in args:
            args += ["--multilingual-model", "none"]
        return start_gateway(cfg.token, logs / "gateway.log", args, cfg.redaction)
    warm = next((i.path for i in cfg.items + cfg.accuracy_items if i.channels == 1), cfg.items[0].path)
    most = max((64, *cfg.calls, cfg.criteria.max_calls if cfg.criteria else 0))
    return start_peer(name, cfg.cache, cfg.model_dir, warm, cfg.items[0].lang, most, logs / f"{name}.log")


def _spec(cfg: RunConfig, n: int, items: tuple[Item, ...] | None = None) -> ScenarioSpec:
    return ScenarioSpec(n, items or cfg.items, cfg.pacing, cfg.stagger_s, cfg.seed, cfg.phases, cfg.min_turns)


async def _warm_up(server: Server, cfg: RunConfig) -> None:
    item = min(cfg.items + cfg.accuracy_items, key=lambda i: i.seconds)
    spec = ScenarioSpec(1, (item,), dataclasses.replace(cfg.pacing, pace=2.0, tail_s=1.0), 0)
    _say(f"[{server.name}] warm-up call ({item.file})")
    await run_scenario(server, spec)


async def measure_system(name: str, cfg: RunConfig) -> dict[str, Any]:
    """All measurements of one system (or the reason it could not be measured)."""
    result: dict[str, Any] = {"display": DISPLAY[name], "scenarios": []}
    t0 = time.monotonic()
    try:
        server = start_system(name, cfg)
    except (BenchError, OSError) as exc:
        _say(f"[{name}] not measured: {exc}")
        return {**result, "error": str(exc)}
    try:
        result["startup_s"] = round(time.monotonic() - t0, 1)
        if cfg.warmup:
            await _warm_up(server, cfg)
        for n in cfg.calls:
            result["scenarios"].append(await run_scenario(server, _spec(cfg, n)))
        if cfg.accuracy_items:
            result["accuracy"] = await run_scenario(server, _spec(cfg, 1, cfg.accuracy_items))
        if cfg.criteria is not None:
            known = {sc["calls"]: sc for sc in result["scenarios"]}

            async def probe(n: int) -> dict[str, Any]:
                return await run_scenario(server, _spec(cfg, n))

            result["capacity"] = await capacity.search(probe, cfg.criteria, known)
    finally:
        server.stop()
    return result


async def run_all(cfg: RunConfig, machine: dict[str, Any], save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Measure every configured system; `save(report)` is called after each one."""
    report: dict[str, Any] = {
        "tool": "callscribe bench",
        "machine": machine,
        "config": cfg.describe(),
        "model": {"name": cfg.model_name, "dir": str(cfg.model_dir), "compute_type": "int8"},
        "systems": {},
        "offline": None,
    }
    if cfg.offline:
        items = cfg.items + tuple(i for i in cfg.accuracy_items if i not in cfg.items)
        _say("offline faster-whisper baseline ...")
        texts = offline_texts(items, str(cfg.model_dir), cfg.cache)
        report["offline"] = offline_report(items, texts)
        report["offline"]["wer_calls"] = offline_report(cfg.items, texts)["wer"]
        if cfg.accuracy_items:
            report["offline"]["wer_accuracy"] = offline_report(cfg.accuracy_items, texts)["wer"]
    with BackgroundLoad(cfg.background_load):
        for name in cfg.systems:
            report["systems"][name] = await measure_system(name, cfg)
            save(report)
    return report


def save_json(report: dict[str, Any], path: Path) -> None:
    """Write the report as JSON (atomically enough for a benchmark)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1))
    tmp.replace(path)
