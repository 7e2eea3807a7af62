"""AudioSocket's kind 0x10 carries whatever the channel's codec is: the port's configured format decodes it."""

from __future__ import annotations

import uuid

from asr.types import Transcriber
from bench.audio import encode, read_wav
from gateway.core.telephony_config import AudioSocketEntryPoint, TelephonyConfig
from tests.telephony.conftest import JFK, telephony_gateway
from tests.telephony.media_servers import audiosocket_frame, play_tcp
from vad.silero import SileroModel


async def test_ulaw_labelled_slin_is_transcribed_with_the_configured_format(
    engines: dict[str, Transcriber], vad_model: SileroModel
) -> None:
    """`Dial(AudioSocket/.../c(ulaw))` sends 160-byte mu-law frames labelled 0x10 (res_audiosocket.c:251-253),
    which used to give no transcript at all; with `audio_format = "ulaw"` on the port they give JFK's words."""
    clip, call = read_wav(JFK), uuid.uuid4()
    payload = encode(clip.samples, "mulaw")
    frames = [audiosocket_frame(0x01, call.bytes)]
    frames += [audiosocket_frame(0x10, payload[i : i + 160]) for i in range(0, len(payload), 160)]
    entry = AudioSocketEntryPoint(consent="granted", audio_format="ulaw", params={"language": "en"})
    async with telephony_gateway(
        engines, vad_model, telephony=TelephonyConfig(audiosocket=entry), audiosocket_params={}
    ) as tel:
        assert await play_tcp(tel.audiosocket_port, [(0.0, b"".join(frames))]) == b""
        await tel.log.ended(str(call))
        text = " ".join(f.text for f in tel.log.finals(str(call))).lower()
    assert "ask not" in text and "your country" in text, text
