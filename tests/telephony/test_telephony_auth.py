"""Telephony endpoints authenticate like the native stream; with an auth token configured, Twilio's signature
authenticates its calls too (Twilio can send no token)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
import websockets

from asr.types import Transcriber
from bench.audio import Clip, read_wav
from tests.conftest import TOKEN, make_config
from tests.telephony.conftest import JFK, Telephony, telephony_gateway
from tests.telephony.media_servers import play_ws, twilio_timeline
from vad.silero import SileroModel

NAMES = ("asterisk", "freeswitch", "twilio", "telnyx", "jambonz")
TWILIO_AUTH_TOKEN = "12345-twilio-auth-token"
TWILIO_PARAMS = {"language": "en", "consent": "granted", "interim_results": "false"}


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


async def play_twilio(url: str, call_sid: str, headers: dict[str, str] | None = None) -> int | None:
    """A short Twilio call (half a second of speech, then `stop`); the close code the gateway sent."""
    clip = read_wav(JFK)
    part = Clip(clip.samples[: clip.rate // 2], clip.rate)
    timeline = twilio_timeline(part, call_sid, channels={"inbound": 0}, params=TWILIO_PARAMS)
    return (await play_ws(url, timeline, headers=headers)).close_code


async def test_a_valid_twilio_signature_authenticates_without_a_token(
    engines: dict[str, Transcriber], vad_model: SileroModel
) -> None:
    """With `twilio_auth_token` set, a Twilio upgrade whose URL has no query string (as `<Stream url>` must)
    and no bearer token is accepted when `X-Twilio-Signature` signs that URL (ws:// as seen, or wss:// as
    written in the TwiML), and its call belongs to `twilio_tenant`; with neither a valid token nor a valid
    signature it gets 403, while a valid bearer token alone still opens it for the token's tenant."""
    async with telephony_gateway(
        engines, vad_model, twilio_auth_token=TWILIO_AUTH_TOKEN, twilio_tenant="twilio-tenant"
    ) as tel:
        url = tel.url("twilio", token=None)
        assert "?" not in url
        for n, signed in enumerate((url, url.replace("ws://", "wss://"))):
            close_code = await play_twilio(url, f"CA-signed-{n}", {"X-Twilio-Signature": twilio_signature(signed)})
            assert close_code == 1000
            await tel.log.ended(f"CA-signed-{n}")
            assert tel.log.tenants[f"CA-signed-{n}"] == "twilio-tenant"
        assert await status_of(url) == 403
        assert await status_of(url, {"X-Twilio-Signature": twilio_signature(url + "x")}) == 403
        unknown = tel.url("twilio", token="wrong-token-123")
        assert await status_of(unknown, {"X-Twilio-Signature": twilio_signature(url)}) == 403
        assert await play_twilio(tel.url("twilio"), "CA-bearer") == 1000  # ?token=, no signature
        await tel.log.ended("CA-bearer")
        assert tel.log.tenants["CA-bearer"] == "tenant-a"
        assert await status_of(tel.url("telnyx", token=None), {"X-Twilio-Signature": twilio_signature(url)}) == 401


@pytest.mark.parametrize(
    ("name", "offered", "chosen"),
    [
        ("freeswitch", ["audiostream.drachtio.org"], "audiostream.drachtio.org"),
        ("jambonz", ["audio.jambonz.org"], "audio.jambonz.org"),
        ("asterisk", ["media"], "media"),
        ("twilio", [], None),
    ],
)
async def test_the_media_servers_subprotocol_is_negotiated(
    tel: Telephony, name: str, offered: list[str], chosen: str | None
) -> None:
    """Each endpoint accepts the subprotocol its media server offers (old mod_audio_fork releases too)."""
    run = await play_ws(tel.url(name), [], subprotocols=offered, hang_up=True)
    assert run.subprotocol == chosen


def test_twilio_settings_are_validated() -> None:
    """An empty `twilio_tenant` or an empty (rather than None) `twilio_auth_token` is refused at start-up."""
    with pytest.raises(ValueError, match="twilio_tenant"):
        make_config(twilio_tenant="")
    with pytest.raises(ValueError, match="twilio_auth_token"):
        make_config(twilio_auth_token="")
