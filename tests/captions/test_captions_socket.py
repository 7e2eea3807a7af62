"""Captions over real sockets: fan-out to many viewers, late joiners, tenant isolation, the call list and
slow viewers that must never hold up the call or the other viewers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

import httpx
import pytest
import websockets

from bench.audio import concat, read_wav, silence
from bench.client import CallRun, StreamOptions, stream_call
from gateway.core.caption_viewer import TOO_SLOW
from protocol.messages import AudioFormat, CallEnded, Final, Partial, Ready, Start
from tests.call_events import publish_to_runtime
from tests.captions.helpers import ViewerRun, captions_url, hub_of, until_viewers, watch
from tests.conftest import AUDIO, TOKEN, TOKEN_B, Gateway

A1 = AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav"
A3 = AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav"


def same_finals(viewer: ViewerRun, run: CallRun) -> bool:
    keys = ("seq", "leg", "utterance_id", "text", "start", "end", "redactions")
    return [[f[k] for k in keys] for f in viewer.finals] == [[f[k] for k in keys] for f in run.finals]


async def test_many_viewers_each_get_every_final_then_call_ended(gateway: Gateway) -> None:
    """Viewers waiting before the call starts each get the call, its consent state, every final in order and
    `call_ended`, then a normal close."""
    viewers = [asyncio.create_task(watch(gateway, "many", TOKEN)) for _ in range(6)]
    await until_viewers(gateway, "tenant-a", "many", 6)
    run = await stream_call(gateway.url, TOKEN, read_wav(A1), StreamOptions(call_id="many", pace=0))
    assert run.close_code == 1000 and run.finals
    for viewer in await asyncio.gather(*viewers):
        assert [f["type"] for f in viewer.frames[:2]] == ["call", "consent"]
        assert viewer.of_type("consent")[-1]["state"] == "active"
        assert same_finals(viewer, run)
        assert viewer.frames[-1] == {"type": "call_ended", "call_id": "many", "finals": len(run.finals)}
        assert (viewer.close_code, viewer.close_reason) == (1000, "call ended")
    counters = hub_of(gateway).counters
    assert counters.partials_dropped == 0 and counters.viewers_evicted == 0


async def test_late_joiner_first_gets_the_finals_so_far(gateway: Gateway) -> None:
    """A viewer that connects after the first final was sent receives it first, then the rest live, once each."""
    clip = concat(read_wav(A1), silence(1.0, 16000, 1), read_wav(A3))
    first_final = asyncio.Event()
    late: list[asyncio.Task[ViewerRun]] = []

    async def join_late() -> None:
        await first_final.wait()
        late.append(asyncio.create_task(watch(gateway, "late", TOKEN, wait=False)))

    joiner = asyncio.create_task(join_late())
    run = await stream_call(
        gateway.url,
        TOKEN,
        clip,
        StreamOptions(call_id="late", pace=2.0),
        on_message=lambda r: first_final.set() if r.msg["type"] == "final" else None,
    )
    await joiner
    viewer = await late[0]
    assert len(run.finals) >= 2
    assert [f["type"] for f in viewer.frames[:3]] == ["call", "consent", "final"]
    assert viewer.frames[2]["seq"] == 1
    assert same_finals(viewer, run)
    assert viewer.frames[-1]["type"] == "call_ended"


async def _denied(url: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with pytest.raises(websockets.InvalidStatus) as denied:
        async with websockets.connect(url, additional_headers=headers):
            pass
    return denied.value.response.status_code, bytes(denied.value.response.body or b"")


async def test_viewers_see_only_their_tenants_calls(gateway: Gateway) -> None:
    """Another tenant's live call and a call that does not exist get the same 403 before the upgrade, no
    token gets 401, and the call list shows only the tenant's own calls."""
    async with websockets.connect(gateway.url, additional_headers={"Authorization": f"Bearer {TOKEN_B}"}) as b:
        await b.send(
            json.dumps(
                {
                    "type": "start",
                    "call_id": "b-call",
                    "consent": "pending",
                    "audio": {"encoding": "mulaw", "sample_rate": 8000, "channels": 2},
                }
            )
        )
        assert json.loads(await b.recv())["type"] == "ready"
        other = await _denied(captions_url(gateway, "b-call"), TOKEN)
        missing = await _denied(captions_url(gateway, "no-such-call"), TOKEN)
        assert other == missing and other[0] == 403
        assert (await _denied(captions_url(gateway, "b-call"), None))[0] == 401
        assert (await _denied(captions_url(gateway, "b-call"), "not-a-valid-token"))[0] == 401
        async with httpx.AsyncClient(base_url=gateway.http) as http:
            mine = (await http.get("/v1/calls", headers={"Authorization": f"Bearer {TOKEN}"})).json()
            theirs = (await http.get("/v1/calls", headers={"Authorization": f"Bearer {TOKEN_B}"})).json()
            anonymous = await http.get("/v1/calls")
        assert mine == {"calls": []} and anonymous.status_code == 401
        [call] = theirs["calls"]
        assert (call["call_id"], call["legs"], call["consent"], call["viewers"]) == (
            "b-call",
            ["agent", "caller"],
            "pending",
            0,
        )
        assert call["duration_s"] >= 0 and call["started_at"].endswith("Z")
        await b.send(json.dumps({"type": "stop"}))
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _ in b:
                pass


async def _slow_viewer(gw: Gateway, call_id: str) -> websockets.ClientConnection:
    """A viewer with a tiny receive buffer that stops reading after one queued frame."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", gw.server.port))
    return await websockets.connect(
        captions_url(gw, call_id, wait=True),
        sock=sock,
        max_queue=1,
        max_size=None,
        additional_headers={"Authorization": f"Bearer {TOKEN}"},
    )


async def _flood(gw: Gateway, call_id: str, stop: Any, most: int) -> int:
    """Publish a talkative call through the runtime's listener hook until `stop()`; returns its finals."""
    rt, text = gw.runtime, "word " * 800
    publish_to_runtime(rt, "tenant-a", call_id, Start(call_id, AudioFormat("mulaw", 8000, 2), ("agent", "caller")))
    publish_to_runtime(rt, "tenant-a", call_id, Ready("s-flood", call_id, "active", "tiny.en", ("en",)))
    seq = 0
    while not stop() and seq < most:
        seq += 1
        publish_to_runtime(rt, "tenant-a", call_id, Partial("agent", f"u{seq}", "word word", seq, seq + 0.5))
        await asyncio.sleep(0.001)
        publish_to_runtime(rt, "tenant-a", call_id, Final(seq, "agent", f"u{seq}", text, seq, seq + 1.0, "en"))
        await asyncio.sleep(0.001)
    publish_to_runtime(rt, "tenant-a", call_id, CallEnded(call_id, seq))
    return seq


async def test_slow_viewer_is_cut_off_while_the_call_and_other_viewers_get_everything(gateway: Gateway) -> None:
    """A viewer that stops reading loses partials, holds at most 256 queued finals and is closed with 1013,
    while a fast viewer of the same call and a real call streaming at the same time get every final."""
    hub = hub_of(gateway)
    slow_ws = await _slow_viewer(gateway, "flood")
    fast = asyncio.create_task(watch(gateway, "flood", TOKEN))
    await until_viewers(gateway, "tenant-a", "flood", 2)
    slow, fast_viewer = hub.viewers("tenant-a", "flood")
    real_viewer = asyncio.create_task(watch(gateway, "real", TOKEN))
    await until_viewers(gateway, "tenant-a", "real", 1)
    real = asyncio.create_task(stream_call(gateway.url, TOKEN, read_wav(A1), StreamOptions(call_id="real", pace=0)))
    published = await _flood(gateway, "flood", lambda: slow.close_code is not None, most=4000)

    assert slow.close_code == TOO_SLOW and hub.counters.viewers_evicted == 1
    assert slow.partials_dropped > 0 and slow.max_finals_queued == hub.config.viewer_max_finals == 256
    got: list[dict[str, Any]] = []
    with contextlib.suppress(websockets.ConnectionClosed):
        async for frame in slow_ws:
            got.append(json.loads(frame))
    assert (slow_ws.close_code, slow_ws.close_reason) == (1013, "viewer too slow")
    seqs = [f["seq"] for f in got if f["type"] == "final"]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) < published

    fast_run = await fast
    assert [f["seq"] for f in fast_run.finals] == list(range(1, published + 1))
    assert fast_run.close_code == 1000 and fast_viewer.partials_dropped == 0 and fast_run.of_type("partial")
    run, real_run = await real, await real_viewer
    assert run.close_code == 1000 and run.finals and same_finals(real_run, run)
