"""The HTTP consent API drives a telephony call's consent while its audio streams, audited like in-band events."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from asr.types import Transcriber
from bench.audio import read_wav
from gateway.core.session_config import SessionConfig
from store import MasterKey, StoreConfig
from store.keys import write_key_file
from tests.conftest import TOKEN, TOKEN_B
from tests.telephony.conftest import JFK, Telephony, telephony_gateway
from tests.telephony.media_servers import play_ws, twilio_timeline
from vad.silero import SileroModel

WINDOW_S = 2.0
PENDING = {"language": "en", "interim_results": "false"}  # no consent: the entry point's default, pending
PACE = 3.0  # three times real time: slow enough for HTTP requests to land while the audio streams


@dataclass
class Setup:
    tel: Telephony
    db: Path

    def consent_rows(self, call_id: str) -> list[tuple[str, str | None]]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute(
                "SELECT details FROM audit_log WHERE call_id = ? AND action = 'consent' ORDER BY id", (call_id,)
            ).fetchall()
        conn.close()
        return [(d["state"], d["announcement"]) for d in (json.loads(r) for (r,) in rows)]

    async def flush_store(self) -> None:
        app = self.tel.gw.server.config.app
        assert isinstance(app, Starlette)
        await app.state.store.flush()


@pytest.fixture
async def setup(engines: dict[str, Transcriber], vad_model: SileroModel, tmp_path: Path) -> AsyncIterator[Setup]:
    key_file = tmp_path / "master.key"
    write_key_file(key_file, MasterKey.generate())
    store = StoreConfig(master_key_file=str(key_file))
    async with telephony_gateway(
        engines,
        vad_model,
        session=SessionConfig(opt_out_window_s=WINDOW_S),
        store_dsn=f"sqlite:///{tmp_path}/store.db",
        store=store,
    ) as tel:
        yield Setup(tel, tmp_path / "store.db")


async def audio_reached(tel: Telephony, call_id: str, seconds: float) -> None:
    """Wait until the live call `call_id` has handed `seconds` of audio to its session."""
    while True:
        for conn in list(tel.gw.runtime.connections):
            driver = getattr(conn, "driver", None)
            session = driver.session if driver is not None else None
            if session is not None and driver.record.call_id == call_id and session.now >= seconds:
                return
        await asyncio.sleep(0.01)


async def post(tel: Telephony, call_id: str, body: dict[str, str], token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=tel.gw.http) as client:
        return await client.post(f"/v1/calls/{call_id}/consent", json=body, headers=headers)


async def test_announced_over_http_opens_the_window_then_the_call_turns_active(setup: Setup) -> None:
    """A pending Twilio call gets `announced` by HTTP 2 s into the audio: nothing is transcribed until the
    opt-out window has passed, then the rest of the speech is; the store audits the active state with the
    announcement id; another tenant's token gets 403, an unknown call 404, no token 401."""
    tel, clip = setup.tel, read_wav(JFK)
    frames = twilio_timeline(clip, "CA-http-announced", channels={"inbound": 0}, params=PENDING)
    peer = asyncio.create_task(play_ws(tel.url("twilio"), frames, pace=PACE))
    await asyncio.wait_for(audio_reached(tel, "CA-http-announced", 2.0), 60)
    assert (await post(tel, "CA-http-announced", {"event": "granted"}, TOKEN_B)).status_code == 403
    assert (await post(tel, "CA-unknown", {"event": "granted"})).status_code == 404
    assert (await post(tel, "CA-http-announced", {"event": "granted"}, None)).status_code == 401
    assert (await post(tel, "CA-http-announced", {"event": "maybe"})).status_code == 400
    reply = await post(tel, "CA-http-announced", {"event": "announced", "announcement": "rec-en-v2"})
    assert reply.status_code == 200 and reply.json()["consent"] == "pending"
    announced_at = reply.json()["at"]
    run = await asyncio.wait_for(peer, 90)
    assert run.close_code == 1000
    msgs = await tel.log.ended("CA-http-announced")
    states = [(m.state, m.announcement) for m in msgs if type(m).__name__ == "ConsentState"]
    assert states == [("active", "rec-en-v2")]
    active_at = next(m.at for m in msgs if type(m).__name__ == "ConsentState")
    assert active_at == pytest.approx(announced_at + WINDOW_S, abs=0.05)
    finals = tel.log.finals("CA-http-announced")
    assert finals and all(f.start >= active_at - 0.05 for f in finals)
    assert "country" in " ".join(f.text for f in finals).lower()
    await setup.flush_store()
    assert setup.consent_rows("CA-http-announced") == [("pending", None), ("active", "rec-en-v2")]


async def test_declined_over_http_stops_processing_while_audio_streams(setup: Setup) -> None:
    """`granted` by HTTP at 0.5 s, `declined` at 5 s: finals come only from the granted span, none after the
    decline although the media server keeps streaming; a later `resumed` leaves it declined (terminal)."""
    tel, clip = setup.tel, read_wav(JFK)
    frames = twilio_timeline(clip, "CA-http-declined", channels={"inbound": 0}, params=PENDING)
    peer = asyncio.create_task(play_ws(tel.url("twilio"), frames, pace=PACE))
    await asyncio.wait_for(audio_reached(tel, "CA-http-declined", 0.5), 60)
    assert (await post(tel, "CA-http-declined", {"event": "granted", "announcement": "cti-ok"})).json()[
        "consent"
    ] == "active"
    await asyncio.wait_for(audio_reached(tel, "CA-http-declined", 5.0), 60)
    assert (await post(tel, "CA-http-declined", {"event": "declined"})).json()["consent"] == "declined"
    assert (await post(tel, "CA-http-declined", {"event": "resumed"})).json()["consent"] == "declined"
    await asyncio.wait_for(peer, 90)
    await tel.log.ended("CA-http-declined")
    declined, after = tel.log.declined_then_finals("CA-http-declined")
    assert declined and after == []
    await setup.flush_store()
    assert [state for state, _ in setup.consent_rows("CA-http-declined")][:3] == ["pending", "active", "declined"]
