"""The whole scale-out path with real parts started here: a local Ray instance with a CPU replica of the
real tiny.en engine, a `redis-server`, and two gateway *processes* on the Ray backend and the Redis bus.
A call streamed to node A is transcribed through the Ray deployment; a caption viewer on node B receives
its partials and finals; `/v1/calls` on B lists it; a consent event posted to B reaches the call on A."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import websockets

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from bench.servers import Server, free_port, start_gateway
from tests.conftest import AUDIO

TOKEN = "scale-token-0123456789"


@pytest.fixture(scope="module")
def two_nodes(ray_app: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    stream = f"nodes:{free_port()}"
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            data = tmp_path_factory.mktemp(f"node-{name}")
            args = [
                "--remote-backend",
                "ray",
                "--multilingual-model",
                "none",
                "--redis-url",
                redis_url,
                "--set",
                f"cluster.node_id={name}",
                "--set",
                f"cluster.stream={stream}",
                "--data-dir",
                str(data),
                "--redaction",
                "mask",
                "--log-level",
                "info",
            ]
            servers.append(start_gateway(TOKEN, data / "gateway.log", args))
        yield servers
    finally:
        for server in servers:
            server.stop()


def _http(server: Server) -> str:
    url: str = server.driver.url  # type: ignore[attr-defined]
    return url.replace("ws://", "http://").removesuffix("/v1/stream")


async def _watch(base: str, call_id: str) -> list[dict[str, object]]:
    frames: list[dict[str, object]] = []
    url = base.replace("http://", "ws://") + f"/v1/calls/{call_id}/captions?wait=1"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        try:
            async for frame in ws:
                frames.append(json.loads(frame))
        except websockets.ConnectionClosed:
            pass
    return frames


async def test_a_call_on_node_a_through_ray_is_seen_and_controlled_from_node_b(two_nodes: list[Server]) -> None:
    """Finals decoded by the Ray replica reach the client on A and the viewer on B alike; B lists the call
    and forwards the consent grant that starts its transcription."""
    a, b = two_nodes
    a_url, b_http = a.driver.url, _http(b)  # type: ignore[attr-defined]
    viewer = asyncio.create_task(_watch(b_http, "two-nodes"))
    await asyncio.sleep(1.0)  # the viewer waits on B for a call that has not started
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    call = asyncio.create_task(stream_call(a_url, TOKEN, clip, StreamOptions("two-nodes", pace=1.0, consent="pending")))
    listed: list[str] = []
    async with httpx.AsyncClient(base_url=b_http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        for _ in range(200):
            listed = [c["call_id"] for c in (await http.get("/v1/calls")).json()["calls"]]
            if listed:
                break
            await asyncio.sleep(0.05)
        granted = await http.post("/v1/calls/two-nodes/consent", json={"event": "granted"})
    run = await call
    seen = await asyncio.wait_for(viewer, 30)
    assert listed == ["two-nodes"] and granted.status_code == 202
    assert [m["state"] for m in run.of_type("consent")] == ["active"]
    text = " ".join(str(f["text"]).lower() for f in run.finals)
    assert "ask" in text and "country" in text
    assert [f["text"] for f in seen if f["type"] == "final"] == [f["text"] for f in run.finals]
    assert any(f["type"] == "partial" for f in seen) and seen[-1]["type"] == "call_ended"
    assert a.log is not None
    log_a = a.log.read_text()
    assert "remote_engine_connected" in log_a and "model_loaded" not in log_a  # decoded on Ray, not in A
