"""`python -m bench.compat_compare`: the same calls through the native protocol and the Deepgram surface
of one in-process gateway (real model, real VAD, loopback), side by side: final latency and WER.

    python -m bench.compat_compare --clips 'synthetic/synthetic_call_en.wav' 'real/jfk.wav' --pace 1

It answers "does the compatible surface cost anything?": both drivers replay the clip at the pace with the
same silent tail, and `bench.metrics` scores them the same way as `python -m bench run`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time

from asr.config import EngineConfig
from asr.whisper import WhisperEngine
from bench.audio import read_wav
from bench.cli import DEFAULT_MANIFEST
from bench.deepgram_driver import DeepgramDriver
from bench.drivers import Driver, GatewayDriver
from bench.manifest import load_manifest
from bench.metrics import measure_call, stats
from bench.pacing import Pacing
from bench.wer import wer
from gateway.compat_config import CompatConfig
from gateway.config import ServerConfig
from gateway.runtime import Runtime
from gateway.server import GatewayServer
from vad.silero import SileroModel

TOKEN = "compat-compare-token"


async def compare(patterns: list[str], pacing: Pacing) -> dict[str, object]:
    """Replay each clip through both surfaces of one gateway; per surface the final latencies and WER."""
    config = ServerConfig(
        port=0, tokens={TOKEN: "bench"}, multilingual_model=None, compat=CompatConfig(deepgram_consent="granted")
    )
    engines = {"tiny.en": WhisperEngine(EngineConfig(model="tiny.en", cpu_threads=2))}
    server = GatewayServer(Runtime(config, engines, SileroModel.load()))
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no start event
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    base = f"ws://127.0.0.1:{server.port}"
    drivers: dict[str, Driver] = {
        "native": GatewayDriver(f"{base}/v1/stream", TOKEN, redaction=None),
        "deepgram": DeepgramDriver(f"{base}/v1/listen", TOKEN),
    }
    items = [i for i in load_manifest(DEFAULT_MANIFEST, patterns) if i.lang == "en"]
    report: dict[str, object] = {"pacing": dataclasses.asdict(pacing), "clips": [i.file for i in items]}
    for name, driver in drivers.items():
        latencies: list[float] = []
        refs: list[str] = []
        hyps: list[str] = []
        for n, item in enumerate(items):
            trace = await driver.call(item, read_wav(item.path), f"{name}-{n}", pacing, time.monotonic)
            m = measure_call(item, trace)
            latencies += [u.final_latency for u in m.utterances if u.final_latency is not None]
            for leg in item.legs:
                refs.append(m.references[leg])
                hyps.append(m.hypotheses[leg])
        report[name] = {"final_latency_s": stats(latencies), "wer": round(wer(refs, hyps), 4)}
    server.should_exit = True
    await task
    return report


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--clips", nargs="+", default=["synthetic/synthetic_call_en.wav", "real/jfk.wav"])
    p.add_argument("--pace", type=float, default=1.0)
    p.add_argument("--tail", type=float, default=2.0)
    args = p.parse_args()
    print(json.dumps(asyncio.run(compare(args.clips, Pacing(20, args.tail, args.pace))), indent=2))


if __name__ == "__main__":
    main()
