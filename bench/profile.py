"""`python -m bench.profile`: where a gateway's time goes per stage, at N concurrent two-leg calls.

    python -m bench.profile --calls 8 16                       # starts its own gateway
    python -m bench.profile --calls 8 --background-load 1      # with one busy process beside it
    python -m bench.profile --url ws://host:8080/v1/stream --pid 1234 --calls 8   # a running gateway
    python -m bench.profile --calls 8 16 --out docs/profile-2core.json --docs docs/profile.md

For each level it scrapes `/metrics` before and after the scenario (the gateway's own stage clock,
`callscribe_stage_seconds_total{stage}`: see gateway.core.stages) and reads the CPU of every thread of the
gateway process from /proc: the event loop (the main thread) and the rest (the engine's workers with the
math library's thread pools, onnxruntime, the store's writer). A stage's share is its wall seconds
per wall second of the run (1.0 = one core all the time for a single-threaded stage); `loop_other` is the
main thread's CPU not covered by a loop stage (asyncio, websockets framing, timers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.background import BackgroundLoad
from bench.cli import DEFAULT_CLIP, DEFAULT_MANIFEST
from bench.manifest import load_manifest
from bench.pacing import Pacing
from bench.procstat import cpu_seconds
from bench.scenario import ScenarioSpec, run_scenario
from bench.servers import Server, start_gateway
from gateway.core.stages import ENGINE_STAGES, LOOP_STAGES

COUNTERS = (
    "callscribe_vad_runs",
    "callscribe_vad_jobs",
    "callscribe_finals_decoded",
    "callscribe_partials_decoded",
    "callscribe_partials_replaced",
    "callscribe_batches",
)
"""Counters read besides the stages (their increase over a level is reported as is)."""


def scrape_stages(metrics_url: str) -> dict[str, float]:
    """`callscribe_stage_seconds_total` by stage, the VAD pump's counters and the admission refusals by
    reason (`refused:<reason>`), from one scrape."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(metrics_url, timeout=10) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            if family.name == "callscribe_stage_seconds":
                out[sample.labels["stage"]] = float(sample.value)
            elif family.name == "callscribe_admission_refusals":
                out[f"refused:{sample.labels['reason']}"] = float(sample.value)
            elif family.name == "callscribe_fallback_finals":
                out[f"fallback:{sample.labels['reason']}"] = float(sample.value)
            elif family.name in COUNTERS:
                out[family.name.removeprefix("callscribe_")] = float(sample.value)
    return out


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far per thread group of `pid`: `loop` (the main thread, where the event loop runs) and
    `other` (the engine's workers and their math thread pools, onnxruntime, the store's writer: Python does
    not name its threads to the OS, so they are not told apart)."""
    out = {"loop": 0.0, "other": 0.0}
    for task in Path(f"/proc/{pid}/task").iterdir():
        out["loop" if int(task.name) == pid else "other"] += cpu_seconds(task / "stat")
    return out


def profile_level(
    before: tuple[dict[str, float], dict[str, float]],
    after: tuple[dict[str, float], dict[str, float]],
    wall_s: float,
) -> dict[str, Any]:
    """Per-stage and per-thread shares of one run from the two (stages, thread CPU) readings."""
    delta = {k: after[0].get(k, 0.0) - before[0].get(k, 0.0) for k in after[0]}
    names = tuple(c.removeprefix("callscribe_") for c in COUNTERS)
    counts = {k: v for k, v in delta.items() if k.startswith(("refused:", "fallback:")) or k in names}
    stages = {k: round(v / wall_s, 4) for k, v in delta.items() if k not in counts}
    cpu = {k: round((after[1][k] - before[1][k]) / wall_s, 3) for k in after[1]}
    loop_stages = sum(stages.get(k, 0.0) for k in LOOP_STAGES if k not in ("audio_decode", "vad"))
    stages["loop_other"] = round(max(cpu["loop"] - loop_stages, 0.0), 4)
    cores = round(sum(cpu.values()), 3)
    vad_batch = counts.pop("vad_jobs", 0.0) / counts.pop("vad_runs", 0.0) if counts.get("vad_runs") else None
    return {
        "wall_s": round(wall_s, 1),
        "stage_share": stages,
        "thread_cores": cpu,
        "cores": cores,
        "vad_mean_batch": round(vad_batch, 1) if vad_batch else None,
        "refusals": {k.removeprefix("refused:"): int(v) for k, v in counts.items() if k.startswith("refused:") and v},
        "decoded": {k: int(v) for k, v in counts.items() if not k.startswith("refused:")},  # incl. fallback:*
    }


async def measure(
    server: Server, metrics_url: str, calls: list[int], items: list[Any], seed: int, phases: str
) -> list[Any]:
    assert server.pid is not None
    warm = ScenarioSpec(1, tuple(items), Pacing(20, 1.0, pace=2.0), stagger_s=0, seed=seed)
    await run_scenario(server, warm)  # the first decodes allocate: keep them out of the first level
    out = []
    for n in calls:
        before = (scrape_stages(metrics_url), thread_cpu(server.pid))
        started = time.monotonic()
        spec = ScenarioSpec(n, tuple(items), Pacing(20, 3.0), stagger_s=2.0, seed=seed, phases=phases)
        result = await run_scenario(server, spec)
        wall = time.monotonic() - started
        after = (scrape_stages(metrics_url), thread_cpu(server.pid))
        level = profile_level(before, after, wall)
        o = result["overall"]
        level.update(
            calls=n,
            final_latency=o["final_latency"],
            partial_lag=o["partial_lag"],
            completion=o["completion"],
            calls_ok=o["calls_ok"],
        )
        missed = [u for u in result["per_utterance"] if u["final_latency"] is None]
        level["missed_turns"] = [{k: u[k] for k in ("call_id", "leg", "start", "end")} for u in missed]
        level["call_errors"] = {c["call_id"]: c["errors"] for c in result["per_call"] if c["errors"] or c["refused"]}
        out.append(level)
        print(json.dumps(level), file=sys.stderr)
    return out


def markdown(levels: list[dict[str, Any]], command: str) -> str:
    """The profile as a table: stages down, levels across."""

    def row(label: str, cells: list[str]) -> str:
        return f"| {label} | " + " | ".join(cells) + " |"

    rows = [row("stage", [f"{lv['calls']} calls" for lv in levels]), "|---|" + "---|" * len(levels)]
    for stage in (*LOOP_STAGES, "loop_other", *ENGINE_STAGES):
        label = f"&nbsp;&nbsp;{stage}" if stage in ("audio_decode", "vad") else stage
        rows.append(row(label, [f"{lv['stage_share'].get(stage, 0):.3f}" for lv in levels]))
    for group, label in (("loop", "CPU: event loop thread"), ("other", "CPU: engine and pool threads")):
        rows.append(row(label, [f"{lv['thread_cores'][group]:.2f}" for lv in levels]))
    rows.append(row("CPU: all (cores)", [f"{lv['cores']:.2f}" for lv in levels]))
    for key, label in (("final_latency", "final"), ("partial_lag", "partial lag")):
        rows.append(row(f"{label} p50 / p95 (s)", [f"{lv[key]['p50']} / {lv[key]['p95']}" for lv in levels]))
    rows.append(row("turns finalised", [f"{lv['completion']:.0%}" for lv in levels]))
    return f"`{command}`\n\n" + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--calls", type=int, nargs="+", default=[8, 16])
    p.add_argument("--url", help="a running gateway's stream URL (its /metrics is on the same host and port)")
    p.add_argument("--pid", type=int, help="with --url: the gateway's pid (for per-thread CPU)")
    p.add_argument("--token", default="bench-token-0123456789")
    p.add_argument("--gateway-arg", action="append", default=[], help="extra `python -m gateway` argument")
    p.add_argument("--background-load", type=int, default=0, metavar="N", help="N busy processes beside it")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--phases", choices=["aligned", "random"], default="aligned", help="as `python -m bench run`")
    p.add_argument("--out", type=Path, help="write the levels as JSON here")
    p.add_argument("--docs", type=Path, help="write the table (markdown) here")
    p.add_argument("--label", default="", help="a heading for --docs (e.g. before/after)")
    args = p.parse_args(argv)
    items = load_manifest(DEFAULT_MANIFEST, [DEFAULT_CLIP], None)
    if args.url:
        if args.pid is None:
            p.error("--url needs --pid")
        from bench.drivers import GatewayDriver

        server = Server("gateway", GatewayDriver(args.url, args.token), args.pid)
        base = args.url.replace("ws://", "http://").replace("wss://", "https://").split("/v1/")[0]
    else:
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-profile-{os.getpid()}.log"
        server = start_gateway(args.token, log, list(args.gateway_arg))
        base = server.driver.url.replace("ws://", "http://").split("/v1/")[0]  # type: ignore[attr-defined]
    try:
        with BackgroundLoad(args.background_load):
            levels = asyncio.run(measure(server, f"{base}/metrics", args.calls, items, args.seed, args.phases))
    finally:
        server.stop()
    command = "python -m bench.profile " + " ".join(argv if argv is not None else sys.argv[1:])
    report = {"command": command, "load_avg_after": os.getloadavg(), "levels": levels}
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(levels, command)
    if args.docs:
        heading = f"## {args.label}\n\n" if args.label else ""
        args.docs.write_text(heading + table)
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
