"""Browsers cannot set `Authorization`, so they pass the key as a WebSocket subprotocol (Deepgram:
`["token", KEY]`, developers.deepgram.com/docs/using-the-sec-websocket-protocol; OpenAI:
`["realtime", "openai-insecure-api-key." + KEY]`, compat-apis.md 2.1); the gateway accepts them and answers
the protocol's subprotocol. A client cannot choose its own consent."""

from __future__ import annotations

import json

import pytest
import websockets

from bench.audio import encode
from tests.compat.conftest import jfk
from tests.conftest import TOKEN, Gateway


def ws_url(gw: Gateway, path: str) -> str:
    return gw.http.replace("http://", "ws://") + path


async def test_deepgram_key_as_subprotocol_and_operator_consent_wins(compat_gw: Gateway) -> None:
    """`Sec-WebSocket-Protocol: token, KEY` opens /v1/listen (answered `token`); `consent=pending` in the
    query does not override the operator's `granted`: the speech is transcribed."""
    url = ws_url(compat_gw, "/v1/listen?encoding=linear16&sample_rate=16000&language=en&consent=pending")
    audio = encode(jfk().samples[: 16000 * 3], "pcm_s16le")
    async with websockets.connect(
        url, subprotocols=[websockets.Subprotocol("token"), websockets.Subprotocol(TOKEN)]
    ) as ws:
        assert ws.subprotocol == "token"
        await ws.send(audio)
        await ws.send(json.dumps({"type": "CloseStream"}))
        messages = [json.loads(m) async for m in ws]
        assert ws.close_code == 1000
    finals = [m for m in messages if m["type"] == "Results" and m["is_final"]]
    assert "fellow" in " ".join(m["channel"]["alternatives"][0]["transcript"] for m in finals)
    assert messages[-1]["type"] == "Metadata"


async def test_openai_key_as_subprotocol(compat_gw: Gateway) -> None:
    """`realtime, openai-insecure-api-key.KEY` opens /v1/realtime (answered `realtime`, then session.created);
    a wrong key in that form is HTTP 401 before the upgrade."""
    url = ws_url(compat_gw, "/v1/realtime?intent=transcription")
    offered = [websockets.Subprotocol("realtime"), websockets.Subprotocol(f"openai-insecure-api-key.{TOKEN}")]
    async with websockets.connect(url, subprotocols=offered) as ws:
        assert ws.subprotocol == "realtime"
        assert json.loads(await ws.recv())["type"] == "session.created"
    wrong = [websockets.Subprotocol("realtime"), websockets.Subprotocol("openai-insecure-api-key.nope-nope-nope")]
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url, subprotocols=wrong):
            pass
    assert refused.value.response.status_code == 401
