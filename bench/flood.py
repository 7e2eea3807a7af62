"""`python -m bench.flood`: one unpaced client beside a real-time call; the real-time call's final latency.

Scenarios, each on a fresh in-process gateway (real tiny.en on the CPU, real silero-vad, loopback):

* `alone`: the real-time call (jfk.wav, paced 1.0) by itself: the baseline;
* `flood_unpaced`: beside it, `--flooders` clients stream long speech as fast as TCP takes it, with the
  gateway's pacing off (`limits.max_audio_speed = None`): only the scheduler's round-robin protects it;
* `flood_paced`: the same with the default pacing (burst, then at most `max_audio_speed` x real time).

Latency of a final = when it arrived minus when the audio up to its end had been sent. Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.audio import Clip, read_wav
from bench.client import CallRun, StreamOptions, stream_call

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
TOKEN = "bench-flood-token"


def _flood_clip() -> Clip:
    parts = [read_wav(AUDIO / "extra" / name).samples for name in ("librivox_sonnet001.wav", "librivox_sonnet002.wav")]
    return Clip(np.concatenate(parts * 3), 16000)


def _latencies(run: CallRun) -> list[float]:
    finals = [r for r in run.received if r.msg.get("type") == "final"]
    return [r.at - run.sent_at(float(r.msg["end"])) for r in finals]


async def _scenario(name: str, flooders: int, paced: bool, engines: dict[str, Any], vad: Any) -> dict[str, Any]:
    from gateway.config import ServerConfig
    from gateway.limits import LimitsConfig
    from gateway.runtime import Runtime
    from gateway.server import GatewayServer

    limits = LimitsConfig() if paced else LimitsConfig(max_audio_speed=None)
    config = ServerConfig(port=0, tokens={TOKEN: "bench"}, multilingual_model=None, limits=limits, idle_timeout_s=60.0)
    runtime = Runtime(config, engines, vad)
    server = GatewayServer(runtime)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    flood = _flood_clip()
    floods = [
        asyncio.create_task(
            stream_call(url, TOKEN, flood, StreamOptions(call_id=f"flood-{i}", pace=0, interim_results=False))
        )
        for i in range(flooders)
    ]
    await asyncio.sleep(1.0 if flooders else 0.0)
    rt = await stream_call(url, TOKEN, read_wav(AUDIO / "real" / "jfk.wav"), StreamOptions(call_id="realtime"))
    peak_queue = runtime.scheduler.queued
    for task in floods:
        task.cancel()
    for task in floods:
        with contextlib.suppress(BaseException):
            await task
    server.should_exit = True
    await serving
    lat = _latencies(rt)
    return {
        "scenario": name,
        "flooders": flooders,
        "paced": paced,
        "finals": len(lat),
        "latency_p50_s": round(statistics.median(lat), 3) if lat else None,
        "latency_max_s": round(max(lat), 3) if lat else None,
        "queue_after_call": peak_queue,
    }


async def _main(flooders: int) -> list[dict[str, Any]]:
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine
    from vad.silero import SileroModel

    engines = {"tiny.en": WhisperEngine(EngineConfig(model="tiny.en", cpu_threads=2))}
    vad = SileroModel.load()
    return [
        await _scenario("alone", 0, True, engines, vad),
        await _scenario("flood_unpaced", flooders, False, engines, vad),
        await _scenario("flood_paced", flooders, True, engines, vad),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.splitlines()[0])
    p.add_argument("--flooders", type=int, default=1, help="unpaced clients beside the real-time call")
    p.add_argument("--out", type=Path, help="also write the JSON here")
    args = p.parse_args(argv)
    from gateway.logs import configure

    configure("warning")
    results = asyncio.run(_main(args.flooders))
    text = json.dumps(results, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0 if all(r["finals"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
