"""Final latency with the engine in the gateway vs on a Ray Serve pool, same machine, same calls:
`python -m bench.ray_compare --calls 1 4 8 --out docs/ray-vs-local-2core.json`.

Starts a local Ray instance and one Serve app of the model (`deploy/ray_whisper.py`) with `--replicas`
single-threaded CPU replicas, then runs `python -m bench run`'s scenario (the synthetic two-leg call, real
time) against two gateway processes in turn: one with the embedded engine (its defaults: on 2 cores two
single-threaded workers) and one with `--remote-backend ray` and `batcher.max_inflight` = the replicas.
Both decode the same batches with the same `WhisperEngine`; the difference is the hop (serialisation,
routing, the replica's queue) and Ray's own processes on the same cores. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bench.cli import DEFAULT_CLIP, DEFAULT_MANIFEST
from bench.manifest import load_manifest
from bench.pacing import Pacing
from bench.procstat import cpu_seconds
from bench.report import emit_json
from bench.runner import RunConfig, measure_system


def _config(calls: list[int], out: Path, gateway_args: list[str], seed: int, remote: bool = False) -> RunConfig:
    from asr.models import resolve_model

    # the Ray path names the model (the Serve app is `callscribe-asr-tiny.en`), the local one its directory
    return RunConfig(
        systems=("gateway",),
        calls=tuple(calls),
        items=tuple(load_manifest(DEFAULT_MANIFEST, [DEFAULT_CLIP], None)),
        model_name="tiny.en",
        model_dir=Path("tiny.en") if remote else Path(resolve_model("tiny.en")),
        cache=out,
        out=out,
        pacing=Pacing(20, 3.0),
        seed=seed,
        gateway_args=tuple(gateway_args),
        offline=False,
    )


def ray_cpu_seconds() -> float:
    """CPU seconds used so far by this machine's Ray processes (replicas `ray::...`, raylet, GCS)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if cmd.startswith(b"ray::") or b"raylet" in cmd or b"gcs_server" in cmd:
            total += cpu_seconds(Path(f"/proc/{entry}/stat"))
    return total


def _summary(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "calls": sc["calls"],
            "final_latency": {k: sc["overall"]["final_latency"][k] for k in ("n", "p50", "p95")},
            "partial_lag_p50": sc["overall"]["partial_lag"]["p50"],
            "completion": sc["overall"]["completion"],
            "cores_used": (sc.get("resources") or {}).get("cores_used"),
            "gateway_cpu_s_per_audio_min": (sc.get("resources") or {}).get("cpu_s_per_audio_min"),
            "audio_s": sc.get("audio_s"),
        }
        for sc in result["scenarios"]
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ray_compare", description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, nargs="+", default=[1, 4, 8])
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, default=Path("/tmp/callscribe-ray-compare"))
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    from deploy.ray_whisper import local_app

    report: dict[str, Any] = {"model": "tiny.en", "replicas": args.replicas, "seed": args.seed}
    report["local"] = _summary(
        asyncio.run(measure_system("gateway", _config(args.calls, args.work / "local", [], args.seed)))
    )
    with local_app("tiny.en", replicas=args.replicas, cpus=0.5, threads=1, workers=1):
        remote = ["--remote-backend", "ray", "--set", f"batcher.max_inflight={args.replicas}"]
        cfg = _config(args.calls, args.work / "ray", remote, args.seed, remote=True)
        before = ray_cpu_seconds()
        report["ray"] = _summary(asyncio.run(measure_system("gateway", cfg)))
        audio_min = sum(level["audio_s"] or 0 for level in report["ray"]) / 60
        # the replicas' CPU is outside the gateway's process tree: per audio minute over all levels (and the
        # warm-up call), beside the gateway's own
        report["ray_processes_cpu_s_per_audio_min"] = round((ray_cpu_seconds() - before) / audio_min, 2)
    emit_json(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
