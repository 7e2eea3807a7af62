"""Telephony endpoints authenticate like the native stream, and Twilio's signature is checked when configured."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
import websockets

from asr.types import Transcriber
from tests.conftest import TOKEN, make_config, start_gateway
from tests.telephony.conftest import Telephony
from tests.telephony.media_servers import play_ws
from vad.silero import SileroModel

NAMES = ("asterisk", "freeswitch", "twilio", "telnyx", "jambonz")
TWILIO_AUTH_TOKEN = "12345-twilio-auth-token"


async def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    """The HTTP status of a refused upgrade, or 101 when the upgrade is accepted."""
    try:
        async with websockets.connect(url, additional_headers=headers):
            return 101
    except websockets.InvalidStatus as exc:
        return exc.response.status_code


async def test_every_endpoint_refuses_a_missing_or_unknown_token(tel: Telephony) -> None:
    """Without a token, or with an unknown one, every telephony endpoint answers 401 before the upgrade and
    no call starts; with `?token=` or a bearer header the upgrade succeeds."""
    for name in NAMES:
        assert await status_of(tel.url(name, token=None)) == 401
        assert await status_of(tel.url(name, token="not-a-known-token")) == 401
        assert await status_of(tel.url(name)) == 101
        assert await status_of(tel.url(name, token=None), {"Authorization": f"Bearer {TOKEN}"}) == 101
    assert tel.log.messages == {}


def twilio_signature(url: str) -> str:
    """HMAC-SHA1 of the URL (no form parameters on a WebSocket upgrade), base64, as Twilio signs it."""
    digest = hmac.new(TWILIO_AUTH_TOKEN.encode(), url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


async def test_twilio_signature_is_required_when_an_auth_token_is_configured(
        engines: dict[str, Transcriber], vad_model: SileroModel) -> None:
    """With `twilio_auth_token` set, a missing or wrong `X-Twilio-Signature` gets 403 even with a valid
    token; the signature of the URL (ws:// as seen, or wss:// as written in the TwiML) is accepted."""
    gw, task = await start_gateway(make_config(twilio_auth_token=TWILIO_AUTH_TOKEN), engines, vad_model)
    try:
        url = gw.url.replace("/v1/stream", "/v1/telephony/twilio") + f"?token={TOKEN}"
        assert await status_of(url) == 403
        assert await status_of(url, {"X-Twilio-Signature": twilio_signature(url + "x")}) == 403
        assert await status_of(url.replace("/twilio?", "/telnyx?")) == 101  # only Twilio is signed
        for signed in (url, url.replace("ws://", "wss://")):
            run = await play_ws(url, [], headers={"X-Twilio-Signature": twilio_signature(signed)}, hang_up=True)
            assert run.close_code == 1000
        assert await status_of(url.replace(TOKEN, "wrong-token-123"),
                               {"X-Twilio-Signature": twilio_signature(url)}) == 401
    finally:
        gw.server.should_exit = True
        await task


@pytest.mark.parametrize(("name", "offered", "chosen"), [
    ("freeswitch", ["audiostream.drachtio.org"], "audiostream.drachtio.org"),
    ("jambonz", ["audio.jambonz.org"], "audio.jambonz.org"),
    ("asterisk", ["media"], "media"),
    ("twilio", [], None),
])
async def test_the_media_servers_subprotocol_is_negotiated(tel: Telephony, name: str, offered: list[str],
                                                           chosen: str | None) -> None:
    """Each endpoint accepts the subprotocol its media server offers (old mod_audio_fork releases too)."""
    run = await play_ws(tel.url(name), [], subprotocols=offered, hang_up=True)
    assert run.subprotocol == chosen
