"""File transcription benchmarks: WER against offline faster-whisper, file throughput, live latency under a file.

    python -m bench.files wer                  every clip of ../shared/audio (incl. extra/): file path vs offline
    python -m bench.files wer --only synthetic_call_nl --repeat 5
                                               both paths 5 times: where faster-whisper samples (temperature
                                               fallback) the text is random, so compare the spread
    python -m bench.files throughput           a long recording (default 600 s) on the idle gateway: audio s / wall s
    python -m bench.files latency --calls 8    final latency p50/p95 of N two-leg live calls, without and then
                                               with the long recording transcribing at the same time
    python -m bench.files all --out FILE.json  all three, saved as JSON

Everything runs in this process on the real models: a gateway on a loopback port (port 0), live calls over
WebSocket at real time (pace 1), recordings over HTTP. A final's latency is the time from sending the last
audio of its utterance (`final.end`) to receiving it. The file path for WER is the gateway's own
(`files.decode` + `asr.longform`); mono mixes of the two-leg calls are scored against their turns in time order.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import statistics
import sys
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.manifest import Item, load_manifest
from bench.report import emit_json
from bench.wer import wer

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
TOKEN = "bench-files-token-0123"
LONG_SOURCES = (
    "extra/librivox_tale_of_two_cities_01.wav",
    "extra/librivox_sonnet001.wav",
    "extra/librivox_sonnet002.wav",
)


def clips(audio_dir: Path = AUDIO) -> list[Item]:
    """Every clip of the shared audio: `manifest.tsv` and `extra/manifest.tsv`."""
    items = load_manifest(audio_dir / "manifest.tsv")
    if (audio_dir / "extra" / "manifest.tsv").is_file():  # its paths are relative to audio_dir, not extra/
        items += [
            dataclasses.replace(i, path=audio_dir / i.file) for i in load_manifest(audio_dir / "extra" / "manifest.tsv")
        ]
    return items


def mixed_reference(item: Item) -> str:
    """The reference of a clip heard as one (mixed) leg: a call's turns in time order, else its text."""
    if item.turns:
        return " ".join(t.text for t in sorted(item.turns, key=lambda t: t.start))
    return " ".join(text for _, text in item.references)


def file_text(engine: Any, path: Path, language: str) -> str:
    """The gateway's file path on one clip: PyAV decoding (channels mixed), long-form windows, words aligned."""
    from asr.longform import LongformDecode
    from files.decode import decode

    audio = decode(path.read_bytes(), path.name, mono=True)
    work = LongformDecode(audio.legs[0], language, "", engine.config.beam_size, word_timestamps=True)
    texts: list[str] = []
    while True:
        step = work.step(engine)
        texts += [s.text for s in step.segments]
        if step.done:
            return " ".join(texts)


def compare_wer(items: Sequence[Item], repeat: int = 1) -> dict[str, Any]:
    """Per language and per clip: WER of offline faster-whisper and of the file path (same model); with
    `repeat` > 1 each clip is decoded that often on both paths, scored on the first run, with every run's
    WER listed per clip (`offline_runs`, `file_path_runs`)."""
    from faster_whisper.audio import decode_audio

    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine

    engines = {n: WhisperEngine(EngineConfig(model=n, cpu_threads=2)) for n in ("tiny.en", "base")}
    rows: list[dict[str, Any]] = []
    for item in items:
        engine = engines["tiny.en" if item.lang == "en" else "base"]
        audio = decode_audio(str(item.path))
        offline = [engine.transcribe_offline(audio, item.lang) for _ in range(repeat)]
        file_path = [file_text(engine, item.path, item.lang) for _ in range(repeat)]
        rows.append(
            {
                "file": item.file,
                "lang": item.lang,
                "model": engine.name,
                "reference": mixed_reference(item),
                "offline": offline[0],
                "file_path": file_path[0],
                "runs": (offline, file_path),
            }
        )
    out: dict[str, Any] = {"clips": [], "languages": {}}
    for row in rows:
        ref, lang = [row["reference"]], row["lang"]
        clip: dict[str, Any] = {
            "file": row["file"],
            "model": row["model"],
            "offline": round(wer(ref, [row["offline"]], lang), 4),
            "file_path": round(wer(ref, [row["file_path"]], lang), 4),
            "same_text": row["offline"] == row["file_path"],
        }
        if repeat > 1:
            for key, texts in zip(("offline_runs", "file_path_runs"), row["runs"], strict=True):
                clip[key] = [round(wer(ref, [t], lang), 4) for t in texts]
        out["clips"].append(clip)
    for lang in sorted({r["lang"] for r in rows}):
        sel = [r for r in rows if r["lang"] == lang]
        refs = [r["reference"] for r in sel]
        out["languages"][lang] = {
            "offline": round(wer(refs, [r["offline"] for r in sel], lang), 4),
            "file_path": round(wer(refs, [r["file_path"] for r in sel], lang), 4),
            "clips": len(sel),
        }
    return out


def long_recording(seconds: float, audio_dir: Path = AUDIO) -> bytes:
    """A mono 16 kHz WAV of `seconds`, made of the long LibriVox clips repeated (real speech throughout)."""
    from files.decode import decode

    pieces = [decode((audio_dir / name).read_bytes(), name).legs[0] for name in LONG_SOURCES]
    audio = np.concatenate(pieces)
    reps = int(np.ceil(seconds * 16000 / len(audio)))
    pcm = (np.tile(audio, reps)[: int(seconds * 16000)] * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


async def _gateway() -> tuple[Any, Any, asyncio.Task[None]]:
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine
    from files.config import FilesConfig
    from files.service import attach
    from gateway.config import ServerConfig
    from gateway.runtime import Runtime
    from gateway.server import GatewayServer
    from protocol.vocab import RedactionPolicy
    from vad.silero import SileroModel

    config = ServerConfig(port=0, tokens={TOKEN: "bench"}, redaction=RedactionPolicy.OFF)
    engines = {n: WhisperEngine(dataclasses.replace(EngineConfig(cpu_threads=2), model=n)) for n in ("tiny.en", "base")}
    runtime = Runtime(config, engines, SileroModel.load())
    attach(runtime, FilesConfig(consent_bases=("bench",), max_upload_bytes=256 * 2**20))
    server = GatewayServer(runtime)
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (bounded by the server's start-up)
        await asyncio.sleep(0.05)
    return server, runtime, task


async def _submit(base: str, data: bytes) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300) as http:
        created = await http.post(
            "/v1/recordings", files={"file": ("long.wav", data)}, data={"consent_basis": "bench", "language": "en"}
        )
        created.raise_for_status()
        return str(created.json()["id"])


async def _wait(base: str, job_id: str) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as http:
        while True:
            job: dict[str, Any] = (await http.get(f"/v1/recordings/{job_id}")).json()
            if job["status"] in ("done", "failed"):
                return job
            await asyncio.sleep(0.5)


async def _calls(url: str, n: int, round_name: str) -> list[float]:
    """N concurrent two-leg calls (the synthetic English call, mu-law 8 kHz, real time); final latencies."""
    from bench.audio import read_wav
    from bench.client import StreamOptions, stream_call

    clip = read_wav(AUDIO / "synthetic" / "synthetic_call_en.wav")

    async def one(i: int) -> list[float]:
        await asyncio.sleep(i * 0.37)  # staggered starts, as calls arrive
        options = StreamOptions(call_id=f"bench-{round_name}-{i}", encoding="mulaw", interim_results=True, pace=1.0)
        run = await stream_call(url, TOKEN, clip, options)
        return _latencies(run)

    return [v for vs in await asyncio.gather(*(one(i) for i in range(n))) for v in vs]


def _latencies(run: Any) -> list[float]:
    out = []
    for r in run.received:
        if r.msg.get("type") != "final":
            continue
        sent = next((t for s, t in run.sent if s >= r.msg["end"]), None)
        if sent is not None:
            out.append(r.at - sent)
    return out


def _pct(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50": round(q[49], 3), "p95": round(q[94], 3), "max": round(max(values), 3)}


async def measure(what: str, calls: int, seconds: float) -> dict[str, Any]:
    server, runtime, task = await _gateway()
    base = f"http://127.0.0.1:{server.port}"
    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    out: dict[str, Any] = {}
    try:
        data = long_recording(seconds)
        if what in ("throughput", "all"):
            started = time.perf_counter()
            job = await _wait(base, await _submit(base, data))
            wall = time.perf_counter() - started
            out["throughput"] = {
                "audio_s": seconds,
                "wall_s": round(wall, 1),
                "status": job["status"],
                "audio_s_per_wall_s": round(seconds / wall, 2),
            }
        if what in ("latency", "all"):
            alone = await _calls(url, calls, "alone")  # call ids are never reused
            job_id = await _submit(base, data)
            await asyncio.sleep(2.0)  # the recording is decoded and its first window is on the engine
            busy = await _calls(url, calls, "busy")
            status = (await _wait(base, job_id))["status"]
            out["latency"] = {
                "calls": calls,
                "without_file": _pct(alone),
                "with_file": _pct(busy),
                "recording_s": seconds,
                "recording_status": status,
                "file_jobs_run": runtime.scheduler.stats.files,
            }
    finally:
        server.should_exit = True
        await task
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.files", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("what", choices=["wer", "throughput", "latency", "all"])
    p.add_argument("--calls", type=int, default=8, help="concurrent two-leg live calls (latency)")
    p.add_argument("--recording-seconds", type=float, default=600.0, help="length of the long recording")
    p.add_argument("--out", type=Path, help="write the results as JSON here too")
    p.add_argument("--only", nargs="+", default=[], help="wer: substrings, keep only clips whose file has one")
    p.add_argument("--repeat", type=int, default=1, help="wer: decode each clip this often on both paths")
    args = p.parse_args(argv)
    from gateway.logs import configure

    configure("warning")  # the gateway's logs to stderr, warnings only: stdout is the JSON result
    result: dict[str, Any] = {}
    if args.what in ("wer", "all"):
        chosen = [i for i in clips() if not args.only or any(o in i.file for o in args.only)]
        result["wer"] = compare_wer(chosen, max(1, args.repeat))
    if args.what != "wer":
        result.update(asyncio.run(measure(args.what, args.calls, args.recording_seconds)))
    emit_json(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
