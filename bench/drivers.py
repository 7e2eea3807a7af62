"""One replayed call against each system, over its own WebSocket protocol.

- `GatewayDriver`: transcribe.v1 (PROTOCOL.md); a two-leg call is ONE stereo stream at its own rate, as a
  PBX sends it; end-of-stream is `stop` (the gateway flushes its last finals, sends `closed`, closes).
- `WhisperLiveDriver` / `WhisperLiveKitDriver`: the peers take mono 16 kHz audio, so a two-leg call is two
  connections (one per leg, resampled), started together and paced independently. End-of-stream is
  WhisperLive's `END_OF_AUDIO` frame (its server then closes without completing the open segment, which
  counts as a final received at that moment, as WhisperLive's own client keeps it) and WhisperLiveKit's
  empty frame (it commits everything, then sends `ready_to_stop`).
All of them stream the clip plus the same silent tail (`Pacing.tail_s`) before ending.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import websockets

from bench.audio import Clip
from bench.manifest import Item
from bench.pacing import Pacing, mono_16k, pcm_frames, replay
from bench.peer_protocols import WhisperLiveKitReader, WhisperLiveReader
from bench.trace import CallTrace, Hyp, LegTrace
from protocol.codec import Mode, encode_client, parse_server
from protocol.errors import ProtocolError
from protocol.messages import AudioFormat, InitialConsent, RedactionPolicy, Start, Stop

Clock = Callable[[], float]


class Driver(Protocol):
    """Replays one call against one system."""

    @property
    def name(self) -> str:
        """The system's name in reports."""
        ...

    async def call(self, item: Item, clip: Clip, call_id: str, pacing: Pacing, clock: Clock) -> CallTrace:
        """Stream `clip` as call `call_id` at the pace; returns when the system has finished with it."""
        ...


async def _drain(reader: asyncio.Task[None], limit_s: float, trace: CallTrace) -> None:
    try:
        await asyncio.wait_for(reader, limit_s)
    except TimeoutError:
        trace.errors.append(f"no end of stream within {limit_s:.0f} s")


@dataclass(frozen=True, slots=True)
class GatewayDriver:
    """This gateway, over transcribe.v1 (JSON subprotocol)."""

    url: str
    token: str
    drain_s: float = 60.0
    redaction: RedactionPolicy | None = RedactionPolicy.OFF
    """The call's `start.redaction`: off by default, so WER compares words, not masks (the peers redact
    nothing); None leaves the deployment's default."""
    name: str = "gateway"

    async def call(self, item: Item, clip: Clip, call_id: str, pacing: Pacing, clock: Clock) -> CallTrace:
        trace = CallTrace.empty(call_id, item.file, item.legs)
        trace.started = clock()
        start = Start(
            call_id,
            AudioFormat("pcm_s16le", clip.rate, clip.channels),
            item.legs,
            item.lang,
            consent=InitialConsent.GRANTED,
            interim_results=True,
            redaction=self.redaction,
        )
        try:
            async with websockets.connect(
                self.url,
                subprotocols=[websockets.Subprotocol(Mode.JSON.value)],
                additional_headers={"Authorization": f"Bearer {self.token}"},
                max_size=None,
                open_timeout=30,
            ) as ws:
                await ws.send(encode_client(start, Mode.JSON))
                reader = asyncio.create_task(self._read(ws, trace, clock))

                async def send(b: bytes) -> None:
                    await ws.send(b)

                await replay(
                    pcm_frames(clip.samples, clip.rate, pacing), send, list(trace.legs.values()), pacing, clock
                )
                await ws.send(encode_client(Stop(), Mode.JSON))
                await _drain(reader, self.drain_s, trace)
                if ws.close_code not in (None, 1000):
                    trace.errors.append(f"closed {ws.close_code} {ws.close_reason}")
        except (OSError, websockets.WebSocketException) as exc:
            trace.errors.append(f"{type(exc).__name__}: {exc}")
        trace.ended = clock()
        return trace

    @staticmethod
    async def _read(ws: Any, trace: CallTrace, clock: Clock) -> None:
        try:
            async for frame in ws:
                at = clock()
                msg = parse_server(frame, Mode.JSON)
                kind = msg.get("type")
                if kind in ("partial", "final") and msg["leg"] in trace.legs:
                    trace.legs[msg["leg"]].hyps.append(
                        Hyp(
                            kind,
                            at,
                            str(msg["leg"]),
                            str(msg["text"]),
                            float(str(msg["start"])),
                            float(str(msg["end"])),
                        )
                    )
                elif kind == "error":
                    trace.refused |= msg.get("code") == "overloaded"
                    trace.errors.append(f"error {msg.get('code')}")
                elif kind == "closed":
                    return
        except ProtocolError as exc:
            trace.errors.append(f"unreadable server message: {exc}")
        except websockets.ConnectionClosed:
            pass


async def _per_leg(
    item: Item, clip: Clip, call_id: str, clock: Clock, leg_call: Callable[[int, LegTrace, CallTrace], Awaitable[None]]
) -> CallTrace:
    trace = CallTrace.empty(call_id, item.file, item.legs)
    trace.started = clock()
    await asyncio.gather(*(leg_call(i, trace.legs[leg], trace) for i, leg in enumerate(item.legs)))
    trace.ended = clock()
    return trace


async def _guarded(trace: CallTrace, body: Awaitable[None]) -> None:
    try:
        await body
    except (OSError, TimeoutError, websockets.WebSocketException) as exc:
        trace.errors.append(f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class WhisperLiveDriver:
    """collabora/WhisperLive's WebSocket server, one connection per leg (int16 audio at 16 kHz)."""

    url: str
    drain_s: float = 60.0
    name: str = "whisperlive"

    async def call(self, item: Item, clip: Clip, call_id: str, pacing: Pacing, clock: Clock) -> CallTrace:
        async def leg_call(ch: int, lt: LegTrace, trace: CallTrace) -> None:
            await _guarded(trace, self._leg(item, clip, f"{call_id}-{lt.leg}", ch, lt, trace, pacing, clock))

        return await _per_leg(item, clip, call_id, clock, leg_call)

    async def _leg(
        self, item: Item, clip: Clip, uid: str, ch: int, lt: LegTrace, trace: CallTrace, pacing: Pacing, clock: Clock
    ) -> None:
        options = {
            "uid": uid,
            "language": item.lang,
            "task": "transcribe",
            "model": "custom",
            "use_vad": True,
            "audio_format": "int16",
            "send_last_n_segments": 10,
        }
        async with websockets.connect(self.url, max_size=None, open_timeout=30) as ws:
            await ws.send(json.dumps(options))
            ready = json.loads(await asyncio.wait_for(ws.recv(), 120))
            if ready.get("message") != "SERVER_READY":
                trace.refused = True
                trace.errors.append(f"not ready: {ready.get('status') or ready.get('message')}")
                return
            hyps = WhisperLiveReader(lt.leg)
            reader = asyncio.create_task(self._read(ws, hyps, lt, clock))
            frames = pcm_frames(mono_16k(clip.samples, clip.rate, ch).reshape(-1, 1), 16000, pacing)
            await replay(frames, ws.send, [lt], pacing, clock)
            await ws.send(b"END_OF_AUDIO")
            await _drain(reader, self.drain_s, trace)
            lt.hyps += hyps.flush(clock())

    @staticmethod
    async def _read(ws: Any, reader: WhisperLiveReader, lt: LegTrace, clock: Clock) -> None:
        try:
            async for frame in ws:
                at = clock()
                msg = json.loads(frame)
                lt.hyps += reader.feed(msg, at)
                if msg.get("message") == "DISCONNECT":
                    return
        except websockets.ConnectionClosed:
            pass


@dataclass(frozen=True, slots=True)
class WhisperLiveKitDriver:
    """WhisperLiveKit's `/asr` endpoint (started with `--pcm-input`), one connection per leg."""

    url: str
    drain_s: float = 60.0
    name: str = "whisperlivekit"

    async def call(self, item: Item, clip: Clip, call_id: str, pacing: Pacing, clock: Clock) -> CallTrace:
        async def leg_call(ch: int, lt: LegTrace, trace: CallTrace) -> None:
            await _guarded(trace, self._leg(item, clip, ch, lt, trace, pacing, clock))

        return await _per_leg(item, clip, call_id, clock, leg_call)

    async def _leg(
        self, item: Item, clip: Clip, ch: int, lt: LegTrace, trace: CallTrace, pacing: Pacing, clock: Clock
    ) -> None:
        async with websockets.connect(f"{self.url}?language={item.lang}", max_size=None, open_timeout=30) as ws:
            reader = asyncio.create_task(self._read(ws, WhisperLiveKitReader(lt.leg), lt, trace, clock))
            frames = pcm_frames(mono_16k(clip.samples, clip.rate, ch).reshape(-1, 1), 16000, pacing)
            await replay(frames, ws.send, [lt], pacing, clock)
            await ws.send(b"")
            await _drain(reader, self.drain_s, trace)

    @staticmethod
    async def _read(ws: Any, reader: WhisperLiveKitReader, lt: LegTrace, trace: CallTrace, clock: Clock) -> None:
        try:
            async for frame in ws:
                at = clock()
                msg = json.loads(frame)
                if msg.get("type") == "ready_to_stop":
                    return
                if msg.get("type") == "error" or msg.get("error"):
                    trace.errors.append(f"error {msg.get('error')}")
                lt.hyps += reader.feed(msg, at, lt.audio_sent_by(at))
        except websockets.ConnectionClosed:
            pass
