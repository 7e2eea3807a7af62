"""Shared fixtures: the real models (loaded once), and a real gateway on a loopback port."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from asr.config import EngineConfig
from asr.types import Transcriber
from gateway.config import ServerConfig
from gateway.runtime import Runtime
from gateway.server import GatewayServer
from vad.silero import SileroModel

AUDIO = Path(__file__).resolve().parents[2] / "shared" / "audio"
TOKEN = "test-token-tenant-a"
TOKEN_B = "test-token-tenant-b"


@dataclass(frozen=True)
class ManifestRow:
    file: str
    lang: str
    seconds: float
    sample_rate: int
    channels: int
    reference_text: str

    @property
    def path(self) -> Path:
        return AUDIO / self.file


def manifest() -> list[ManifestRow]:
    with (AUDIO / "manifest.tsv").open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        ManifestRow(
            r["file"], r["lang"], float(r["seconds"]), int(r["sample_rate"]), int(r["channels"]), r["reference_text"]
        )
        for r in rows
    ]


@pytest.fixture(scope="session")
def audio_dir() -> Path:
    if not (AUDIO / "manifest.tsv").is_file():
        pytest.fail(f"shared audio not found at {AUDIO}")
    return AUDIO


@pytest.fixture(scope="session")
def engines() -> dict[str, Transcriber]:
    from asr.whisper import WhisperEngine

    return {name: WhisperEngine(EngineConfig(model=name, cpu_threads=2)) for name in ("tiny.en", "base")}


@pytest.fixture(scope="session")
def steady_engines() -> dict[str, Transcriber]:
    """The same models without temperature fallback: for tests that compare two transports' transcripts of
    the same audio, where a sampled re-decode (which depends on the batch's company) would differ."""
    from asr.whisper import WhisperEngine

    config = EngineConfig(cpu_threads=2, fallback_temperatures=())
    return {name: WhisperEngine(dataclasses.replace(config, model=name)) for name in ("tiny.en", "base")}


@pytest.fixture(scope="session")
def vad_model() -> SileroModel:
    return SileroModel.load()


@dataclass
class Gateway:
    url: str
    http: str
    runtime: Runtime
    server: GatewayServer


async def start_gateway(
    config: ServerConfig,
    engines: dict[str, Transcriber],
    vad_model: SileroModel,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[Gateway, asyncio.Task[None]]:
    runtime = Runtime(config, engines, vad_model, clock=clock)
    server = GatewayServer(runtime)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.port
    return Gateway(f"ws://127.0.0.1:{port}/v1/stream", f"http://127.0.0.1:{port}", runtime, server), task


def make_config(**overrides: object) -> ServerConfig:
    base = ServerConfig(port=0, tokens={TOKEN: "tenant-a", TOKEN_B: "tenant-b"}, idle_timeout_s=20.0)
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def gateway(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    gw, task = await start_gateway(make_config(), engines, vad_model)
    yield gw
    gw.server.should_exit = True
    await task
