"""The official deepgram-sdk (7.17.0) live client, pointed at the gateway, gets Deepgram's messages with the
gateway's transcripts: real speech, real model, real VAD, real WebSocket over loopback."""

from __future__ import annotations

import asyncio
import hashlib
import re

import pytest
import websockets
from deepgram.core.api_error import ApiError

from asr.types import Transcriber
from bench.audio import Clip, encode, read_wav
from bench.client import StreamOptions, stream_call
from bench.wer import normalize, wer
from tests.compat import dg
from tests.compat.conftest import CALL, GRANTED, JFK_TEXT, assert_redacted_like_native, chunks, jfk
from tests.conftest import TOKEN, Gateway, make_config, start_gateway
from tests.telephony.conftest import native_finals
from vad.silero import SileroModel


async def test_linear16_mono_results_words_speech_started_and_metadata(compat_gw: Gateway) -> None:
    """PCM16 16 kHz mono: final Results with channel_index [0, 1], real word confidences and times inside
    the result, a SpeechStarted before each, UtteranceEnd after, then one Metadata and a clean close."""
    audio = encode(jfk().samples, "pcm_s16le")
    run = await dg.stream(
        compat_gw.http,
        TOKEN,
        [*chunks(audio, 6401), "CloseStream"],
        encoding="linear16",
        sample_rate=16000,
        punctuate="true",
        vad_events="true",
        utterance_end_ms=1000,
        language="en-US",
    )
    assert run.closed_ok
    assert wer([JFK_TEXT], [run.text()]) <= 0.1, run.text()
    finals = run.finals()
    assert len(finals) >= 2 and all(r.channel_index == [0, 1] and r.speech_final for r in finals)
    confidences = set()
    for r in finals:
        alt = r.channel.alternatives[0]
        assert alt.words and 0 < alt.confidence <= 1
        for w in alt.words:
            assert r.start - 0.01 <= w.start <= w.end <= r.start + r.duration + 0.01
            assert w.word == w.word.lower() and w.punctuated_word
            confidences.add(w.confidence)
    assert len(confidences) > 3  # the decoder's word probabilities, not a constant
    kinds = [m.type for m in run.messages]
    assert kinds.count("SpeechStarted") == len(finals) and kinds[0] == "SpeechStarted"
    assert "UtteranceEnd" in kinds and kinds[-1] == "Metadata"
    meta = run.of("Metadata")[0]
    assert meta.channels == 1 and meta.duration == pytest.approx(11.0, abs=0.01)
    assert meta.sha256 == hashlib.sha256(audio).hexdigest()


async def test_endpointing_sets_the_calls_endpoint_silence(compat_gw: Gateway) -> None:
    """`endpointing=2000` keeps JFK's sub-second pauses inside utterances: fewer finals than with the
    deployment's 400 ms, and the same words."""
    audio = encode(jfk().samples, "pcm_s16le")
    frames: list[bytes | str] = [*chunks(audio, 32000), "CloseStream"]
    short, long = await asyncio.gather(
        dg.stream(compat_gw.http, TOKEN, frames, encoding="linear16", sample_rate=16000, language="en"),
        dg.stream(
            compat_gw.http, TOKEN, frames, encoding="linear16", sample_rate=16000, language="en", endpointing=2000
        ),
    )
    assert len(long.finals()) < len(short.finals())
    assert wer([JFK_TEXT], [long.text()]) <= 0.15


async def test_two_channel_mulaw_multichannel_gives_each_leg_on_its_channel(compat_gw: Gateway) -> None:
    """8 kHz mu-law, two channels with multichannel=true, at 4x real time: final Results of each channel (and
    every interim) carry channel_index [c, 2], the finals the native protocol's words for that leg;
    unpunctuated, lowercase as Deepgram's default (bar redaction tokens such as `[NAME]`)."""
    clip = read_wav(CALL)
    audio = encode(clip.samples, "mulaw")
    paced: list[bytes | str] = []
    for frame in chunks(audio, 3200):  # 200 ms of both channels
        paced += [frame, "sleep:0.05"]
    native, run = await asyncio.gather(
        native_finals(compat_gw, clip, "call", ("agent", "caller"), "mulaw"),
        dg.stream(
            compat_gw.http,
            TOKEN,
            [*paced, "CloseStream"],
            encoding="mulaw",
            sample_rate=8000,
            channels=2,
            multichannel="true",
            language="en",
            interim_results="true",
        ),
    )
    assert run.closed_ok
    assert {tuple(r.channel_index) for r in run.finals()} == {(0, 2), (1, 2)}
    # interims: at 4x real time on a slow 2-core CPU the caller's short turns may get none (partials are shed
    # while finals wait), so each interim must carry a channel of the two, not both channels an interim
    interims = {tuple(r.channel_index) for r in run.of("Results") if not r.is_final}
    assert interims and interims <= {(0, 2), (1, 2)}
    for channel, leg in enumerate(("agent", "caller")):
        text = run.text(channel)
        words = re.sub(r"\[[A-Z_0-9]+\]", "", text)  # redaction tokens keep their shape
        assert words == words.lower() and not re.search(r"[.,?!]", words)
        assert wer([" ".join(native[leg])], [text]) <= 0.05, (leg, native[leg], text)
    assert run.of("Metadata")[0].channels == 2


async def test_finalize_flushes_the_open_utterance_with_from_finalize(compat_gw: Gateway) -> None:
    """At real-time pace, interim Results come while JFK speaks; Finalize mid-sentence yields the final
    with from_finalize true (not speech_final), and CloseStream then gives the rest and Metadata."""
    clip = jfk()
    audio = encode(clip.samples, "pcm_s16le")
    cut = int(1.9 * clip.rate) * 2
    paced: list[bytes | str] = []
    for frame in chunks(audio[:cut], 3200):  # 100 ms frames at real time
        paced += [frame, "sleep:0.1"]
    run = await dg.stream(
        compat_gw.http,
        TOKEN,
        [*paced, "Finalize", "wait:from_finalize", *chunks(audio[cut:], 32000), "CloseStream"],
        encoding="linear16",
        sample_rate=16000,
        interim_results="true",
        language="en",
    )
    assert run.closed_ok
    flushed = [r for r in run.of("Results") if r.from_finalize]
    assert len(flushed) == 1 and flushed[0].is_final and not flushed[0].speech_final
    assert "so my" in normalize(flushed[0].channel.alternatives[0].transcript)  # the flush cut the sentence at 1.9 s
    interim = [r for r in run.of("Results") if not r.is_final]
    assert interim and run.messages.index(interim[0]) < run.messages.index(flushed[0])
    assert run.messages[-1].type == "Metadata"
    assert "country" in normalize(run.text())


async def test_phone_number_is_redacted_as_on_the_native_protocol(compat_gw: Gateway, pii_clip: Clip) -> None:
    """A call with a name and a phone number is redacted in Deepgram finals (transcript and words) exactly as
    the native protocol's finals of the same audio (both decoded alike: one after the other, finals only,
    since a decode batched with other requests may come out differently)."""
    options = StreamOptions(call_id="pii-native", encoding="mulaw", pace=0, language="en", interim_results=False)
    native = await stream_call(compat_gw.url, TOKEN, pii_clip, options)
    audio = encode(pii_clip.samples, "mulaw")
    run = await dg.stream(
        compat_gw.http,
        TOKEN,
        [*chunks(audio, 1600), "CloseStream"],
        encoding="mulaw",
        sample_rate=8000,
        redact=["pci", "numbers"],
        punctuate="true",
        language="en",
    )
    assert_redacted_like_native(run.text(), " ".join(f["text"] for f in native.finals))
    got_words = [w.punctuated_word for r in run.finals() for w in r.channel.alternatives[0].words]
    native_words = [str(w["word"]).strip() for f in native.finals for w in f["words"]]
    masked = [w for w in native_words if w.startswith("[")]
    assert masked and [w for w in got_words if w.startswith("[")] == masked


async def test_bad_key_and_bad_query_are_refused_before_the_upgrade(compat_gw: Gateway) -> None:
    """A wrong key is the SDK's 401 ApiError ("invalid credentials"); an unsupported encoding or diarize on
    one channel is HTTP 400, before any audio is taken."""
    with pytest.raises(ApiError) as bad_key:
        await dg.stream(compat_gw.http, "not-a-valid-key", [], encoding="linear16", sample_rate=16000)
    assert bad_key.value.status_code == 401 and "invalid credentials" in str(bad_key.value.body)
    for query in (
        {"encoding": "opus", "sample_rate": 48000},
        {"encoding": "linear16", "sample_rate": 16000, "diarize": "true"},
    ):
        with pytest.raises(ApiError) as bad_query:
            await dg.stream(compat_gw.http, TOKEN, [], **query)
        assert bad_query.value.status_code == 400


async def test_entry_point_off_by_default_is_403(gateway: Gateway) -> None:
    """With the default configuration (compat consent `off`) the Deepgram endpoint refuses every upgrade."""
    with pytest.raises(ApiError) as refused:
        await dg.stream(gateway.http, TOKEN, [], encoding="linear16", sample_rate=16000)
    assert refused.value.status_code == 403


async def test_idle_stream_closes_1011_net_0001(engines: dict[str, Transcriber], vad_model: SileroModel) -> None:
    """A stream that sends neither audio nor KeepAlive for the idle timeout is closed 1011 `NET-0001`."""
    gw, task = await start_gateway(make_config(compat=GRANTED, idle_timeout_s=0.5), engines, vad_model)
    try:
        with pytest.raises(websockets.ConnectionClosedError) as closed:
            await dg.stream(gw.http, TOKEN, [], encoding="linear16", sample_rate=16000)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1011, "NET-0001")
    finally:
        gw.server.should_exit = True
        await task
