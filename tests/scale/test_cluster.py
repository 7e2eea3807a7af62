"""Two gateway nodes sharing a real `redis-server` (started here): a call streamed to node A is seen by a
caption viewer on node B (partials, finals, `call_ended`; and every final when it joins late), `/calls`
on B lists it, and nothing of it reaches B's own listeners but the caption hub."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from bench.servers import free_port
from gateway.cluster.codec import decode, encode
from gateway.cluster.config import ClusterConfig
from gateway.core.events import CallEvent, CallOpened, Sent
from protocol.messages import AudioFormat, Final, Redaction, Start, Word
from tests.captions.helpers import hub_of, until_viewers, watch
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway


@pytest.fixture
async def nodes(redis_url: str, engines: Any, vad_model: Any) -> AsyncIterator[tuple[Gateway, Gateway]]:
    stream = f"test:{free_port()}"
    cluster = {name: ClusterConfig(redis_url=redis_url, node_id=name, stream=stream) for name in ("a", "b")}
    a, task_a = await start_gateway(make_config(cluster=cluster["a"]), engines, vad_model)
    b, task_b = await start_gateway(make_config(cluster=cluster["b"]), engines, vad_model)
    yield a, b
    for gw, task in ((a, task_a), (b, task_b)):
        gw.server.should_exit = True
        await task


async def test_a_viewer_on_another_node_sees_the_call_and_calls_lists_it(nodes: tuple[Gateway, Gateway]) -> None:
    """Node B's viewer receives A's call from the start (waiting for it), with the same finals the
    client got, then `call_ended`; while it streams, B's `/v1/calls` lists it."""
    a, b = nodes
    seen_on_b: list[CallEvent] = []
    b.runtime.bus.subscribe(seen_on_b.append)
    viewer = asyncio.create_task(watch(b, "across", TOKEN, wait=True))
    await until_viewers(b, "tenant-a", "across", 1)
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    call = asyncio.create_task(stream_call(a.url, TOKEN, clip, StreamOptions("across", pace=2.0)))
    listed: list[str] = []
    async with httpx.AsyncClient(base_url=b.http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        for _ in range(200):
            listed = [c["call_id"] for c in (await http.get("/v1/calls")).json()["calls"]]
            if listed:
                break
            await asyncio.sleep(0.05)
    run = await call
    got = await asyncio.wait_for(viewer, 30)
    assert listed == ["across"]
    assert [f["text"] for f in got.finals] == [f["text"] for f in run.finals] and run.finals
    assert got.frames[0]["type"] == "call" and got.frames[-1]["type"] == "call_ended"
    assert got.of_type("partial"), "partials travel too"
    assert seen_on_b == [], "remote events reach only B's caption hub, never B's bus (store, post-call)"


async def test_a_late_viewer_on_another_node_gets_every_final(nodes: tuple[Gateway, Gateway]) -> None:
    """A viewer joining node B after the call ended on A is sent the call, its finals and `call_ended`."""
    a, b = nodes
    run = await stream_call(a.url, TOKEN, read_wav(AUDIO / "real" / "jfk.wav"), StreamOptions("late", pace=0))
    for _ in range(200):  # the bridge delivers within milliseconds; bounded wait
        if _has_ended(b, "late"):
            break
        await asyncio.sleep(0.02)
    got = await asyncio.wait_for(watch(b, "late", TOKEN, wait=False), 10)
    assert [f["text"] for f in got.finals] == [f["text"] for f in run.finals] and run.finals
    assert got.frames[-1]["type"] == "call_ended"


def _has_ended(gw: Gateway, call_id: str) -> bool:
    """Whether the node's hub holds the call as ended (a probe viewer of an ended call is not kept)."""
    hub = hub_of(gw)
    try:
        probe = hub.subscribe("tenant-a", call_id, lambda: None, 0.0)
    except Exception:
        return False
    hub.unsubscribe(probe)
    return probe.close_code is not None


def test_records_carry_no_caller_and_no_text_before_redaction() -> None:
    """The caller's number and a final's raw text never leave the node; a final survives the round trip."""
    start = Start("c", AudioFormat("mulaw", 8000, 2), ("agent", "caller"), caller="+31612345678")
    opened = encode(CallOpened("t", "c", start), "a")
    assert opened is not None and b"31612345678" not in opened
    final = Final(
        3, "caller", "u3", "mail [EMAIL]", 1.0, 2.0, "en", (Word("mail", 1.0, 1.2, 0.9),), (Redaction("email", 5, 12),)
    )
    record = encode(Sent("t", "c", final, raw_text="mail jan@example.nl"), "a")
    assert record is not None and b"jan@example.nl" not in record
    node, event = decode(record)
    assert node == "a" and isinstance(event, Sent) and event.message == final and event.raw_text is None
    _, back = decode(opened)
    assert isinstance(back, CallOpened) and back.start == dataclasses.replace(start, caller=None)


async def test_a_consent_event_posted_to_another_node_reaches_the_call(nodes: tuple[Gateway, Gateway]) -> None:
    """A pending call streams to node A; `POST /v1/calls/{id}/consent granted` on node B is forwarded over
    the bus (202), node A applies it, and the call is transcribed from then on."""
    a, b = nodes
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    call = asyncio.create_task(
        stream_call(a.url, TOKEN, clip, StreamOptions("remote-consent", pace=1.0, consent="pending"))
    )
    for _ in range(300):  # until node B sees the call on the bus
        if [c for c in hub_of(b).active_calls("tenant-a", 0.0) if c.call_id == "remote-consent"]:
            break
        await asyncio.sleep(0.02)
    async with httpx.AsyncClient(base_url=b.http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        r = await http.post("/v1/calls/remote-consent/consent", json={"event": "granted"})
        unknown = await http.post("/v1/calls/no-such-call/consent", json={"event": "granted"})
    run = await call
    assert r.status_code == 202 and r.json() == {"call_id": "remote-consent", "forwarded": True}
    assert unknown.status_code == 404
    assert [m["state"] for m in run.of_type("consent")] == ["active"]
    assert run.finals, "transcribed after the forwarded grant"
