"""A real gateway with the AudioSocket port open and a listener recording every call's messages."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette

from asr.types import Transcriber
from bench.audio import Clip
from bench.client import StreamOptions, stream_call
from bench.wer import normalize, wer
from gateway.transports.audiosocket import AudioSocketServer
from protocol.messages import CallEnded, ConsentState, Final, ServerMessage, Start
from tests.call_events import wire_listener
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway
from vad.silero import SileroModel

JFK = AUDIO / "real" / "jfk_tel8k.wav"  # 8 kHz, mono: "And so my fellow Americans, ask not ..."
CALL = AUDIO / "synthetic" / "synthetic_call_en.wav"  # 8 kHz stereo: left = agent, right = caller
CALL_LEGS = ("agent", "caller")  # native leg names of the file's channels, in channel order
ENGLISH_GRANTED = {"language": "en", "consent": "granted", "interim_results": "false"}


@dataclass
class CallLog:
    """A `runtime.listeners` listener: every call's messages, in order, and who it belonged to."""

    messages: dict[str, list[ServerMessage | Start]] = field(default_factory=lambda: defaultdict(list))
    tenants: dict[str, str] = field(default_factory=dict)
    _ended: dict[str, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))

    def __call__(self, tenant: str, call_id: str, msg: ServerMessage | Start) -> None:
        self.messages[call_id].append(msg)
        self.tenants[call_id] = tenant
        if isinstance(msg, CallEnded):
            self._ended[call_id].set()

    async def ended(self, call_id: str) -> list[ServerMessage | Start]:
        """The call's messages once its connection has ended (a generous bound, not a timing check)."""
        await asyncio.wait_for(self._ended[call_id].wait(), 90)
        return self.messages[call_id]

    def finals(self, call_id: str) -> list[Final]:
        return [m for m in self.messages[call_id] if isinstance(m, Final)]

    def declined_then_finals(self, call_id: str) -> tuple[bool, list[Final]]:
        """Whether the call was declined, and the finals produced after the opt-out."""
        msgs = self.messages[call_id]
        at = next((i for i, m in enumerate(msgs) if isinstance(m, ConsentState) and m.state == "declined"), None)
        if at is None:
            return False, []
        return True, [m for m in msgs[at:] if isinstance(m, Final)]


@dataclass
class Telephony:
    """The gateway under test, its AudioSocket port and the call log."""

    gw: Gateway
    log: CallLog
    audiosocket_port: int

    def url(self, name: str, token: str | None = TOKEN, **query: str) -> str:
        params = ({"token": token} if token else {}) | query
        base = self.gw.url.replace("/v1/stream", f"/v1/telephony/{name}")
        return f"{base}?{urlencode(params)}" if params else base


@asynccontextmanager
async def telephony_gateway(
    engines: dict[str, Transcriber], vad_model: SileroModel, **overrides: object
) -> AsyncIterator[Telephony]:
    """A real gateway on loopback ports with AudioSocket on, for the tenant `pbx-tenant`."""
    config = make_config(
        **(
            {"audiosocket_port": 0, "audiosocket_tenant": "pbx-tenant", "audiosocket_params": ENGLISH_GRANTED}
            | overrides
        )
    )
    gw, task = await start_gateway(config, engines, vad_model)
    log = CallLog()
    gw.runtime.bus.subscribe(wire_listener(log))
    app = gw.server.config.app
    assert isinstance(app, Starlette) and isinstance(app.state.audiosocket, AudioSocketServer)
    try:
        yield Telephony(gw, log, app.state.audiosocket.port)
    finally:
        gw.server.should_exit = True
        await task


@pytest.fixture
async def tel(steady_engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Telephony]:
    async with telephony_gateway(steady_engines, vad_model) as telephony:
        yield telephony


# -- the native reference ------------------------------------------------------------------------------

_NATIVE: dict[tuple[str, tuple[str, ...], str, float | None], dict[str, list[str]]] = {}


async def native_finals(
    gw: Gateway, clip: Clip, name: str, legs: Sequence[str], encoding: str, until_s: float | None = None
) -> dict[str, list[str]]:
    """Per-leg final texts of the same audio streamed as a native `/v1/stream` call, in the codec the
    media server uses (mu-law is lossy on the synthetic call), cached per clip."""
    key = (name, tuple(legs), encoding, until_s)
    if key not in _NATIVE:
        if until_s is not None:
            clip = Clip(clip.samples[: int(until_s * clip.rate)], clip.rate)
        run = await stream_call(
            gw.url,
            TOKEN,
            clip,
            StreamOptions(
                call_id=f"native-{name}-{encoding}-{until_s}",
                encoding=encoding,
                language="en",
                pace=0,
                legs=tuple(legs),
                interim_results=False,
            ),
        )
        assert run.close_code == 1000
        _NATIVE[key] = {leg: [f["text"] for f in run.finals if f["leg"] == leg] for leg in legs}
    return _NATIVE[key]


def leg_texts(finals: Sequence[Final]) -> dict[str, str]:
    texts: dict[str, list[str]] = defaultdict(list)
    for final in finals:
        texts[final.leg].append(final.text)
    return {leg: " ".join(parts) for leg, parts in texts.items()}


def assert_same_transcript(native: dict[str, list[str]], got: dict[str, str]) -> None:
    """Same legs, and per leg the same words up to a WER of 0.05 (batching may change a word)."""
    reference = {leg: " ".join(texts) for leg, texts in native.items()}
    assert {leg for leg, text in reference.items() if normalize(text)} == set(got), (reference, got)
    for leg, text in reference.items():
        assert normalize(text), f"the native call gave no text on {leg}"
        assert wer([text], [got[leg]]) <= 0.05, (leg, text, got[leg])
