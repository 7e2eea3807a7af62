"""The captions and calls pages in a real headless Chromium, against a real gateway on a loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.audio import Clip, read_wav
from bench.client import Action, StreamOptions, stream_call
from protocol.messages import AudioFormat, CallEnded, ConsentEvent, Final, Partial, Ready, Redaction, Start
from tests.call_events import publish_to_runtime
from tests.captions.helpers import hub_of, until_viewers
from tests.conftest import AUDIO, TOKEN, Gateway

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SYNTHETIC = AUDIO / "synthetic" / "synthetic_call_en.wav"  # left = agent, right = caller
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium (/usr/bin/chromium) is not installed; `apt-get install chromium` (CI installs it)",
)

# Test instrumentation: records banner states and added caption lines in the order the page shows them.
RECORDER = """() => {
  window.__events = [];
  const banner = document.getElementById("consent");
  new MutationObserver(() => window.__events.push({kind: "banner", state: banner.dataset.state}))
    .observe(banner, {attributes: true, attributeFilter: ["data-state"]});
  new MutationObserver((mutations) => {
    for (const m of mutations) for (const n of m.addedNodes) {
      if (n.classList && n.classList.contains("line")) {
        window.__events.push({kind: n.classList.contains("final") ? "final" : "partial", uid: n.dataset.utterance});
      }
    }
  }).observe(document.getElementById("log"), {childList: true});
}"""

AT_BOTTOM = """() => {
  const l = document.getElementById('log');
  return l.scrollHeight - l.scrollTop - l.clientHeight < 2;
}"""
LINES = """() => [...document.querySelectorAll("#log .line.final")].map((el) => ({
  seq: Number(el.dataset.seq), leg: el.dataset.leg, column: el.className.match(/leg-(\\d)/)[1],
  x: el.getBoundingClientRect().left, text: el.querySelector(".text").textContent}))"""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


async def open_captions(browser: Any, gw: Gateway, call_id: str, status: str = "Live", **context: Any) -> Any:
    page = await (await browser.new_context(**context)).new_page()
    await page.goto(f"{gw.http}/captions/{call_id}?token={TOKEN}")
    await page.wait_for_function(f"() => document.getElementById('connection').textContent === '{status}'")
    return page


async def until_subscribed(gw: Gateway, count: int) -> None:
    for _ in range(1000):
        if hub_of(gw).counters.viewers_subscribed >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the page did not reconnect")


async def test_captions_page_follows_a_live_two_leg_call(gateway: Gateway, browser: Any) -> None:
    """During a real-speech call the page shows partials before finals, each final in its leg's column, the
    consent banner through pending/active/paused/active/ended, and no duplicate after a reconnect."""
    full = read_wav(SYNTHETIC)
    clip = Clip(full.samples[: int(12.3 * full.rate)], full.rate)  # agent's greeting, caller's question
    page = await open_captions(browser, gateway, "page-call", viewport={"width": 1100, "height": 700})
    await until_viewers(gateway, "tenant-a", "page-call", 1)
    await page.evaluate(RECORDER)
    call = asyncio.create_task(
        stream_call(
            gateway.url,
            TOKEN,
            clip,
            StreamOptions(
                call_id="page-call",
                encoding="mulaw",
                consent="pending",
                pace=1.0,
                actions=[
                    Action(1.0, ConsentEvent("granted", "ann-1")),
                    Action(6.2, ConsentEvent("paused")),
                    Action(6.6, ConsentEvent("resumed")),
                ],
            ),
        )
    )
    await page.wait_for_selector("#log .line.final", timeout=20_000)
    hub_of(gateway).viewers("tenant-a", "page-call")[0].evict()  # the server drops the page: it reconnects
    calls = await (await browser.new_context()).new_page()
    await calls.goto(f"{gateway.http}/calls?token={TOKEN}")
    await calls.wait_for_selector('tr[data-call-id="page-call"] .state-active', timeout=10_000)
    await calls.screenshot(path=ARTIFACTS / "calls-page.png")
    await until_subscribed(gateway, 2)
    await page.wait_for_function("() => document.getElementById('connection').textContent === 'Live'")
    await page.screenshot(path=ARTIFACTS / "captions-live.png")
    run = await call
    await page.wait_for_function("() => document.getElementById('consent').dataset.state === 'ended'", timeout=10_000)
    await page.screenshot(path=ARTIFACTS / "captions-ended.png")

    events, lines = await page.evaluate("window.__events"), await page.evaluate(LINES)
    assert [e["state"] for e in events if e["kind"] == "banner"] == ["pending", "active", "paused", "active", "ended"]
    assert await page.eval_on_selector_all("#legs h2", "hs => hs.map((h) => h.textContent)") == ["agent", "caller"]
    assert [(ln["seq"], ln["leg"], ln["text"]) for ln in lines] == [(f["seq"], f["leg"], f["text"]) for f in run.finals]
    assert all(ln["column"] == ("0" if ln["leg"] == "agent" else "1") for ln in lines)
    agent = " ".join(ln["text"] for ln in lines if ln["leg"] == "agent").lower()
    caller = " ".join(ln["text"] for ln in lines if ln["leg"] == "caller").lower()
    assert "thank you for calling" in agent and "help" in agent
    assert "calling about" in caller and "twice" in caller
    assert max(ln["x"] for ln in lines if ln["leg"] == "agent") < min(ln["x"] for ln in lines if ln["leg"] == "caller")
    order = [(e["kind"], e["uid"]) for e in events if e["kind"] != "banner"]
    assert any(("partial", uid) in order[: order.index(("final", uid))] for _, uid in order if _ == "final")
    assert await page.locator("#log .line.partial").count() == 0
    assert hub_of(gateway).counters.viewers_subscribed == 2  # the page reconnected once, without duplicates


async def _publish_call(gw: Gateway, call_id: str, finals: int) -> None:
    rt = gw.runtime
    publish_to_runtime(rt, "tenant-a", call_id, Start(call_id, AudioFormat("pcm_s16le", 16000, 2), ("agent", "caller")))
    publish_to_runtime(rt, "tenant-a", call_id, Ready("s", call_id, "active", "tiny.en", ("en",)))
    for seq in range(1, finals + 1):
        await _publish_final(gw, call_id, seq)


async def _publish_final(gw: Gateway, call_id: str, seq: int) -> None:
    leg = ("agent", "caller")[seq % 2]
    text = f"Line {seq}: my card is 4111 and my name is Ann, thank you."
    span = Redaction("card_number", text.index("4111"), text.index("4111") + 4)
    publish_to_runtime(gw.runtime, "tenant-a", call_id, Partial(leg, f"u{seq}", text[:8], seq * 3.0, seq * 3.0 + 1))
    final = Final(seq, leg, f"u{seq}", text, seq * 3.0, seq * 3.0 + 2.5, "en", redactions=(span,))
    publish_to_runtime(gw.runtime, "tenant-a", call_id, final)
    await asyncio.sleep(0)


async def test_page_mechanics_redaction_scrolling_and_zoom(gateway: Gateway, browser: Any) -> None:
    """Redacted spans (and only they) are styled as redacted; scrolling up stops auto-scroll and the keyboard
    "jump to latest" button resumes it; at 200 % zoom the page wraps instead of scrolling sideways."""
    page = await open_captions(browser, gateway, "mech", viewport={"width": 900, "height": 500})
    await _publish_call(gateway, "mech", 30)
    await page.wait_for_function("() => document.querySelectorAll('#log .line.final').length === 30")
    redacted = await page.eval_on_selector_all(".redacted", "els => els.map((e) => e.textContent)")
    assert redacted == ["4111"] * 30
    assert await page.evaluate(AT_BOTTOM)  # auto-scroll followed the new lines
    await page.focus("#log")
    await page.keyboard.press("Home")  # the agent scrolls up with the keyboard
    await page.wait_for_function("() => document.getElementById('log').scrollTop === 0")
    await _publish_final(gateway, "mech", 31)
    await page.wait_for_selector("#jump:not([hidden])")
    assert await page.evaluate("document.getElementById('log').scrollTop") == 0  # not yanked down
    await page.focus("#jump")
    await page.keyboard.press("Enter")
    await page.wait_for_function(AT_BOTTOM)
    assert await page.locator("#jump").is_hidden()
    publish_to_runtime(gateway.runtime, "tenant-a", "mech", CallEnded("mech", 31))
    await page.wait_for_function("() => document.getElementById('consent').dataset.state === 'ended'")

    zoomed = await open_captions(
        browser, gateway, "mech", "Call ended", viewport={"width": 450, "height": 400}, device_scale_factor=2
    )  # 900 px at 200 % zoom
    await zoomed.wait_for_function("() => document.querySelectorAll('#log .line.final').length === 31")
    assert await zoomed.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await zoomed.screenshot(path=ARTIFACTS / "captions-zoom200.png")
