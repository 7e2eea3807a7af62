"""A pure-Python WebRTC softphone for tests: WAV audio on a paced aiortc track, transcripts on a data channel."""

from __future__ import annotations

import asyncio
import fractions
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
import numpy as np
import numpy.typing as npt
import soxr
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcdatachannel import RTCDataChannel
from av import AudioFrame

from bench.audio import read_wav
from tests.conftest import AUDIO

RATE = 48000
FRAME = 960  # 20 ms
JFK = AUDIO / "real" / "jfk.wav"
ASK_NOT = (2.6, 7.9)  # seconds of jfk.wav holding "ask not what your country can do for you"
FELLOW = (0.0, 2.6)  # "and so my fellow americans"

Samples = npt.NDArray[np.int16]


def clip48k(path: object = JFK, span: tuple[float, float] | None = None) -> Samples:
    """A mono WAV (any rate) resampled to 48 kHz int16, optionally cut to `span` seconds."""
    clip = read_wav(str(path))
    mono = clip.samples[:, 0].astype(np.float32) / 32768.0
    if span is not None:
        mono = mono[int(span[0] * clip.rate) : int(span[1] * clip.rate)]
    up = soxr.resample(mono, clip.rate, RATE)
    return np.asarray(np.clip(up * 32768.0, -32768, 32767), dtype=np.int16)


def silence(seconds: float) -> Samples:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def words(text: str) -> str:
    """Lower case, punctuation removed, single spaces: for comparing transcripts."""
    return " ".join(re.sub(r"[^a-z' ]", " ", text.lower()).split())


class ScriptTrack(MediaStreamTrack):
    """Plays segments of 48 kHz audio as 20 ms frames, `speed` times faster than real time.

    Between segments it can wait for a gate (sending silence meanwhile, so the stream keeps its clock);
    `played[i]` is set once segment i has been sent. After the last segment it sends silence forever.
    """

    kind = "audio"

    def __init__(self, segments: Sequence[Samples], gates: Sequence[asyncio.Event | None], speed: float) -> None:
        super().__init__()
        self._segments = [np.concatenate([s, np.zeros(-len(s) % FRAME, np.int16)]) for s in segments]
        self._gates = list(gates)
        self._speed = speed
        self.played = [asyncio.Event() for _ in segments]
        self._seg = 0
        self._pos = 0
        self._pts = 0

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await asyncio.sleep(FRAME / RATE / self._speed)
        frame = AudioFrame.from_ndarray(self._next_samples().reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame

    def _next_samples(self) -> Samples:
        if self._seg >= len(self._segments):
            return np.zeros(FRAME, np.int16)
        gate = self._gates[self._seg]
        if self._pos == 0 and gate is not None and not gate.is_set():
            return np.zeros(FRAME, np.int16)
        chunk = self._segments[self._seg][self._pos : self._pos + FRAME]
        self._pos += FRAME
        if self._pos >= len(self._segments[self._seg]):
            self.played[self._seg].set()
            self._seg, self._pos = self._seg + 1, 0
        return chunk


@dataclass
class Softphone:
    """An aiortc client connected to the gateway; `messages` collects the data channel's JSON."""

    pc: RTCPeerConnection
    channel: RTCDataChannel
    messages: list[dict[str, object]] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, msg: dict[str, object]) -> None:
        self.channel.send(json.dumps(msg))

    async def wait_for(self, kind: str, **fields: object) -> dict[str, object]:
        """The first message of `kind` with the given field values (waits for it)."""
        while True:
            for msg in self.messages:
                if msg["type"] == kind and all(msg.get(k) == v for k, v in fields.items()):
                    return msg
            self.changed.clear()
            await self.changed.wait()

    def finals(self) -> list[dict[str, object]]:
        return [m for m in self.messages if m["type"] == "final"]


async def dial(http: str, token: str, tracks: Sequence[MediaStreamTrack], **start: object) -> Softphone:
    """Offer `tracks` plus a "transcripts" data channel to the gateway and apply its answer."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    phone = Softphone(pc, pc.createDataChannel("transcripts"))

    @phone.channel.on("message")
    def _on_message(data: str) -> None:
        msg = json.loads(data)
        phone.messages.append(msg)
        phone.changed.set()
        if msg["type"] == "closed":
            phone.closed.set()

    phone.channel.on("open", phone.opened.set)
    for track in tracks:
        phone.pc.addTrack(track)
    await phone.pc.setLocalDescription(await phone.pc.createOffer())
    body = {"sdp": phone.pc.localDescription.sdp, "type": "offer", **start}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{http}/v1/webrtc/offer", json=body, headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    await phone.pc.setRemoteDescription(RTCSessionDescription(**response.json()))
    return phone
