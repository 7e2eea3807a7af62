"""The remote engine backend: the real tiny.en engine in a local Ray Serve CPU replica decodes a call
streamed through the gateway; killing the replica mid-call loses no final (the batch is retried once the
replica is back) — and with no replica at all a final's caller gets a clear error."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from asr.remote import RayTranscriber, RemoteConfig, RemoteEngineError
from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from tests.conftest import AUDIO, TOKEN, make_config, start_gateway

ray = pytest.importorskip("ray")
serve = pytest.importorskip("ray.serve")

MODEL = "tiny.en"
APP = "callscribe-asr-" + MODEL


def remote(**overrides: Any) -> RemoteConfig:
    return RemoteConfig(backend="ray", **overrides)


def replica_actors() -> list[Any]:
    names = [
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["name"].startswith("SERVE_REPLICA") and APP in a["name"]
    ]
    return [ray.get_actor(name, namespace="serve") for name in names]


async def test_a_call_is_transcribed_through_the_ray_deployment(ray_app: str, vad_model: Any) -> None:
    """Finals of a real clip streamed to the gateway come from the Serve replica and read right."""
    engine = await asyncio.to_thread(RayTranscriber, MODEL, remote())
    assert engine.languages == ("en",)
    gw, task = await start_gateway(make_config(multilingual_model=None), {MODEL: engine}, vad_model)
    try:
        run = await stream_call(gw.url, TOKEN, read_wav(AUDIO / "real" / "jfk.wav"), StreamOptions("ray", pace=0))
    finally:
        gw.server.should_exit = True
        await task
    text = " ".join("".join(c for c in f["text"].lower() if c.isalpha() or c == " ") for f in run.finals)
    assert "ask not what your country can do for you" in text
    assert gw.runtime.scheduler.stats.finals >= len(run.finals) > 0 and not run.of_type("error")


async def test_killing_the_replica_mid_call_loses_no_final(ray_app: str, vad_model: Any) -> None:
    """The replica is killed while the call streams; Serve restarts it and the retried batches bring every
    final the same call gets without the kill."""
    engine = await asyncio.to_thread(RayTranscriber, MODEL, remote(retries=30, retry_delay_s=1.0, timeout_s=20.0))
    gw, task = await start_gateway(make_config(multilingual_model=None), {MODEL: engine}, vad_model)
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    try:
        baseline = await stream_call(gw.url, TOKEN, clip, StreamOptions("before", pace=0))
        call = asyncio.create_task(stream_call(gw.url, TOKEN, clip, StreamOptions("killed", pace=1.0)))
        await asyncio.sleep(3.0)
        actors = replica_actors()
        assert actors, "the replica runs"
        for actor in actors:
            ray.kill(actor, no_restart=False)
        run = await call
    finally:
        gw.server.should_exit = True
        await task
    assert not run.of_type("error")
    assert len(run.finals) == len(baseline.finals)
    assert [f["seq"] for f in run.finals] == list(range(1, len(run.finals) + 1))


def test_no_deployment_is_a_clear_error(ray_app: str) -> None:
    """A model without a Serve app is refused at start-up with an error naming the app."""
    with pytest.raises(RemoteEngineError, match="callscribe-asr-base"):
        RayTranscriber("base", remote())
