"""The benchmark's measurement checked against a scripted transcribe.v1 server with known delays.

The fake server answers every reference turn with a final exactly DELAY after the frame holding the turn's
end reached it, and every 0.5 s of a turn's audio with a partial DELAY after that audio reached it; the
bench must report DELAY (within 30 ms) for both.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve

from bench.drivers import GatewayDriver
from bench.manifest import Item, Turn, load_manifest
from bench.pacing import Pacing
from bench.scenario import ScenarioSpec, run_scenario
from bench.servers import Server

DELAY = 0.7
RATE = 8000
TURNS = [
    ("left", "agent", 0.2, 1.0, "Good morning, how can I help?"),
    ("right", "caller", 1.2, 2.0, "My invoice is wrong."),
    ("left", "agent", 2.2, 2.6, "Let me check 4 5 7."),
]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    """A silent 2.8 s two-leg call with three timed turns, in the manifest format."""
    audio = np.zeros((int(2.8 * RATE), 2), dtype="<i2")
    with wave.open(str(tmp_path / "call.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio.tobytes())
    rows = [f"{s:.3f}\t{e:.3f}\t{ch}\t{sp}\t{t}" for ch, sp, s, e, t in TURNS]
    lines = ["start_s\tend_s\tchannel\tspeaker\ttext", *rows]
    (tmp_path / "call.tsv").write_text("\n".join(lines) + "\n")
    (tmp_path / "manifest.tsv").write_text(
        "file\tlang\tseconds\tsample_rate\tchannels\torigin\tlicense\treference_text\n"
        "call.wav\ten\t2.800\t8000\t2\ttest\tnone\tsee call.tsv\n"
    )
    return tmp_path / "manifest.tsv"


class FakeGateway:
    """transcribe.v1 on loopback: hypotheses at known delays after the audio that they cover arrived."""

    def __init__(self, item: Item) -> None:
        self.item = item

    async def handler(self, ws: ServerConnection) -> None:
        start = json.loads(await ws.recv())
        channels = start["audio"]["channels"]
        received = 0.0
        pending: list[asyncio.Task[None]] = []
        seq = 0
        due_turns = sorted(self.item.turns, key=lambda t: t.end)
        next_partial = {t: t.start + 0.5 for t in self.item.turns}
        async for frame in ws:
            now = time.monotonic()
            if isinstance(frame, bytes):
                received += len(frame) / (2 * channels) / RATE
                for t in self.item.turns:
                    while next_partial[t] < t.end and next_partial[t] <= received + 1e-9:
                        pending.append(asyncio.create_task(self._later(ws, now, self._partial(t, next_partial[t]))))
                        next_partial[t] += 0.5
                while due_turns and due_turns[0].end <= received + 1e-9:
                    seq += 1
                    pending.append(asyncio.create_task(self._later(ws, now, self._final(due_turns.pop(0), seq))))
            elif json.loads(frame)["type"] == "stop":
                await asyncio.gather(*pending)
                await ws.send(json.dumps({"type": "closed", "finals": seq, "audio_seconds": {}}))
                await ws.close()
                return

    @staticmethod
    async def _later(ws: ServerConnection, arrived: float, msg: dict[str, Any]) -> None:
        await asyncio.sleep(max(0.0, arrived + DELAY - time.monotonic()))
        await ws.send(json.dumps(msg))

    @staticmethod
    def _partial(t: Turn, end: float) -> dict[str, Any]:
        return {
            "type": "partial",
            "leg": t.leg,
            "utterance_id": f"{t.leg}-{t.start}",
            "text": t.text.split()[0],
            "start": t.start,
            "end": end,
        }

    @staticmethod
    def _final(t: Turn, seq: int) -> dict[str, Any]:
        return {
            "type": "final",
            "seq": seq,
            "leg": t.leg,
            "utterance_id": f"{t.leg}-{t.start}",
            "text": t.text,
            "start": t.start,
            "end": t.end,
            "language": "en",
            "words": [],
            "redactions": [],
        }


@pytest.fixture
async def fake(manifest: Path) -> AsyncIterator[tuple[str, Item]]:
    item = load_manifest(manifest)[0]
    async with serve(FakeGateway(item).handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/v1/stream", item


async def test_reported_latencies_match_the_servers_scripted_delay(fake: tuple[str, Item]) -> None:
    """Final latency and partial lag come out as the fake's 700 ms (median within 30 ms), for 2 calls."""
    url, item = fake
    server = Server("fake", GatewayDriver(url, "token-123456"), os.getpid())
    result = await run_scenario(server, ScenarioSpec(2, (item,), Pacing(tail_s=0.4), stagger_s=0.2))
    o = result["overall"]
    assert o["turns_finalised"] == o["turns_expected"] == 6
    assert o["final_latency"]["p50"] == pytest.approx(DELAY, abs=0.03)
    assert o["partial_lag"]["p50"] == pytest.approx(DELAY, abs=0.03)
    assert o["wer"] == {"en": 0.0}
    assert o["calls_ok"] == 2


async def test_every_turn_latency_is_measured_from_its_own_reference_end(fake: tuple[str, Item]) -> None:
    """Each turn's final is matched to its own turn: one latency per turn, none negative, all near 700 ms."""
    url, item = fake
    server = Server("fake", GatewayDriver(url, "token-123456"), None)
    result = await run_scenario(server, ScenarioSpec(1, (item,), Pacing(tail_s=0.4), stagger_s=0))
    utts = result["per_utterance"]
    assert [(u["leg"], u["start"]) for u in utts] == [("agent", 0.2), ("agent", 2.2), ("caller", 1.2)]
    assert all(0.6 < u["final_latency"] < 1.2 for u in utts)
    # first hypothesis: a partial 0.5 s into a turn (+0.7 s), or the final of the 0.4 s turn (+0.7 s)
    assert [u["first_partial_latency"] for u in utts] == pytest.approx([1.2, 1.1, 1.2], abs=0.1)
    assert result["overall"]["send_jitter_ms"]["n"] == 160  # one sample per 20 ms frame of 2.8 + 0.4 s
