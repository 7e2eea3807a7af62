"""The added latency of the Ray hop: the same batches decoded by the local engine and through a Ray Serve
CPU replica of the same model on the same machine (`python -m bench.ray_hop --batches 20`).

Both paths decode identical requests (speech from the shared clips, cut to `--seconds`); the Ray path adds
serialisation of the audio, the handle's routing and the replica's queue. Reported per batch size: median
and p95 wall seconds of a batch, local vs Ray, and their difference. Numbers depend on the machine's load:
run it on a quiet machine and say which.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from asr.config import EngineConfig
from asr.types import DecodeRequest, Transcriber
from bench.audio import read_wav
from bench.report import emit_json

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio" / "real" / "jfk.wav"


def _requests(size: int, seconds: float) -> list[DecodeRequest]:
    clip = read_wav(AUDIO)
    mono = clip.samples if clip.samples.ndim == 1 else clip.samples[:, 0]
    audio = (mono[: int(seconds * clip.rate)].astype(np.float32) / 32768.0).astype(np.float32)
    return [DecodeRequest(f"c{i}", "caller", "final", audio, "en") for i in range(size)]


def _time(engine: Transcriber, requests: list[DecodeRequest], batches: int) -> list[float]:
    engine.transcribe_batch(requests)  # warm-up
    out = []
    for _ in range(batches):
        t0 = time.perf_counter()
        engine.transcribe_batch(requests)
        out.append(time.perf_counter() - t0)
    return out


def _stats(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {"p50": round(statistics.median(xs), 4), "p95": round(xs[min(len(xs) - 1, int(0.95 * len(xs)))], 4)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ray_hop", description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 8])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--threads", type=int, default=1, help="engine threads on both paths")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    from asr.remote import RayTranscriber, RemoteConfig
    from asr.whisper import WhisperEngine
    from deploy.ray_whisper import local_app

    local = WhisperEngine(EngineConfig(model=args.model, cpu_threads=args.threads))
    sizes: dict[str, object] = {}
    report = {"model": args.model, "seconds": args.seconds, "threads": args.threads, "sizes": sizes}
    with local_app(args.model, cpus=0.5, threads=args.threads):
        remote = RayTranscriber(args.model, RemoteConfig(backend="ray"))
        for size in args.sizes:
            reqs = _requests(size, args.seconds)
            lo, re_ = _stats(_time(local, reqs, args.batches)), _stats(_time(remote, reqs, args.batches))
            sizes[str(size)] = {
                "local": lo,
                "ray": re_,
                "added_p50": round(re_["p50"] - lo["p50"], 4),
                "added_p95": round(re_["p95"] - lo["p95"], 4),
            }
    emit_json(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
