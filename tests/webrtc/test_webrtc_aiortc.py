"""WebRTC ingest end to end: an aiortc softphone over loopback against a real gateway and real models."""

from __future__ import annotations

import asyncio

import httpx

from protocol.messages import CallEnded
from tests.call_events import wire_listener
from tests.conftest import AUDIO, TOKEN, Gateway
from tests.webrtc.helpers import ASK_NOT, FELLOW, ScriptTrack, clip48k, dial, silence, words

SPEED = 4.0  # the tracks send audio four times faster than real time (the sample clock is unaffected)


async def test_consent_on_the_data_channel_gates_the_audio(gateway: Gateway) -> None:
    """Speech sent before `granted` (on the data channel) is never transcribed; speech after it comes back as finals."""
    granted = asyncio.Event()
    track = ScriptTrack(
        [clip48k(span=FELLOW), silence(1.5), clip48k(span=ASK_NOT), silence(1.5)], [None, None, granted, None], SPEED
    )
    phone = await dial(gateway.http, TOKEN, [track], call_id="rtc-consent", language="en")
    ready = await phone.wait_for("ready")
    assert ready["consent"] == "pending"
    await track.played[1].wait()  # the pre-consent speech and some silence are out
    phone.send({"type": "consent", "event": "granted"})
    active = await phone.wait_for("consent", state="active")
    granted.set()
    await track.played[3].wait()
    phone.send({"type": "stop"})
    await phone.closed.wait()
    await phone.pc.close()

    text = words(" ".join(str(f["text"]) for f in phone.finals()))
    assert isinstance(active["at"], float) and active["at"] >= FELLOW[1]
    assert "country can do for you" in text  # Opus + tiny.en: "ask not what" varies ("as not what's")
    assert "fellow" not in text and "americans" not in text
    assert all(float(str(f["start"])) >= active["at"] for f in phone.finals())
    assert [f["seq"] for f in phone.finals()] == list(range(1, len(phone.finals()) + 1))
    assert phone.messages[-1]["type"] == "closed"


async def test_two_tracks_are_two_legs(gateway: Gateway) -> None:
    """Two audio tracks become the legs named in the request, each transcribed on its own leg."""
    agent = ScriptTrack([clip48k(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav"), silence(1.5)], [None, None], SPEED)
    caller = ScriptTrack([silence(0.5), clip48k(span=ASK_NOT), silence(1.5)], [None, None, None], SPEED)
    phone = await dial(
        gateway.http,
        TOKEN,
        [agent, caller],
        call_id="rtc-legs",
        language="en",
        consent="granted",
        legs=["agent", "caller"],
    )
    await agent.played[1].wait()
    await caller.played[2].wait()
    phone.send({"type": "stop"})
    await phone.closed.wait()
    await phone.pc.close()

    by_leg = {
        leg: words(" ".join(str(f["text"]) for f in phone.finals() if f["leg"] == leg)) for leg in ("agent", "caller")
    }
    assert "country can do for you" in by_leg["caller"]
    assert "shook hands" in by_leg["agent"]
    assert "country" not in by_leg["agent"] and "hands" not in by_leg["caller"]


async def test_offer_needs_a_token_and_a_usable_body(gateway: Gateway) -> None:
    """The offer endpoint refuses a missing token (401) and malformed offers (400) before any call starts."""
    async with httpx.AsyncClient() as client:
        url = f"{gateway.http}/v1/webrtc/offer"
        no_token = await client.post(url, json={"sdp": "v=0", "type": "offer", "call_id": "x"})
        bad_json = await client.post(url, content=b"{nope", headers={"Authorization": f"Bearer {TOKEN}"})
        not_offer = await client.post(
            url, json={"sdp": "v=0", "type": "answer", "call_id": "x"}, params={"token": TOKEN}
        )
    assert no_token.status_code == 401
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, "bad_message")
    assert (not_offer.status_code, not_offer.json()["code"]) == (400, "bad_message")
    assert gateway.runtime.registry.live == 0


async def test_a_bad_data_channel_message_ends_the_call_with_an_error(gateway: Gateway) -> None:
    """Invalid JSON on the data channel gets a `bad_message` error there, and the call is released."""
    ended = asyncio.Event()
    gateway.runtime.bus.subscribe(wire_listener(lambda _t, _c, m: ended.set() if isinstance(m, CallEnded) else None))
    track = ScriptTrack([silence(0.5)], [None], SPEED)
    phone = await dial(gateway.http, TOKEN, [track], call_id="rtc-bad", language="en", consent="granted")
    await phone.wait_for("ready")
    phone.channel.send("{nope")
    error = await phone.wait_for("error")
    await phone.pc.close()
    await ended.wait()
    assert error["code"] == "bad_message"
    assert "nope" not in str(error["message"])
    again = ScriptTrack([silence(0.5)], [None], SPEED)
    assert gateway.runtime.registry.live == 0  # the call was released (WebRTC cannot resume: it is over)
    retry = await dial(gateway.http, TOKEN, [again], call_id="rtc-bad-2", language="en", consent="granted")
    assert (await retry.wait_for("ready"))["call_id"] == "rtc-bad-2"
    await retry.pc.close()
