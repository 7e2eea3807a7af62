"""The captions page's "Start transcription" button asks the phone system for the announcement (chromium)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from asr.types import Transcriber
from bench.audio import Clip, concat, read_wav, silence
from tests.captions.test_captions_page import ARGS, CHROMIUM, open_captions
from tests.telephony.conftest import JFK, telephony_gateway
from tests.telephony.media_servers import l16_timeline, play_ws
from vad.silero import SileroModel


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium (/usr/bin/chromium) is needed")


async def test_the_button_reaches_freeswitch_and_leaves_consent_pending(
    engines: dict[str, Transcriber], vad_model: SileroModel, browser: Any
) -> None:
    """On a pending FreeSWITCH call the page shows the button; a click sends the media server a
    `transcription_request` frame, the page confirms, and the banner stays "Not transcribing yet"."""
    call_id = "fs-" + uuid.uuid4().hex
    metadata = json.dumps({"call_id": call_id, "mix_type": "mono", "sample_rate": 8000, "language": "en"})
    jfk = read_wav(JFK)
    clip: Clip = concat(jfk, silence(20.0, jfk.rate, 1))
    async with telephony_gateway(engines, vad_model) as tel:
        peer = asyncio.create_task(
            play_ws(
                tel.url("freeswitch"),
                l16_timeline(metadata, clip, order=(0,), sizes_ms=(20,)),
                subprotocols=["audio.drachtio.org"],
                pace=2.0,
                hang_up=True,
            )
        )
        page = await open_captions(browser, tel.gw, call_id)
        await page.wait_for_selector("#start-transcription:not([hidden])", timeout=30000)
        await page.click("#start-transcription")
        await page.wait_for_function(
            "() => document.getElementById('request-status').textContent.startsWith('Requested')", timeout=30000
        )
        assert await page.get_attribute("#consent", "data-state") == "pending"
        run = await asyncio.wait_for(peer, 60)
    assert {"type": "transcription_request", "data": {"call_id": call_id}} in run.json_frames()
