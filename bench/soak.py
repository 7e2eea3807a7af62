"""`python -m bench.soak --minutes 3`: a bounded soak with call churn; RSS, fds, tasks, latency drift.

An in-process gateway (real tiny.en, real silero-vad, loopback) serves `--calls` concurrent real-time
calls; each streams a real clip at pace 1.0, stops, and a new call (new call_id) takes its place, for
`--minutes`. Every `--every` seconds the process's RSS and open fds, the number of asyncio tasks, the
gateway's registry size and the median final latency of that window are sampled. The process holds the
clients too (a few tasks and sockets per call, constant under churn): growth over time is the signal.
Writes JSON and a PNG plot (`--out PREFIX`: PREFIX.json, PREFIX.png).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
TOKEN = "bench-soak-token"
CLIPS = ("jfk.wav", "cmu_arctic_us_aew_a0001.wav", "librispeech_1272-128104-0000.wav", "cmu_arctic_us_aew_a0002.wav")


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def _caller(url: str, ids: itertools.count[int], deadline: float, latencies: list[tuple[float, float]]) -> int:
    """Call after call until the deadline; returns how many calls completed."""
    done = 0
    clips = [read_wav(AUDIO / "real" / name) for name in CLIPS]
    while time.monotonic() < deadline:
        n = next(ids)
        run = await stream_call(url, TOKEN, clips[n % len(clips)], StreamOptions(call_id=f"soak-{n}"))
        for r in run.received:
            if r.msg.get("type") == "final":
                latencies.append((r.at, r.at - run.sent_at(float(r.msg["end"]))))
        done += run.close_code == 1000
    return done


async def _sampler(
    runtime: Any, every: float, deadline: float, latencies: list[tuple[float, float]], samples: list[dict[str, float]]
) -> None:
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(every)
        now = time.monotonic()
        window = [lat for at, lat in latencies if at > now - every]
        samples.append(
            {
                "t_s": round(now - t0, 1),
                "rss_mb": round(_rss_mb(), 1),
                "fds": len(os.listdir("/proc/self/fd")),
                "tasks": len(asyncio.all_tasks()),
                "known_calls": len(runtime.registry._calls),
                "latency_p50_s": round(statistics.median(window), 3) if window else float("nan"),
            }
        )


async def _soak(minutes: float, calls: int, every: float) -> dict[str, Any]:
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine
    from gateway.config import ServerConfig
    from gateway.runtime import Runtime
    from gateway.server import GatewayServer
    from vad.silero import SileroModel

    engines = {"tiny.en": WhisperEngine(EngineConfig(model="tiny.en", cpu_threads=2))}
    runtime = Runtime(
        ServerConfig(port=0, tokens={TOKEN: "soak"}, multilingual_model=None, resume_ttl_s=10.0),
        engines,
        SileroModel.load(),
    )
    server = GatewayServer(runtime)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    deadline = time.monotonic() + minutes * 60
    latencies: list[tuple[float, float]] = []
    samples: list[dict[str, float]] = []
    ids = itertools.count()
    sampler = asyncio.create_task(_sampler(runtime, every, deadline, latencies, samples))
    completed = await asyncio.gather(*(_caller(url, ids, deadline, latencies) for _ in range(calls)))
    await sampler
    server.should_exit = True
    await serving
    return {
        "minutes": minutes,
        "concurrent_calls": calls,
        "calls_completed": sum(completed),
        "finals": len(latencies),
        "samples": samples,
    }


def plot(report: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = report["samples"]
    t = [x["t_s"] for x in s]
    fig, axes = plt.subplots(2, 2, figsize=(11, 6), sharex=True)
    for ax, key, label in zip(
        axes.flat,
        ("rss_mb", "fds", "tasks", "latency_p50_s"),
        ("RSS (MB)", "open fds", "asyncio tasks", "final latency p50 (s)"),
        strict=True,
    ):
        ax.plot(t, [x[key] for x in s], marker=".")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("time (s)")
    fig.suptitle(
        f"soak: {report['concurrent_calls']} real-time calls with churn, {report['calls_completed']} calls, "
        f"{report['finals']} finals"
    )
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=3.0)
    p.add_argument("--calls", type=int, default=2, help="concurrent real-time calls (each replaced when done)")
    p.add_argument("--every", type=float, default=5.0, help="sampling interval in seconds")
    p.add_argument("--out", type=Path, default=Path("soak"), help="output prefix (PREFIX.json, PREFIX.png)")
    args = p.parse_args(argv)
    from gateway.logs import configure

    configure("warning")
    report = asyncio.run(_soak(args.minutes, args.calls, args.every))
    s = report["samples"]
    if len(s) >= 2:
        report["drift"] = {k: round(s[-1][k] - s[0][k], 3) for k in ("rss_mb", "fds", "tasks", "known_calls")}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.out.with_suffix(".png"))
    print(json.dumps({k: v for k, v in report.items() if k != "samples"}, indent=2))
    return 0 if report["calls_completed"] else 1


if __name__ == "__main__":
    sys.exit(main())
