"""The Ray Serve deployment that holds a CTranslate2 Whisper model for the gateway's remote backend.

Start it on the Ray cluster (one replica per GPU; CPU replicas for tests), one app per model:

    serve run deploy.ray_whisper:app model=tiny.en                      # a local test
    python -m deploy.ray_whisper --model large-v3 --replicas 4 --gpus 1  # a GPU pool

and point the gateway at it with `[remote] backend = "ray"` (see docs/scale-out.md). The app is named
`callscribe-asr-<model>` (the gateway's `RemoteConfig.app_prefix`). Each replica runs `WhisperEngine`,
exactly the engine the gateway embeds, so a batch decodes the same way on either path.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ray import serve

from asr.config import EngineConfig
from asr.types import DecodeRequest, DecodeResult

APP_PREFIX = "callscribe-asr-"


@serve.deployment(max_ongoing_requests=4)
class WhisperDeployment:
    """One replica: one loaded model; `transcribe_batch` decodes a whole batch from the gateway's scheduler."""

    def __init__(self, model: str, engine: dict[str, Any] | None = None) -> None:
        from asr.whisper import WhisperEngine

        config = dataclasses.replace(EngineConfig(), model=model, **(engine or {}))
        self.engine = WhisperEngine(config)

    def languages(self) -> list[str]:
        return list(self.engine.languages)

    def transcribe_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        return self.engine.transcribe_batch(requests)


def build(
    model: str,
    replicas: int = 1,
    cpus: float = 1.0,
    gpus: float = 0.0,
    threads: int = 0,
    max_ongoing: int = 4,
    workers: int = 0,
) -> Any:
    """The bound Serve application for `model` (`serve.run(build(...), name=APP_PREFIX + model)`);
    `threads` and `workers` are the replica engine's `EngineConfig.cpu_threads` and `workers`."""
    deployment: Any = WhisperDeployment  # a Serve Deployment once decorated (typed as the class here)
    options = deployment.options(
        num_replicas=replicas, max_ongoing_requests=max_ongoing, ray_actor_options={"num_cpus": cpus, "num_gpus": gpus}
    )
    return options.bind(model, {"cpu_threads": threads, "workers": workers, "device": "cuda" if gpus > 0 else "cpu"})


def app_builder(args: dict[str, str]) -> Any:
    """`serve run deploy.ray_whisper:app_builder model=tiny.en replicas=1`."""
    return build(
        args.get("model", "tiny.en"),
        int(args.get("replicas", "1")),
        float(args.get("cpus", "1")),
        float(args.get("gpus", "0")),
        int(args.get("threads", "0")),
    )


app = app_builder


@contextlib.contextmanager
def local_app(
    model: str, replicas: int = 1, cpus: float = 0.5, threads: int = 1, workers: int = 0, num_cpus: int | None = None
) -> Iterator[str]:
    """A throw-away Ray instance on this machine (no dashboard, no HTTP proxy) serving `model` as CPU
    replicas, for tests and benchmarks; yields the app name and shuts Ray down afterwards."""
    import ray

    repo = str(Path(__file__).resolve().parents[1])
    ray.init(
        num_cpus=num_cpus,
        namespace="callscribe",
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": repo}},
    )
    try:
        serve.start(proxy_location="Disabled")
        name = APP_PREFIX + model
        serve.run(build(model, replicas, cpus, threads=threads, workers=workers), name=name, route_prefix=None)
        yield name
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    import ray

    p = argparse.ArgumentParser(prog="python -m deploy.ray_whisper", description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tiny.en")
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--cpus", type=float, default=1.0)
    p.add_argument("--gpus", type=float, default=0.0)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--address", default="auto")
    p.add_argument("--namespace", default="callscribe")
    args = p.parse_args(argv)
    ray.init(address=args.address, namespace=args.namespace)
    serve.run(
        build(args.model, args.replicas, args.cpus, args.gpus, args.threads),
        name=APP_PREFIX + args.model,
        route_prefix=None,
    )
    print(f"deployed {APP_PREFIX}{args.model}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
