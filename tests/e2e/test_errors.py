"""Every error row of PROTOCOL.md, over a real socket: the right code and close code, and the gateway
stays healthy while another call goes on."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import msgpack
import pytest
import websockets

from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway

START = {
    "type": "start",
    "call_id": "bad",
    "audio": {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1},
    "language": "en",
    "consent": "granted",
}


async def exchange(
    gw: Gateway, frames: list[str | bytes], subprotocol: str = "transcribe.v1", token: str = TOKEN
) -> tuple[list[dict[str, Any]], int | None]:
    """Send frames, read until the server closes; returns (messages, close code)."""
    msgs: list[dict[str, Any]] = []
    async with websockets.connect(
        gw.url,
        subprotocols=[websockets.Subprotocol(subprotocol)],
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
    ) as ws:
        try:
            for frame in frames:
                await ws.send(frame)
            async for frame in ws:
                msgs.append(json.loads(frame) if isinstance(frame, str) else msgpack.unpackb(frame))
        except websockets.ConnectionClosed:
            pass
        return msgs, ws.close_code


def start(**changes: Any) -> str:
    msg = json.loads(json.dumps(START))
    for key, value in changes.items():
        if key in msg["audio"]:
            msg["audio"][key] = value
        else:
            msg[key] = value
    return json.dumps(msg)


CASES: list[tuple[str, list[str | bytes], str, int]] = [
    ("invalid json", ["{not json"], "bad_message", 1007),
    ("unknown type", [json.dumps({"type": "hello"})], "bad_message", 1008),
    ("missing call_id", [json.dumps({"type": "start", "audio": START["audio"]})], "bad_message", 1008),
    ("wrong-typed field", [start(channels="one")], "bad_message", 1008),
    ("audio before start", [b"\x00\x00" * 160], "bad_message", 1008),
    ("second start", [start(), start()], "bad_message", 1008),
    ("odd byte count", [start(), b"\x00" * 321], "bad_audio", 1007),
    ("more than 1 s in a frame", [start(), b"\x00\x00" * 16001], "bad_audio", 1007),
    ("unsupported encoding", [start(encoding="opus")], "unsupported", 1003),
    ("unsupported rate", [start(sample_rate=44100)], "unsupported", 1003),
    ("unsupported channels", [start(channels=3)], "unsupported", 1003),
    ("unsupported language", [start(language="xx")], "unsupported", 1003),
    (
        "illegal consent transition",
        [start(consent="pending"), json.dumps({"type": "consent", "event": "resumed"})],
        "bad_message",
        1008,
    ),
    ("frame over the size limit", [start(), b"\x00\x00" * 100_000], "too_large", 1009),
]


@pytest.mark.parametrize(("frames", "code", "close"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_error_rows_answer_with_code_and_close_code(
    gateway: Gateway, frames: list[str | bytes], code: str, close: int
) -> None:
    """Each bad input gets one `error` with its documented code, then the documented close code."""
    msgs, close_code = await exchange(gateway, frames)
    errors = [m for m in msgs if m["type"] == "error"]
    assert [e["code"] for e in errors] == [code]
    assert close_code == close


async def test_msgpack_text_frame_is_bad_message(gateway: Gateway) -> None:
    """In msgpack mode a text frame is a protocol violation (1008 or 1007), answered in msgpack."""
    msgs, close_code = await exchange(gateway, ["{}"], subprotocol="transcribe.v1.msgpack")
    assert msgs[-1]["code"] == "bad_message" and close_code in (1007, 1008)


async def test_missing_or_wrong_token_is_401_before_upgrade(gateway: Gateway) -> None:
    """No valid token: HTTP 401 before the upgrade, and no call session exists afterwards."""
    for token in ("", "not-a-valid-token"):
        with pytest.raises(websockets.InvalidStatus) as info:
            await exchange(gateway, [start()], token=token)
        assert info.value.response.status_code == 401
    assert gateway.runtime.registry.live == 0 and gateway.runtime.registry.get("tenant-a", "bad") is None


async def test_overloaded_when_calls_per_process_are_used_up(engines: Any, vad_model: Any) -> None:
    """With max_calls=1, a second concurrent call gets `overloaded` and close 1013; the first goes on."""
    gw, task = await start_gateway(make_config(max_calls=1), engines, vad_model)
    try:
        clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav")
        first = asyncio.create_task(stream_call(gw.url, TOKEN, clip, StreamOptions(call_id="one", pace=2.0)))
        while gw.runtime.registry.live == 0:  # noqa: ASYNC110 (bounded by the call)
            await asyncio.sleep(0.01)
        msgs, close_code = await exchange(gw, [start(call_id="two")])
        assert msgs[-1]["code"] == "overloaded" and close_code == 1013
        run = await first
        assert run.close_code == 1000 and "hands" in " ".join(f["text"] for f in run.finals).lower()
    finally:
        gw.server.should_exit = True
        await task


async def test_bad_calls_do_not_disturb_a_good_one(gateway: Gateway) -> None:
    """While every bad input above is thrown at the gateway, a good call streams and gets its finals;
    /healthz stays ok."""
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    good = asyncio.create_task(stream_call(gateway.url, TOKEN, clip, StreamOptions(call_id="good", pace=4.0)))
    for i, (_, frames, code, _) in enumerate(CASES):
        frames = [f.replace('"bad"', f'"bad-{i}"') if isinstance(f, str) else f for f in frames]
        msgs, _ = await exchange(gateway, frames)
        assert msgs[-1]["code"] == code
    run = await good
    assert run.close_code == 1000
    assert "country" in " ".join(f["text"] for f in run.finals).lower()
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{gateway.http}/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
