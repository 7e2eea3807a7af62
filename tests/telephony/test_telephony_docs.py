"""Every configuration printed in docs/adapters.md, read from the doc (not retyped), gets real Dutch speech
transcribed after the announced opt-out window, and the opt-out key ends processing.

Each replay is built from the media server's own source as described in the field notes
(`../shared/reference/telephony-field-notes.md`): the announcement is played before the stream starts
(`consent=announced`), the caller is silent during the opt-out window, says one sentence, presses 9 and
says another. The sentence before the key press must be transcribed (by the multilingual model: the
snippets say `language=nl`), nothing after it.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import numpy as np
import pytest
import soxr

from asr.types import Transcriber
from bench.audio import Clip, concat, read_wav, silence
from protocol.adapters.twilio import verify_twilio_signature
from protocol.messages import ConsentState, Final
from tests.conftest import AUDIO, TOKEN
from tests.telephony import doc_snippets as doc
from tests.telephony.conftest import Telephony, telephony_gateway
from tests.telephony.media_servers import (
    asterisk_plain_timeline,
    asterisk_timeline,
    audiosocket_timeline,
    l16_timeline,
    play_tcp,
    play_ws,
    telnyx_timeline,
    twilio_timeline,
)
from vad.silero import SileroModel

WINDOW_S = 5.0  # session.opt_out_window_s, the default
CALLER = "+31612345678"
TWILIO_AUTH_TOKEN = "twilio-doc-auth-token"
GAP_S = 3.0  # silence between the sentences: the first one's final is out before the key press
PACE = 0.0  # as fast as the sockets take it; the key press waits for the first sentence's final (`gate`)


def speech(rate: int) -> tuple[Clip, float]:
    """Silence through the opt-out window, "De Straat van Gibraltar ...", the key press time, "De plant van
    de aardappel is giftig", at `rate`; and the time of the key press."""

    def at_rate(name: str) -> Clip:
        clip = read_wav(AUDIO / "real" / name)
        if clip.rate == rate:
            return clip
        samples = soxr.resample(clip.samples.astype(np.float32), clip.rate, rate)
        return Clip(np.clip(samples, -32768, 32767).astype(np.int16).reshape(-1, 1), rate)

    first, second = at_rate("dutchvl_vl04108.wav"), at_rate("dutchvl_vl00203.wav")
    lead = silence(WINDOW_S + 0.5, rate, 1)
    clip = concat(lead, first, silence(GAP_S, rate, 1), second, silence(1.0, rate, 1))
    return clip, lead.seconds + first.seconds + GAP_S - 0.2


def stereo(clip: Clip) -> Clip:
    """The caller in channel 0, a silent agent in channel 1."""
    return Clip(np.concatenate([clip.samples, np.zeros_like(clip.samples)], axis=1), clip.rate)


@pytest.fixture
async def tel(engines: dict[str, Transcriber], vad_model: SileroModel) -> AsyncIterator[Telephony]:
    overrides = doc.config_overrides(doc.snippet("telephony-config"))
    audiosocket = doc.config_overrides(doc.snippet("audiosocket-config"))
    telephony = overrides["telephony"]
    merged = dataclasses.replace(telephony, audiosocket=audiosocket["telephony"].audiosocket)
    async with telephony_gateway(
        engines,
        vad_model,
        telephony=merged,
        audiosocket_params={},
        audiosocket_tenant=audiosocket["audiosocket_tenant"],
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_tenant="tenant-a",
    ) as telephony_gw:
        yield telephony_gw


def ws_url(tel: Telephony, ep: doc.Endpoint) -> str:
    base = tel.gw.url.replace("/v1/stream", ep.path)
    return base + ("?" + "&".join(f"{k}={v}" for k, v in ep.query.items()) if ep.query else "")


SUBST = {"TOKEN": TOKEN, "${caller_id_number}": CALLER, "{{From}}": CALLER}


def first_final(tel: Telephony, call_id: str) -> Callable[[], Awaitable[None]]:
    """A gate for the player: the caller presses the key once the first sentence's final is out (a decline
    drops results still in flight, and a media server's key press comes when the caller presses it)."""

    async def wait() -> None:
        while not tel.log.finals(call_id):  # noqa: ASYNC110 (a bounded poll: the gate has a timeout)
            await asyncio.sleep(0.02)

    return wait


async def assert_announced_then_opted_out(tel: Telephony, call_id: str) -> None:
    """Active after the window with the snippet's announcement id, finals of the first sentence, declined by
    the key, and no final after it."""
    msgs = await tel.log.ended(call_id)
    states = [(m.state, m.announcement) for m in msgs if isinstance(m, ConsentState)]
    assert states == [("active", "rec-nl-v1"), ("declined", "rec-nl-v1")], states
    active = next(m for m in msgs if isinstance(m, ConsentState))
    assert active.at == pytest.approx(WINDOW_S, abs=0.05)
    declined, after = tel.log.declined_then_finals(call_id)
    assert declined and after == []
    text = " ".join(m.text for m in msgs if isinstance(m, Final)).lower()
    assert "straat" in text and "middel" in text, text


async def test_asterisk_chan_websocket_plain_text_snippet(tel: Telephony) -> None:
    """websocket_client.conf (Basic auth: username/password) plus the plain-text dial string with
    `v(call_id=${UNIQUEID},...)`, replayed as a 21.x MEDIA_START without channel_id, mu-law."""
    text = doc.snippet("asterisk-ws-plain")
    (dial,) = doc.dialplan_apps(text, "Dial")
    options = doc.dial_options(dial)
    client = doc.ini_section(text, options["section"])
    unique_id = "1733070000.41"
    ep = doc.endpoint(client["uri"], SUBST)
    ep.query |= dict(kv.split("=", 1) for kv in options["v"].replace("${UNIQUEID}", unique_id).split(","))
    assert options["c"] == "ulaw" and client["protocols"] == "media"
    basic = base64.b64encode(f"{client['username']}:{client['password'].replace('TOKEN', TOKEN)}".encode()).decode()
    clip, key_at = speech(8000)
    run = await play_ws(
        ws_url(tel, ep),
        asterisk_plain_timeline(clip, options["section"], dtmf_at=key_at),
        subprotocols=["media"],
        headers={"Authorization": f"Basic {basic}"},
        hang_up=True,
        pace=PACE,
        gate=(key_at, first_final(tel, unique_id)),
    )
    assert run.close_code == 1000
    await assert_announced_then_opted_out(tel, unique_id)


async def test_asterisk_chan_websocket_json_snippet(tel: Telephony) -> None:
    """The JSON-mode dialplan: inherited `__CALLSCRIBE_*` variables in MEDIA_START's channel_variables,
    `c(slin16)`, on the same websocket_client (20.18+/22.8+/23.2+ form)."""
    text = doc.snippet("asterisk-ws-json")
    unique_id = "1733070000.42"
    variables = {}
    for arg in doc.dialplan_apps(text, "Set"):
        name, _, value = arg.partition("=")
        variables[name] = value.replace("${UNIQUEID}", unique_id).replace("${CALLERID(num)}", CALLER)
    (dial,) = doc.dialplan_apps(text, "Dial")
    options = doc.dial_options(dial)
    client = doc.ini_section(doc.snippet("asterisk-ws-plain"), options["section"])
    assert options["c"] == "slin16" and options["f"] == "json"
    ep = doc.endpoint(client["uri"], SUBST)
    basic = base64.b64encode(f"{client['username']}:{client['password'].replace('TOKEN', TOKEN)}".encode()).decode()
    clip, key_at = speech(16000)
    timeline = asterisk_timeline(clip, "1733070000.43", variables=variables, dtmf_at=key_at, fmt="slin16")
    run = await play_ws(
        ws_url(tel, ep),
        timeline,
        subprotocols=["media"],
        headers={"Authorization": f"Basic {basic}"},
        hang_up=True,
        pace=PACE,
        gate=(key_at, first_final(tel, unique_id)),
    )
    assert run.close_code == 1000
    await assert_announced_then_opted_out(tel, unique_id)


async def test_audiosocket_snippets(tel: Telephony) -> None:
    """The AudioSocket dialplan against the port configured by the doc's TOML (`audio_format = "slin"`,
    consent announced): 0x10 slin frames, the DTMF frame '9', hangup."""
    (arg,) = doc.dialplan_apps(doc.snippet("audiosocket-dialplan"), "AudioSocket")
    config = doc.config_overrides(doc.snippet("audiosocket-config"))
    assert arg.split(",")[1].endswith(f":{config['audiosocket_port']}")
    call = uuid.uuid4()
    clip, key_at = speech(8000)
    await play_tcp(
        tel.audiosocket_port,
        audiosocket_timeline(clip, call, dtmf_at=key_at),
        pace=PACE,
        gate=(key_at, first_final(tel, str(call))),
    )
    await assert_announced_then_opted_out(tel, str(call))
    assert tel.log.tenants[str(call)] == config["audiosocket_tenant"]


async def test_freeswitch_mod_audio_fork_snippet(tel: Telephony) -> None:
    """The dialplan's `uuid_audio_fork ... stereo 8k {metadata}`: metadata first, stereo L16 (the channel's
    party first), the key press forwarded with the doc's `send_text` line."""
    url, mix, rate, metadata = doc.fork_command(doc.snippet("freeswitch-fork"))
    assert (mix, rate) == ("stereo", "8k") and metadata is not None
    fs_uuid = str(uuid.uuid4())
    first = json.dumps(metadata).replace("${uuid}", fs_uuid).replace("${caller_id_number}", CALLER)
    dtmf = doc.snippet("freeswitch-dtmf").split("send_text ", 1)[1]
    clip, key_at = speech(8000)
    timeline = l16_timeline(first, stereo(clip), order=(0, 1), sizes_ms=(20, 40), dtmf=dtmf, dtmf_at=key_at)
    run = await play_ws(
        ws_url(tel, doc.endpoint(url, SUBST)),
        timeline,
        subprotocols=["audio.drachtio.org"],
        hang_up=True,
        pace=PACE,
        gate=(key_at, first_final(tel, fs_uuid)),
    )
    assert run.close_code == 1000 and run.subprotocol == "audio.drachtio.org"
    await assert_announced_then_opted_out(tel, fs_uuid)


async def test_freeswitch_mod_audio_stream_snippet(tel: Telephony) -> None:
    """`uuid_audio_stream ... mono 16k` with the options in the URL and no metadata (libwsc offers no
    subprotocol): binary frames only, then the key press."""
    url, mix, rate, metadata = doc.fork_command(doc.snippet("freeswitch-stream"))
    assert (mix, rate, metadata) == ("mono", "16k", None)
    fs_uuid = str(uuid.uuid4())
    ep = doc.endpoint(url.replace("${uuid}", fs_uuid), SUBST)
    dtmf = doc.snippet("freeswitch-dtmf").split("send_text ", 1)[1]
    clip, key_at = speech(16000)
    timeline = l16_timeline("", clip, order=(0,), sizes_ms=(20,), dtmf=dtmf, dtmf_at=key_at)[1:]
    run = await play_ws(ws_url(tel, ep), timeline, hang_up=True, pace=PACE, gate=(key_at, first_final(tel, fs_uuid)))
    assert run.close_code == 1000 and run.subprotocol is None
    await assert_announced_then_opted_out(tel, fs_uuid)


async def test_twilio_twiml_snippet(tel: Telephony) -> None:
    """The TwiML `<Start><Stream track="both_tracks">` with its `<Parameter>`s, signed with the account's
    auth token (no bearer token); `<Start><Stream>` carries no key presses, so the opt-out comes as the doc
    says, from the `<Gather>` webhook through the consent API (`declined`)."""
    url, track, params = doc.twiml_stream(doc.snippet("twilio-twiml"))
    assert track == "both_tracks"
    params = {k: v.replace("{{From}}", CALLER) for k, v in params.items()}
    ep = doc.endpoint(url, SUBST)
    target = ws_url(tel, ep)
    signature = base64.b64encode(hmac.new(TWILIO_AUTH_TOKEN.encode(), target.encode(), hashlib.sha1).digest()).decode()
    assert verify_twilio_signature(TWILIO_AUTH_TOKEN, target, {}, signature)
    call_sid = "CA" + uuid.uuid4().hex
    clip, key_at = speech(8000)
    timeline = twilio_timeline(stereo(clip), call_sid, channels={"inbound": 0, "outbound": 1}, params=params)
    webhook = doc.snippet("consent-webhook")
    assert "-u callscribe:TOKEN" in webhook and '"event":"granted"' in webhook
    replies: list[int] = []

    async def gather_webhook_declines() -> None:  # the caller pressed 9 in the <Gather>
        await first_final(tel, call_sid)()
        async with httpx.AsyncClient(base_url=tel.gw.http, auth=("callscribe", TOKEN)) as client:
            replies.append((await client.post(f"/v1/calls/{call_sid}/consent", json={"event": "declined"})).status_code)

    run = await play_ws(
        target, timeline, pace=PACE, headers={"X-Twilio-Signature": signature}, gate=(key_at, gather_webhook_declines)
    )
    assert run.close_code == 1000 and replies == [200]
    await assert_announced_then_opted_out(tel, call_sid)


async def test_telnyx_streaming_start_snippet(tel: Telephony) -> None:
    """The `streaming_start` body: options and `tracks=both_tracks` in the `stream_url` query, PCMU, both
    tracks out of order, the `dtmf` event '9'."""
    body = json.loads(doc.snippet("telnyx-start"))
    assert body["stream_codec"] == "PCMU" and body["stream_track"] == "both_tracks"
    ep = doc.endpoint(body["stream_url"], SUBST)
    call_control_id = "v3:" + uuid.uuid4().hex
    clip, key_at = speech(8000)
    timeline = telnyx_timeline(clip, call_control_id, params=[], dtmf_at=key_at, tracks=("inbound", "outbound"))
    run = await play_ws(
        ws_url(tel, ep), timeline, hang_up=True, pace=PACE, gate=(key_at, first_final(tel, call_control_id))
    )
    assert run.close_code == 1000
    await assert_announced_then_opted_out(tel, call_control_id)


async def test_jambonz_listen_snippet(tel: Telephony) -> None:
    """The application's `listen` verb: call attributes with the metadata merged in, stereo L16 at its
    `sampleRate`, `passDtmf` key presses."""
    verb = doc.listen_verb(doc.snippet("jambonz-listen"))
    assert verb["passDtmf"] is True
    call_sid = str(uuid.uuid4())
    first = {
        "callSid": call_sid,
        "from": CALLER,
        "to": "+3225550199",
        "direction": "inbound",
        "sampleRate": verb["sampleRate"],
        "mixType": verb["mixType"],
    } | verb["metadata"]
    clip, key_at = speech(verb["sampleRate"])
    dtmf = json.dumps({"event": "dtmf", "dtmf": "9", "duration": 1040})
    timeline = l16_timeline(json.dumps(first), stereo(clip), order=(0, 1), sizes_ms=(20,), dtmf=dtmf, dtmf_at=key_at)
    run = await play_ws(
        ws_url(tel, doc.endpoint(verb["url"], SUBST)),
        timeline,
        subprotocols=["audio.jambonz.org"],
        hang_up=True,
        pace=PACE,
        gate=(key_at, first_final(tel, call_sid)),
    )
    assert run.close_code == 1000 and run.subprotocol == "audio.jambonz.org"
    await assert_announced_then_opted_out(tel, call_sid)
