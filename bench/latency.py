"""Latency, CPU and WER of N concurrent two-leg calls at real-time pace (the issue-2 measurement).

Superseded by `python -m bench run` (bench/cli.py), which adds the peers, capacity search, plots and the
per-utterance report; kept for the `make bench-latency` target.

    python -m bench.latency --calls 1 4 8 --out docs/latency-2core.json

Starts the gateway as a subprocess on the embedded models (or measures `--url` with `--pid` for CPU),
streams `synthetic_call_en.wav` (8 kHz stereo, left agent / right caller) N times concurrently in 20 ms
frames paced by the monotonic clock, with starts staggered over 2 s, and reports (DESIGN.md):
- partial lag: receive time of a partial minus the time its audio `end` had been sent;
- final latency: receive time of the last final of a reference turn minus the time the turn's reference
  end (the .tsv) had been sent;
- CPU seconds of the gateway process per audio minute (utime+stime from /proc), for all legs' audio;
- WER of the streamed finals per leg against the script, next to offline faster-whisper on each channel.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.audio import read_wav
from bench.client import CallRun, StreamOptions, stream_call
from bench.wer import wer

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
CALL = AUDIO / "synthetic" / "synthetic_call_en.wav"
SPEAKER = {"left": "agent", "right": "caller"}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def turns() -> list[dict[str, str]]:
    with CALL.with_suffix(".tsv").open() as f:
        return list(csv.DictReader(f, delimiter="\t"))


def measure(run: CallRun, ref: list[dict[str, str]]) -> dict[str, list[float]]:
    partial_lag = [r.at - run.sent_at(r.msg["end"]) for r in run.received if r.msg["type"] == "partial"]
    final_latency: list[float] = []
    for t in ref:
        leg, start, end = SPEAKER[t["channel"]], float(t["start_s"]), float(t["end_s"])
        mine = [r for r in run.received if r.msg["type"] == "final" and r.msg["leg"] == leg
                and start - 0.5 <= r.msg["start"] and r.msg["end"] <= end + 0.6]
        if mine:
            final_latency.append(max(r.at for r in mine) - run.sent_at(end))
    return {"partial_lag": partial_lag, "final_latency": final_latency}


async def scenario(url: str, token: str, n: int, pid: int | None, seed: int = 0) -> dict[str, Any]:
    clip = read_wav(CALL)
    ref = turns()
    cpu0 = cpu_seconds(pid) if pid else None

    offsets = [random.Random(seed * 1000 + i).uniform(0, 2.0) if n > 1 else 0.0 for i in range(n)]

    async def one(i: int) -> CallRun:
        await asyncio.sleep(offsets[i])  # staggered starts, reproducible per --seed
        # redaction off: "Sarah" -> "[NAME]" would count as a word error against the script
        return await stream_call(url, token, clip, StreamOptions(call_id=f"bench-{n}-{i}", pace=1.0,
                                                                 redaction="off"))

    t0 = time.monotonic()
    runs = await asyncio.gather(*(one(i) for i in range(n)))
    wall = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0 if pid and cpu0 is not None else None
    lags, lat = [], []
    for run in runs:
        m = measure(run, ref)
        lags += m["partial_lag"]
        lat += m["final_latency"]
    hyps = {leg: [" ".join(f["text"] for f in r.finals if f["leg"] == leg) for r in runs] for leg in SPEAKER.values()}
    refs = {leg: " ".join(t["text"] for t in ref if SPEAKER[t["channel"]] == leg) for leg in SPEAKER.values()}
    streamed_wer = wer([refs[leg] for leg in refs for _ in runs], [h for leg in refs for h in hyps[leg]])
    audio_min = n * clip.channels * clip.seconds / 60
    return {
        "calls": n, "legs": n * clip.channels, "wall_s": round(wall, 2),
        "turns_expected": n * len(ref), "turns_finalised": len(lat),
        "partials": len(lags),
        "partial_lag_p50": pct(lags, 50), "partial_lag_p95": pct(lags, 95),
        "final_latency_p50": pct(lat, 50), "final_latency_p95": pct(lat, 95), "final_latency_max": pct(lat, 100),
        "cpu_s_per_audio_min": round(cpu / audio_min, 2) if cpu is not None else None,
        "cores_used": round(cpu / wall, 2) if cpu is not None else None,
        "wer_streamed": round(streamed_wer, 3),
        "close_codes": sorted({r.close_code or 0 for r in runs}),
    }


def offline_wer() -> float:
    import soxr

    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine

    engine = WhisperEngine(EngineConfig(model="tiny.en"))
    clip, ref = read_wav(CALL), turns()
    refs, hyps = [], []
    for ch, name in enumerate(("left", "right")):
        audio = soxr.resample(clip.samples[:, ch].astype(np.float32) / 32768, clip.rate, 16000).astype(np.float32)
        hyps.append(engine.transcribe_offline(audio, "en"))
        refs.append(" ".join(t["text"] for t in ref if t["channel"] == name))
    return round(wer(refs, hyps), 3)


def start_gateway(port: int, token: str, extra: list[str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "--port", str(port), "--token", f"{token}:bench",
                             "--log-level", "warning", *extra], stderr=subprocess.DEVNULL)
    import urllib.request

    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gateway did not start")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.latency", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, nargs="+", default=[1, 4, 8])
    p.add_argument("--url", help="measure an already running gateway instead of starting one")
    p.add_argument("--pid", type=int, help="with --url: the gateway's pid, for CPU accounting")
    p.add_argument("--token", default="bench-token-0123456789")
    p.add_argument("--port", type=int, default=8097)
    p.add_argument("--out", type=Path)
    p.add_argument("--seed", type=int, nargs="+", default=[0], help="stagger seeds; one run per seed and N")
    p.add_argument("--gateway-arg", action="append", default=[], help="extra argument for the started gateway")
    args = p.parse_args(argv)
    proc = None
    url, pid = args.url, args.pid
    if url is None:
        proc = start_gateway(args.port, args.token, args.gateway_arg)
        url, pid = f"ws://127.0.0.1:{args.port}/v1/stream", proc.pid
    try:
        results = [asyncio.run(scenario(url, args.token, n, pid, seed)) | {"seed": seed}
                   for n in args.calls for seed in args.seed]
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    report = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
              "model": "tiny.en int8", "clip": CALL.name, "offline_wer": offline_wer(), "scenarios": results}
    cols = ["calls", "seed", "legs", "partial_lag_p50", "partial_lag_p95", "final_latency_p50", "final_latency_p95",
            "final_latency_max", "turns_finalised", "turns_expected", "cpu_s_per_audio_min", "cores_used",
            "wer_streamed"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    print(f"offline faster-whisper WER on the same channels: {report['offline_wer']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
