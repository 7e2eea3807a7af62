"""Media-server simulators: the frames Twilio, Telnyx, FreeSWITCH, jambonz and Asterisk send for a call.

Each builder turns a clip into a timeline of (audio seconds, frame) pairs in the media server's own
framing and codec; `play_ws` and `play_tcp` send a timeline over a real socket, paced or as fast as the
socket takes it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import websockets

from bench.audio import Clip, encode

Frame = str | bytes
Timeline = list[tuple[float, Frame]]
"""(seconds of audio sent before this frame, frame)."""


Samples = npt.NDArray[np.int16]


def _chunks(samples: Samples, rate: int, sizes_ms: Sequence[int]) -> list[tuple[float, Samples]]:
    """Cut samples into chunks whose durations cycle through `sizes_ms`; each with its start time."""
    out: list[tuple[float, Samples]] = []
    i, k = 0, 0
    while i < len(samples):
        n = rate * sizes_ms[k % len(sizes_ms)] // 1000
        out.append((i / rate, samples[i : i + n]))
        i, k = i + n, k + 1
    return out


def _cut(clip: Clip, until_s: float | None) -> Clip:
    return clip if until_s is None else Clip(clip.samples[: int(until_s * clip.rate)], clip.rate)


# -- Twilio / Telnyx ---------------------------------------------------------------------------------


def twilio_timeline(
    clip: Clip,
    call_sid: str,
    *,
    channels: dict[str, int],
    params: dict[str, str],
    dtmf_at: float | None = None,
    until_s: float | None = None,
) -> Timeline:
    """Twilio Media Streams: 20 ms base64 mu-law `media` events per track (`channels`: track -> clip
    channel), an inbound `dtmf` at `dtmf_at`, and `stop` after the audio (cut at `until_s`)."""
    clip = _cut(clip, until_s)
    sid = "MZ" + uuid.uuid4().hex
    start = {
        "streamSid": sid,
        "accountSid": "AC" + "0" * 32,
        "callSid": call_sid,
        "tracks": list(channels),
        "customParameters": params,
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
    }
    out: Timeline = [
        (0.0, json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"})),
        (0.0, json.dumps({"event": "start", "sequenceNumber": "1", "start": start, "streamSid": sid})),
    ]
    seq = 2
    for k, (at, chunk) in enumerate(_chunks(clip.samples, clip.rate, [20])):
        if dtmf_at is not None and at >= dtmf_at:
            dtmf = {"track": "inbound_track", "digit": "9"}
            out.append((at, json.dumps({"event": "dtmf", "streamSid": sid, "sequenceNumber": str(seq), "dtmf": dtmf})))
            seq, dtmf_at = seq + 1, None
        tracks = list(channels) if k % 3 else list(reversed(channels))  # tracks arrive in either order
        for track in tracks:
            payload = base64.b64encode(encode(chunk[:, channels[track] : channels[track] + 1], "mulaw")).decode()
            media = {"track": track, "chunk": str(k + 1), "timestamp": str(k * 20), "payload": payload}
            out.append(
                (at, json.dumps({"event": "media", "sequenceNumber": str(seq), "media": media, "streamSid": sid}))
            )
            seq += 1
    stop = {"accountSid": start["accountSid"], "callSid": call_sid}
    out.append(
        (clip.seconds, json.dumps({"event": "stop", "sequenceNumber": str(seq), "stop": stop, "streamSid": sid}))
    )
    return out


def telnyx_timeline(
    clip: Clip,
    call_control_id: str,
    *,
    params: dict[str, str] | list[dict[str, str]],
    dtmf_at: float | None = None,
    tracks: Sequence[str] = ("inbound",),
) -> Timeline:
    """Telnyx media streaming, PCMU: like Twilio in snake_case, with `sequence_number`s and
    neighbouring frames swapped (Telnyx does not guarantee frame order); each of `tracks` carries the
    clip's first channel (an `outbound` track silence)."""
    start = {
        "call_control_id": call_control_id,
        "call_session_id": str(uuid.uuid4()),
        "from": "+3225550100",
        "to": "+3225550199",
        "custom_parameters": params,
        "media_format": {"encoding": "PCMU", "sample_rate": 8000, "channels": 1},
    }
    sid = str(uuid.uuid4())
    events: list[tuple[float, dict[str, Any]]] = [(0.0, {"event": "start", "start": start})]
    for k, (at, chunk) in enumerate(_chunks(clip.samples, clip.rate, [20])):
        if dtmf_at is not None and at >= dtmf_at:
            events.append((at, {"event": "dtmf", "dtmf": {"digit": "9"}}))
            dtmf_at = None
        for track in tracks:
            audio = chunk[:, :1] if track == "inbound" else np.zeros_like(chunk[:, :1])
            payload = base64.b64encode(encode(audio, "mulaw")).decode()
            events.append(
                (
                    at,
                    {
                        "event": "media",
                        "media": {"track": track, "chunk": str(k + 1), "timestamp": str(k * 20), "payload": payload},
                    },
                )
            )
    events.append((clip.seconds, {"event": "stop", "stop": {"call_control_id": call_control_id}}))
    for n, (_, event) in enumerate(events, start=1):
        event.update(sequence_number=str(n), stream_id=sid)
    for n in range(3, len(events) - 2, 5):  # swap neighbours: out of order on the wire
        events[n], events[n + 1] = events[n + 1], events[n]
    out: Timeline = [(0.0, json.dumps({"event": "connected", "version": "1.0.0"}))]
    return out + [(at, json.dumps(event)) for at, event in events]


# -- L16 over WebSocket: FreeSWITCH, jambonz, Asterisk chan_websocket ---------------------------------


def l16_timeline(
    first: str,
    clip: Clip,
    *,
    order: Sequence[int],
    sizes_ms: Sequence[int],
    dtmf: str | None = None,
    dtmf_at: float | None = None,
) -> Timeline:
    """A text `first` frame, then binary little-endian PCM16 frames (channels in `order`, sizes cycling
    through `sizes_ms`), with the text `dtmf` frame at `dtmf_at`."""
    out: Timeline = [(0.0, first)]
    for at, chunk in _chunks(clip.samples[:, list(order)], clip.rate, sizes_ms):
        if dtmf is not None and dtmf_at is not None and at >= dtmf_at:
            out.append((at, dtmf))
            dtmf_at = None
        out.append((at, encode(chunk, "pcm_s16le")))
    return out


def asterisk_timeline(
    clip: Clip, channel_id: str, *, variables: dict[str, str], dtmf_at: float | None = None, fmt: str = "ulaw"
) -> Timeline:
    """chan_websocket in JSON control mode, `c(ulaw)` (or `c(slin16)`, `fmt`, at the clip's rate):
    MEDIA_START, 20 ms media frames, DTMF_END."""
    size = clip.rate // 50 * (1 if fmt == "ulaw" else 2)
    start = {
        "event": "MEDIA_START",
        "connection_id": uuid.uuid4().hex,
        "channel": f"WebSocket/gw-{channel_id}",
        "channel_id": channel_id,
        "format": fmt,
        "optimal_frame_size": size,
        "ptime": 20,
        "channel_variables": variables,
    }
    out: Timeline = [(0.0, json.dumps(start))]
    for at, chunk in _chunks(clip.samples, clip.rate, [20]):
        if dtmf_at is not None and at >= dtmf_at:
            out.append((at, json.dumps({"event": "DTMF_END", "channel_id": channel_id, "digit": "9"})))
            dtmf_at = None
        out.append((at, encode(chunk, "mulaw" if fmt == "ulaw" else "pcm_s16le")))
    return out


def asterisk_plain_timeline(
    clip: Clip, connection_id: str, *, channel_id: str | None = None, dtmf_at: float | None = None
) -> Timeline:
    """chan_websocket's default plain-text control mode, `c(ulaw)`. Without `channel_id` this is the
    `MEDIA_START` of 20.16.x, all 21.x (21.12.3 too), 22.6.x and 23.0.x (`chan_websocket.c:850` at
    20.16.0; `channel_id` came in 20.17.0/22.7.0/23.1.0), whose `connection_id` is the static
    `websocket_client` section name in client mode (`chan_websocket.c:1364-1402`); `DTMF_END digit:%c`
    as at `:1511`."""
    own = f" channel_id:{channel_id}" if channel_id else ""
    start = (
        f"MEDIA_START connection_id:{connection_id} channel:WebSocket/{connection_id}/0x7f3a1c00{len(own):04x}"
        f"{own} format:ulaw optimal_frame_size:160 ptime:20"
    )
    out: Timeline = [(0.0, start)]
    for at, chunk in _chunks(clip.samples, clip.rate, [20]):
        if dtmf_at is not None and at >= dtmf_at:
            out.append((at, f"DTMF_END digit:9{' channel_id:' + channel_id if channel_id else ''}"))
            dtmf_at = None
        out.append((at, encode(chunk, "mulaw")))
    return out


# -- AudioSocket (TCP) -------------------------------------------------------------------------------


def audiosocket_frame(kind: int, payload: bytes = b"") -> bytes:
    """kind (u8) | length (u16 big-endian) | payload."""
    return bytes([kind]) + len(payload).to_bytes(2, "big") + payload


def audiosocket_timeline(
    clip: Clip, call_uuid: uuid.UUID, *, dtmf_at: float | None = None, hangup: bool = True
) -> list[tuple[float, bytes]]:
    """AudioSocket: the UUID frame, 320-byte slin frames (20 ms at 8 kHz), a DTMF frame, hangup (0x00);
    the byte stream is cut into writes of 7, 500 and 333 bytes so frames straddle writes."""
    frames: list[tuple[float, bytes]] = [(0.0, audiosocket_frame(0x01, call_uuid.bytes))]
    for at, chunk in _chunks(clip.samples, clip.rate, [20]):
        if dtmf_at is not None and at >= dtmf_at:
            frames.append((at, audiosocket_frame(0x03, b"9")))
            dtmf_at = None
        frames.append((at, audiosocket_frame(0x10, encode(chunk, "pcm_s16le"))))
    if hangup:
        frames.append((clip.seconds, audiosocket_frame(0x00)))
    writes: list[tuple[float, bytes]] = []
    pending, k = b"", 0
    for at, frame in frames:
        pending += frame
        while len(pending) >= (size := (7, 500, 333)[k % 3]):
            writes.append((at, pending[:size]))
            pending, k = pending[size:], k + 1
    if pending:
        writes.append((frames[-1][0], pending))
    return writes


# -- players -----------------------------------------------------------------------------------------


@dataclass
class WsRun:
    """What a simulated media server saw on its WebSocket."""

    subprotocol: str | None = None
    received: list[Frame] = field(default_factory=list)
    close_code: int | None = None

    def json_frames(self) -> list[dict[str, Any]]:
        return [json.loads(f) for f in self.received if isinstance(f, str)]


async def _pace(t0: float, at: float, pace: float) -> None:
    if pace > 0 and (delay := t0 + at / pace - time.monotonic()) > 0:
        await asyncio.sleep(delay)


Gate = tuple[float, Callable[[], Awaitable[None]]]
"""(audio time, wait): before the first frame at or after that time the player awaits `wait()`."""


async def _gate(gate: Gate | None, at: float) -> Gate | None:
    if gate is not None and at >= gate[0]:
        await asyncio.wait_for(gate[1](), 90)
        return None
    return gate


async def play_ws(
    url: str,
    timeline: Timeline,
    *,
    subprotocols: Sequence[str] = (),
    pace: float = 0.0,
    hang_up: bool = False,
    linger: Callable[[WsRun], bool] | None = None,
    headers: dict[str, str] | None = None,
    gate: Gate | None = None,
) -> WsRun:
    """Send `timeline` (pausing at `gate`); then hang up (close the socket; first wait, within bounds, until
    `linger` holds for what was received) or wait for the gateway to close it."""
    run = WsRun()
    async with websockets.connect(
        url,
        subprotocols=[websockets.Subprotocol(p) for p in subprotocols] or None,
        additional_headers=headers,
        max_size=None,
    ) as ws:
        run.subprotocol = ws.subprotocol
        satisfied = asyncio.Event()
        reader = asyncio.create_task(_read(ws, run, linger, satisfied))
        t0 = time.monotonic()
        try:
            for at, frame in timeline:
                await _pace(t0, at, pace)
                gate = await _gate(gate, at)
                await ws.send(frame)
        except websockets.ConnectionClosed:
            pass
        if hang_up:
            if linger is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(satisfied.wait(), 30)
            await ws.close()
        await reader
        run.close_code = ws.close_code
    return run


async def _read(ws: Any, run: WsRun, linger: Callable[[WsRun], bool] | None, satisfied: asyncio.Event) -> None:
    try:
        async for frame in ws:
            run.received.append(frame)
            if linger is not None and linger(run):
                satisfied.set()
    except websockets.ConnectionClosed:
        pass


async def play_tcp(
    port: int, writes: list[tuple[float, bytes]], *, pace: float = 0.0, close: bool = True, gate: Gate | None = None
) -> bytes:
    """Write to an AudioSocket port (pausing at `gate`), half-close (EOF) when `close`, and return what the
    gateway sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    t0 = time.monotonic()
    for at, data in writes:
        await _pace(t0, at, pace)
        gate = await _gate(gate, at)
        writer.write(data)
        await writer.drain()
    if close:
        writer.write_eof()
    received = await reader.read()
    writer.close()
    await writer.wait_closed()
    return received
