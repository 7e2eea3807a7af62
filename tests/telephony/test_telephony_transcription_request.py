"""An agent's "Start transcription" reaches the media server (FreeSWITCH frame, else the webhook); the call
turns active only when the PBX then reports the announcement to the consent API."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx

from asr.types import Transcriber
from bench.audio import read_wav
from gateway.core.telephony_config import TelephonyConfig
from protocol.messages import ConsentState
from tests.conftest import TOKEN
from tests.telephony.conftest import JFK, Telephony, telephony_gateway
from tests.telephony.media_servers import l16_timeline, play_ws, twilio_timeline
from vad.silero import SileroModel

WINDOW_S = 5.0  # session.opt_out_window_s, the default
PENDING = {"language": "en", "interim_results": "false"}


async def post(tel: Telephony, path: str, body: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=tel.gw.http, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        return await client.post(path, json=body) if body is not None else await client.post(path)


def consent_states(tel: Telephony, call_id: str) -> list[ConsentState]:
    return [m for m in tel.log.messages[call_id] if isinstance(m, ConsentState)]


async def test_freeswitch_gets_the_request_on_the_stream_and_consent_waits_for_the_pbx(
    engines: dict[str, Transcriber], vad_model: SileroModel
) -> None:
    """1 s into a pending mod_audio_fork call the agent asks: FreeSWITCH receives a `transcription_request`
    frame and the call stays pending; once the PBX reports `announced`, the opt-out window runs and the rest
    of the speech is transcribed."""
    call_id = "fs-" + uuid.uuid4().hex
    metadata = json.dumps({"call_id": call_id, "mix_type": "mono", "sample_rate": 8000} | PENDING)
    timeline = l16_timeline(metadata, read_wav(JFK), order=(0,), sizes_ms=(20,))
    seen: dict[str, Any] = {}

    async def agent_then_pbx() -> None:
        reply = await post(tel, f"/v1/calls/{call_id}/transcription-request")
        seen["request"] = reply.status_code, reply.json()
        seen["states_before"] = list(consent_states(tel, call_id))
        seen["announced"] = (
            await post(tel, f"/v1/calls/{call_id}/consent", {"event": "announced", "announcement": "agent-v1"})
        ).json()

    async with telephony_gateway(engines, vad_model) as tel:
        run = await play_ws(
            tel.url("freeswitch"),
            timeline,
            subprotocols=["audio.drachtio.org"],
            pace=3.0,
            hang_up=True,
            gate=(1.0, agent_then_pbx),
        )
        await tel.log.ended(call_id)
        assert seen["request"] == (202, {"call_id": call_id, "consent": "pending", "delivered": "stream"})
        assert seen["states_before"] == []  # the request alone changes nothing
        frames = run.json_frames()
        assert frames[0] == {"type": "transcription_request", "data": {"call_id": call_id}}
        (active,) = consent_states(tel, call_id)
        assert active.state == "active" and active.announcement == "agent-v1"
        assert abs(active.at - (seen["announced"]["at"] + WINDOW_S)) < 0.01
        finals = tel.log.finals(call_id)
        assert finals and all(f.start >= active.at - 0.05 for f in finals)


async def test_without_a_way_back_the_request_goes_to_the_configured_webhook(
    engines: dict[str, Transcriber], vad_model: SileroModel
) -> None:
    """A pending Twilio call: the agent's request is POSTed to `telephony.request_webhook_url` as
    `{"event": "transcription_requested", "call_id", "transport"}`; consent stays pending."""
    received: list[dict[str, Any]] = []

    async def hook(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
        received.append(json.loads(await reader.readexactly(length)))
        writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(hook, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/pbx-hook-secret"
    call_sid = "CA" + uuid.uuid4().hex
    timeline = twilio_timeline(read_wav(JFK), call_sid, channels={"inbound": 0}, params=PENDING)
    replies: list[tuple[int, Any]] = []

    async def agent() -> None:
        reply = await post(tel, f"/v1/calls/{call_sid}/transcription-request")
        replies.append((reply.status_code, reply.json()))

    async with server, telephony_gateway(engines, vad_model, telephony=TelephonyConfig(request_webhook_url=url)) as tel:
        await play_ws(tel.url("twilio"), timeline, pace=3.0, gate=(1.0, agent))
        await tel.log.ended(call_sid)
    assert replies == [(202, {"call_id": call_sid, "consent": "pending", "delivered": "webhook"})]
    assert received == [{"event": "transcription_requested", "call_id": call_sid, "transport": "twilio"}]
    assert consent_states(tel, call_sid) == [] and tel.log.finals(call_sid) == []
