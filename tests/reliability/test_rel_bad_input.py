"""Bad input over real sockets gets a typed answer, never a 500 / 1011 or unbounded memory (findings 6, 8)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from asr.types import Transcriber
from bench.audio import read_wav
from bench.client import StreamOptions, stream_call
from gateway.limits import LimitsConfig
from protocol.adapters.audiosocket import MAX_HELD_DIGITS
from tests.conftest import TOKEN
from tests.telephony.conftest import JFK, Telephony, telephony_gateway
from tests.telephony.media_servers import audiosocket_frame, telnyx_timeline, twilio_timeline
from vad.silero import SileroModel


@pytest.fixture
async def tel(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Telephony]:
    async with telephony_gateway(
        engines, vad_model, idle_timeout_s=300.0, limits=LimitsConfig(header_timeout_s=1.0)
    ) as telephony:
        yield telephony


async def _play_until_closed(url: str, frames: list[str]) -> tuple[int | None, list[Any]]:
    received: list[Any] = []
    async with websockets.connect(url) as ws:
        try:
            for frame in frames:
                await ws.send(frame)
            async for msg in ws:
                received.append(msg)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()
        return ws.close_code, received


@pytest.mark.parametrize("track", [["inbound"], {"name": "inbound"}])
async def test_twilio_media_with_a_list_or_object_track_is_bad_message(tel: Telephony, track: object) -> None:
    """A Twilio `media` event whose `track` is a list or an object closes 1008 (the adapter's typed error),
    not 1011 `internal`; Twilio and Telnyx (media events alike) both get it."""
    clip = read_wav(JFK)
    twilio = [text for _, text in twilio_timeline(clip, "CA1", channels={"inbound": 0}, params={})][:6]
    bad = json.loads(twilio[4])
    bad["media"]["track"] = track
    code, _ = await _play_until_closed(tel.url("twilio"), [*twilio[:4], json.dumps(bad)])
    assert code == 1008
    telnyx = [text for _, text in telnyx_timeline(clip, "v3:call", params={})][:4]
    bad = json.loads(telnyx[2])
    bad["media"]["track"] = track
    code, _ = await _play_until_closed(tel.url("telnyx"), [*telnyx[:2], json.dumps(bad)])
    assert code == 1008


JUNK_SDP = ["random lines\nmore random lines\n", "m=audio x\r\n", "v=0\r\nm=audio 9 RTP/AVP 0\r\na=junk\r\n"]


async def test_junk_sdp_is_answered_400_bad_message(tel: Telephony) -> None:
    """Offers whose SDP is junk (no media lines, unparseable m-lines) are refused 400 `bad_message`."""
    async with httpx.AsyncClient(base_url=tel.gw.http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        for sdp in JUNK_SDP:
            r = await http.post("/v1/webrtc/offer", json={"sdp": sdp, "type": "offer", "call_id": "junk"})
            assert (r.status_code, r.json()["code"]) == (400, "bad_message"), sdp


async def _raw(port: int, request: bytes, body_chunks: int = 0) -> bytes:
    """Send a raw HTTP request (and optionally a trickle of body), return what the server answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    for _ in range(body_chunks):
        writer.write(b"x" * 1024)
        await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 30)
    writer.close()
    return answer


async def test_an_oversized_offer_is_refused_before_its_body_is_read(tel: Telephony) -> None:
    """A declared 100 MB offer is answered 413 with only 10 bytes of its body sent (nothing is buffered),
    and a chunked offer is cut off with 413 as soon as it passes the limit."""
    port = tel.gw.server.port
    head = (
        f"POST /v1/webrtc/offer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    answer = await _raw(port, head + b"Content-Length: 100000000\r\n\r\n0123456789")
    assert answer.startswith(b"HTTP/1.1 413")
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"x" * 1024 + b"\r\n"
    answer = await _raw(port, chunked * 1 + (b"400\r\n" + b"x" * 1024 + b"\r\n") * 80)
    assert answer.startswith(b"HTTP/1.1 413")


async def test_header_size_is_bounded_and_slow_headers_time_out(tel: Telephony) -> None:
    """Headers that never end are refused with 400 once past the size bound (64 KB sent, nothing
    buffered beyond 16 KB), a peer that trickles its headers byte by byte is closed by the header deadline,
    and no response carries a `server` banner."""
    port = tel.gw.server.port
    huge = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 65536
    assert (await _raw(port, huge)).startswith(b"HTTP/1.1 400")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    closed = False
    for _ in range(100):  # up to 30 s of trickling; the deadline is 1 s
        try:
            writer.write(b"a")
            await writer.drain()
            closed = await asyncio.wait_for(reader.read(1), 0.3) == b""
        except TimeoutError:
            continue
        except ConnectionError:
            closed = True
        if closed:
            break
    writer.close()
    assert closed, "the slow-header connection was never closed"
    async with httpx.AsyncClient(base_url=tel.gw.http) as http:
        r = await http.get("/healthz")
    assert r.status_code == 200 and "server" not in r.headers


async def test_dtmf_before_audio_is_bounded_on_audiosocket(tel: Telephony) -> None:
    """An AudioSocket peer that sends thousands of DTMF frames before any audio is cut off (terminate frame,
    then EOF) once it passes the hold limit (the idle timeout is 300 s here), instead of growing the process."""
    reader, writer = await asyncio.open_connection("127.0.0.1", tel.audiosocket_port)
    writer.write(audiosocket_frame(0x01, uuid.uuid4().bytes))
    writer.write(audiosocket_frame(0x03, b"5") * (MAX_HELD_DIGITS * 100))
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 30)
    writer.close()
    assert answer == b"\x00\x00\x00"
    assert tel.gw.runtime.registry.live == 0


async def test_the_header_deadline_never_cuts_an_upgraded_call(tel: Telephony) -> None:
    """With a 1 s header deadline, a real-time WebSocket call of 3.9 s (upgraded long before) runs to its
    end: `closed`, close 1000 and its finals."""
    clip = read_wav(JFK.parent / "cmu_arctic_us_aew_a0001.wav")
    run = await stream_call(tel.gw.url, TOKEN, clip, StreamOptions(call_id="long-after-headers", pace=1.0))
    assert run.close_code == 1000 and run.of_type("closed") and run.finals
