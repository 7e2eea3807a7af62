"""`/metrics` over a real server: scheduler, connection and caption-hub series, moved by a real call."""

from __future__ import annotations

import asyncio
import re

import httpx
import websockets

from bench.audio import encode, read_wav
from gateway.transports import TRANSPORTS
from protocol.codec import Mode, encode_client, parse_server
from protocol.messages import AudioChunk, AudioFormat, Start, Stop
from tests.captions.helpers import until_viewers, watch
from tests.conftest import AUDIO, TOKEN, Gateway

_SAMPLE = re.compile(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$")
CAPTION_SERIES = (
    "callscribe_caption_viewers",
    "callscribe_caption_viewers_subscribed_total",
    "callscribe_caption_viewers_evicted_total",
    "callscribe_caption_partials_dropped_total",
    "callscribe_caption_partials_coalesced_total",
    "callscribe_caption_frames_queued_total",
)


async def scrape(gw: Gateway) -> dict[str, float]:
    """Every sample of `/metrics`, keyed by name and labels; checks each family has HELP and TYPE lines."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{gw.http}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for line in response.text.splitlines():
        if line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match is not None, line
        samples[match[1]] = float(match[2])
    for name in {re.sub(r"_(bucket|sum|count)$", "", key.split("{")[0]) for key in samples}:
        assert f"# TYPE {name} " in response.text and f"# HELP {name} " in response.text
    return samples


async def test_metrics_expose_caption_and_connection_series_that_move_with_a_call(gateway: Gateway) -> None:
    """The caption hub's series and one open-connection gauge per transport are exposed at 0; a caption viewer
    and an open native call raise the viewer and connection gauges; after the call the decode and caption
    counters have grown and the gauges are back to 0."""
    before = await scrape(gateway)
    for series in (*CAPTION_SERIES, *(f'callscribe_connections_open{{transport="{t}"}}' for t in TRANSPORTS)):
        assert before[series] == 0, series
    viewer = asyncio.create_task(watch(gateway, "metrics-call", TOKEN, wait=True))
    await until_viewers(gateway, "tenant-a", "metrics-call", 1)
    clip = read_wav(AUDIO / "real" / "jfk_tel8k.wav")
    start = Start("metrics-call", AudioFormat("pcm_s16le", clip.rate, 1), ("caller",), "en", consent="granted")
    async with websockets.connect(gateway.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(encode_client(start, Mode.JSON))
        assert parse_server(await ws.recv(), Mode.JSON)["type"] == "ready"
        during = await scrape(gateway)
        assert during['callscribe_connections_open{transport="native"}'] == 1
        assert during["callscribe_calls_live"] == 1
        assert during["callscribe_caption_viewers"] == 1 and during["callscribe_caption_viewers_subscribed_total"] == 1
        step = clip.rate // 50
        for i in range(0, len(clip.samples), step):
            await ws.send(encode_client(AudioChunk(encode(clip.samples[i : i + step], "pcm_s16le")), Mode.JSON))
        await ws.send(encode_client(Stop(), Mode.JSON))
        types = [parse_server(frame, Mode.JSON)["type"] async for frame in ws]
    assert "final" in types and types[-1] == "closed"
    seen = await asyncio.wait_for(viewer, 60)
    assert seen.finals and seen.close_code == 1000
    after = await scrape(gateway)
    assert after["callscribe_finals_decoded_total"] >= len(seen.finals) > before["callscribe_finals_decoded_total"]
    assert after["callscribe_caption_frames_queued_total"] >= len(seen.finals)
    assert after["callscribe_caption_viewers"] == 0
    assert after['callscribe_connections_open{transport="native"}'] == 0 and after["callscribe_calls_live"] == 0
