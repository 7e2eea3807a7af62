"""Browser-facing endpoints check Origin; the softphone page is locked down and drops its token (finding 10)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from playwright.async_api import async_playwright

from asr.types import Transcriber
from gateway.limits import LimitsConfig
from tests.conftest import TOKEN, Gateway, make_config, start_gateway
from vad.silero import SileroModel

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PARTNER = "https://pbx.example.com"


@pytest.fixture
async def gw(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Gateway]:
    gateway, task = await start_gateway(
        make_config(limits=LimitsConfig(allowed_origins=(PARTNER,))), engines, vad_model
    )
    yield gateway
    gateway.server.should_exit = True
    await task


async def _captions_status(gw: Gateway, origin: str | None) -> int:
    url = gw.http.replace("http://", "ws://") + "/v1/calls/origin-call/captions?wait=1"
    try:
        async with websockets.connect(
            url,
            origin=origin,  # type: ignore[arg-type]
            additional_headers={"Authorization": f"Bearer {TOKEN}"},
        ):
            return 101
    except websockets.InvalidStatus as exc:
        return exc.response.status_code


async def test_captions_and_offers_refuse_foreign_origins(gw: Gateway) -> None:
    """A captions upgrade or WebRTC offer from a foreign Origin is refused 403 even with a valid token; no
    Origin (a server), the gateway's own origin and a configured partner origin are accepted."""
    own = gw.http
    assert await _captions_status(gw, "https://evil.example") == 403
    assert await _captions_status(gw, None) == 101
    assert await _captions_status(gw, own) == 101
    assert await _captions_status(gw, PARTNER) == 101
    async with httpx.AsyncClient(base_url=gw.http, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        foreign = await http.post(
            "/v1/webrtc/offer", json={"sdp": "v=0", "type": "offer"}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403 and foreign.json()["code"] == "forbidden"
        own_origin = await http.post("/v1/webrtc/offer", json={"sdp": "junk", "type": "offer"}, headers={"Origin": own})
        assert own_origin.status_code == 400  # past the Origin check: the junk SDP is what is refused


async def test_softphone_page_sends_csp_and_no_framing(gw: Gateway) -> None:
    """/softphone and its assets carry a CSP without inline code, frame-ancestors 'none', X-Frame-Options
    DENY and no-referrer, and no response names the server software."""
    async with httpx.AsyncClient(base_url=gw.http) as http:
        for path in ("/softphone", "/softphone.js", "/softphone.css"):
            r = await http.get(path)
            csp = r.headers["content-security-policy"]
            assert r.status_code == 200 and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
            assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer"
            assert "server" not in r.headers
        assert "<style>" not in (await http.get("/softphone")).text


@pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason="needs Debian's chromium (apt-get install chromium)")
async def test_softphone_removes_the_token_from_its_url(gw: Gateway) -> None:
    """Opened as /softphone?token=...&call_id=x, the page rewrites its address without the token (kept in
    the tab's sessionStorage) and keeps the other parameters."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(f"{gw.http}/softphone?token={TOKEN}&call_id=kept-id")
            await page.wait_for_function("() => !location.search.includes('token')")
            assert TOKEN not in page.url and "call_id=kept-id" in page.url
            assert await page.evaluate("sessionStorage.getItem('callscribe-token')") == TOKEN
            assert await page.inner_text("#call-id") == "kept-id"
        finally:
            await browser.close()
