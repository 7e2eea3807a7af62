"""Micro-benchmarks behind the capacity levers (docs/capacity.md), on this machine, nothing else running.

    python -m bench.micro vad       # silero per 32 ms window: one leg alone vs 2 and 16 legs batched
    python -m bench.micro engine    # a batch of 1/4/16 partials and finals: 1 vs 2 threads, 4 vs 8 s windows

Both use the synthetic two-leg call of ../shared/audio (the agent's leg, resampled to 16 kHz).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import soxr

from bench.audio import read_wav

CALL = Path(__file__).resolve().parents[2] / "shared" / "audio" / "synthetic" / "synthetic_call_en.wav"


def _leg16() -> np.ndarray:
    clip = read_wav(CALL)
    leg = clip.samples[:, 0].astype(np.float32) / 32768
    return np.asarray(soxr.resample(leg, clip.rate, 16000), dtype=np.float32)


def vad() -> None:
    from vad.config import VadConfig
    from vad.endpointer import LegEndpointer, push_many
    from vad.silero import WINDOW, SileroModel

    audio, model, frame = _leg16(), SileroModel.load(), 320
    for legs in (1, 2, 16):
        eps = [LegEndpointer(model, VadConfig()) for _ in range(legs)]
        frames = len(audio) // frame
        started = time.process_time()
        for i in range(frames):
            chunk = audio[i * frame : (i + 1) * frame]
            if legs == 1:
                eps[0].push(chunk, i * frame)
            else:
                push_many([(ep, chunk, i * frame) for ep in eps])
        cpu = time.process_time() - started
        windows = frames * frame / WINDOW * legs
        print(f"{legs:2d} legs per run: {cpu / windows * 1e6:6.1f} us CPU per window")


def engine() -> None:
    from asr.config import EngineConfig
    from asr.types import DecodeRequest
    from asr.whisper import WhisperEngine

    audio = _leg16()[16000:64000]  # 3 s of the agent's first turn
    for threads in (1, 2):
        for window in (4.0, 8.0):
            config = EngineConfig(model="tiny.en", cpu_threads=threads, workers=1, min_window_s=window)
            eng = WhisperEngine(dataclasses.replace(config, partial_min_window_s=window))
            for kind in ("partial", "final"):
                for size in (1, 4, 16):
                    batch = [DecodeRequest(f"c{i}", "agent", kind, audio, "en") for i in range(size)]
                    eng.transcribe_batch(batch)
                    started = time.perf_counter()
                    results = [eng.transcribe_batch(batch) for _ in range(3)]
                    wall = (time.perf_counter() - started) / 3
                    enc = sum(r[0].timings["encode"] for r in results) / 3
                    print(
                        f"threads {threads} window {window:.0f} s {kind:7s} x{size:2d}: {wall * 1000:6.0f} ms"
                        f" (encode {enc * 1000:5.0f} ms)"
                    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.micro", description=__doc__.splitlines()[0])
    p.add_argument("what", choices=["vad", "engine"])
    args = p.parse_args(argv)
    {"vad": vad, "engine": engine}[args.what]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
