"""Accuracy and cost of the encoder window: utterance + padding vs Whisper's fixed 30 s.

    python -m bench.encoder_window --model tiny.en --language en

Decodes every mono clip of the manifest in the model's language as one final, and the VAD-cut utterances
of jfk.wav, with the encoder window floored at each `--windows` value (0 = utterance + 1 s), and prints
WER against the references and the engine time per clip (batch 1), plus the time of one batch of 8.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
import soxr

from asr.config import EngineConfig
from asr.types import DecodeRequest
from asr.whisper import WhisperEngine
from bench.audio import read_wav
from bench.wer import wer
from vad.config import VadConfig
from vad.endpointer import LegEndpointer, UtteranceEnded
from vad.silero import SileroModel

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"


def clips(language: str) -> list[tuple[np.ndarray, str]]:
    with (AUDIO / "manifest.tsv").open() as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["channels"] == "1" and r["lang"] == language]
    out = []
    for r in rows:
        clip = read_wav(AUDIO / r["file"])
        audio = clip.samples[:, 0].astype(np.float32) / 32768
        if clip.rate != 16000:
            audio = soxr.resample(audio, clip.rate, 16000).astype(np.float32)
        out.append((audio, r["reference_text"]))
    return out


def vad_cuts(audio: np.ndarray) -> list[np.ndarray]:
    ep = LegEndpointer(SileroModel.load(), VadConfig())
    events = ep.push(audio, 0) + ep.flush()
    return [e.audio for e in events if isinstance(e, UtteranceEnded)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.encoder_window", description=__doc__)
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--language", default="en")
    p.add_argument("--windows", type=float, nargs="+", default=[0, 4, 8, 10, 30])
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    data = clips(args.language)
    jfk = read_wav(AUDIO / "real" / "jfk.wav").samples[:, 0].astype(np.float32) / 32768
    cuts = vad_cuts(jfk) if args.language == "en" else []
    print("| window floor (s) | WER clips | WER jfk VAD cuts | engine s/clip | batch of 8 (s) |")
    print("|---|---|---|---|---|")
    for window in args.windows:
        engine = WhisperEngine(EngineConfig(model=args.model, cpu_threads=args.threads, min_window_s=window))

        def req(a: np.ndarray) -> DecodeRequest:
            return DecodeRequest("c", "l", "final", a, args.language)

        t0 = time.perf_counter()
        hyps = [engine.transcribe_batch([req(a)])[0].text for a, _ in data]
        per_clip = (time.perf_counter() - t0) / len(data)
        clip_wer = wer([r for _, r in data], hyps, args.language)
        cut_wer = "-"
        if cuts:
            cut_text = " ".join(engine.transcribe_batch([req(c)])[0].text for c in cuts)
            cut_wer = f"{wer(['And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.'], [cut_text]):.3f}"  # noqa: E501
        batch = [req(a) for a, _ in (data * 8)[:8]]
        t1 = time.perf_counter()
        engine.transcribe_batch(batch)
        print(f"| {window:g} | {clip_wer:.3f} | {cut_wer} | {per_clip:.3f} | {time.perf_counter() - t1:.3f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
