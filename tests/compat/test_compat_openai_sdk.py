"""The official openai SDK's Realtime client (openai 3.57.0), GA and beta dialects, pointed at the gateway,
gets Realtime transcription events with the gateway's transcripts (real speech, model, VAD, loopback)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from bench.audio import Clip, encode, read_wav
from bench.client import StreamOptions, stream_call
from bench.wer import wer
from tests.compat import oai
from tests.compat.conftest import DIGIT_RUN, JFK_8K, JFK_TEXT, assert_redacted_like_native, jfk
from tests.conftest import TOKEN, Gateway

GA_SESSION: dict[str, Any] = {
    "type": "transcription",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": {"model": "whisper-1", "language": "en"},
            "turn_detection": {
                "type": "server_vad",
                "threshold": 0.5,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 500,
            },
        }
    },
    "include": ["item.input_audio_transcription.logprobs"],
}
BETA_ULAW: dict[str, Any] = {
    "input_audio_format": "g711_ulaw",
    "input_audio_transcription": {"model": "whisper-1", "language": "en"},
    "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
}

ULAW_DEFAULT_VAD = {k: v for k, v in BETA_ULAW.items() if k != "turn_detection"}  # the native call's endpointer


async def native_text(gw: Gateway, clip: Clip, encoding: str, call_id: str) -> str:
    run = await stream_call(
        gw.url,
        TOKEN,
        clip,
        StreamOptions(call_id=call_id, encoding=encoding, pace=0, language="en", interim_results=False),
    )
    return " ".join(f["text"] for f in run.finals)


async def test_ga_pcm16_24khz_items_with_the_native_wer(compat_gw: Gateway) -> None:
    """GA `session.update` (pcm16 24 kHz, server_vad): session.updated shows the effective config (the
    asked endpoint silence, the gateway's threshold and padding), every item is speech_started ->
    speech_stopped -> committed -> completed with word logprobs, and the completed transcripts' WER
    equals the native protocol's on the same clip."""
    clip = jfk(24000)
    native, run = await asyncio.gather(
        native_text(compat_gw, clip, "pcm_s16le", "oa-native-24k"),
        oai.stream(compat_gw.http, TOKEN, GA_SESSION, encode(clip.samples, "pcm_s16le"), 4800),
    )
    assert run.events[0].type == "session.created" and run.events[0].session.type == "transcription"
    updated = run.of("session.updated")[0].session.audio.input
    assert updated.format.type == "audio/pcm" and updated.transcription.language == "en"
    assert updated.turn_detection.silence_duration_ms == 500 and updated.turn_detection.prefix_padding_ms == 200
    assert wer([JFK_TEXT], [run.text()]) == pytest.approx(wer([JFK_TEXT], [native]), abs=0.05)
    previous = None
    for done in run.completed:
        item = [e for e in run.events if getattr(e, "item_id", None) == done.item_id]
        kinds = [e.type for e in item]
        assert (
            kinds[:3]
            == [
                "input_audio_buffer.speech_started",
                "input_audio_buffer.speech_stopped",
                "input_audio_buffer.committed",
            ]
            and kinds[-1] == done.type
        )
        assert item[2].previous_item_id == previous
        previous = done.item_id
        assert done.usage.seconds > 0 and done.logprobs and all(lp.logprob <= 0 for lp in done.logprobs)
        assert "".join(d.delta for d in run.deltas if d.item_id == done.item_id) == done.transcript


async def test_beta_g711_ulaw_streams_stable_deltas(compat_gw: Gateway) -> None:
    """Beta `transcription_session.update` with g711_ulaw, at real time: deltas arrive before their
    item completes; where the final extends the streamed stable text, the deltas add up to the completed
    transcript exactly (a final that re-decodes differently is authoritative: deltas never retract); and
    the WER equals the native protocol's for the same mu-law audio."""
    clip = read_wav(JFK_8K)
    native, run = await asyncio.gather(
        native_text(compat_gw, clip, "mulaw", "oa-native-ulaw"),
        oai.stream(compat_gw.http, TOKEN, BETA_ULAW, encode(clip.samples, "mulaw"), 1600, beta=True, pace_s=0.2),
    )
    assert run.of("transcription_session.updated")[0].session.input_audio_format == "g711_ulaw"
    assert wer([JFK_TEXT], [run.text()]) == pytest.approx(wer([JFK_TEXT], [native]), abs=0.05)
    streamed = 0
    for done in run.completed:
        deltas = [d for d in run.deltas if d.item_id == done.item_id]
        assert deltas and run.events.index(deltas[-1]) < run.events.index(done)
        joined = "".join(d.delta for d in deltas)
        if done.transcript.startswith(joined):  # else the final re-decoded differently: it is authoritative
            assert joined == done.transcript  # the final's own delta completed the streamed text
            streamed += len(deltas) > 1
    assert streamed  # at least one item was streamed from partials and completed consistently


async def test_phone_number_is_redacted_as_on_the_native_protocol(compat_gw: Gateway, pii_clip: Clip) -> None:
    """A call with a name and a phone number is redacted in completed transcripts exactly as in a native call
    with partials at the same pace (run first), and no delta ever shows a run of digits."""
    native_run = await stream_call(
        compat_gw.url,
        TOKEN,
        pii_clip,
        StreamOptions(
            call_id="oa-pii-native", encoding="mulaw", pace=2.0, frame_ms=100, language="en", interim_results=True
        ),
    )
    native = " ".join(f["text"] for f in native_run.finals)
    audio = encode(pii_clip.samples, "mulaw")
    run = await oai.stream(compat_gw.http, TOKEN, ULAW_DEFAULT_VAD, audio, 800, beta=True, pace_s=0.05, until="[phone]")
    assert_redacted_like_native(run.text(), native)
    for event in run.deltas:
        assert not DIGIT_RUN.search(event.delta)


async def test_bad_events_get_error_events_and_the_session_goes_on(compat_gw: Gateway) -> None:
    """An empty commit (`input_audio_buffer_commit_empty`), `semantic_vad` and an unknown event type each get
    an `error` event; the session stays open and then transcribes commit-driven (turn_detection null):
    no speech events, one committed item per utterance."""
    bad: list[dict[str, Any]] = [
        {"type": "input_audio_buffer.commit", "event_id": "c1"},
        {
            "type": "session.update",
            "session": {"type": "transcription", "audio": {"input": {"turn_detection": {"type": "semantic_vad"}}}},
        },
        {"type": "response.create"},
        {"type": "session.update", "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}}},
    ]
    clip = jfk(24000)
    run = await oai.stream(compat_gw.http, TOKEN, GA_SESSION, encode(clip.samples, "pcm_s16le"), 24000, extra=bad)
    errors = [e.error for e in run.of("error")]
    assert [e.code for e in errors] == ["input_audio_buffer_commit_empty", "invalid_value", "unknown_event"]
    assert errors[0].event_id == "c1" and "turn_detection" in (errors[1].param or "")
    assert run.of("session.updated")[-1].session.audio.input.turn_detection is None
    assert not run.of("input_audio_buffer.speech_started") and not run.of("input_audio_buffer.speech_stopped")
    assert len(run.of("input_audio_buffer.committed")) == len(run.completed) >= 2
    assert wer([JFK_TEXT], [run.text()]) <= 0.2


async def test_bad_key_is_refused_with_401(compat_gw: Gateway) -> None:
    """A wrong API key is refused with HTTP 401 before the upgrade: the SDK's connect fails, naming 401."""
    with pytest.raises(Exception, match=re.compile("401")):
        await oai.stream(compat_gw.http, "sk-wrong-key-123", GA_SESSION, b"", 4800, commit=False)
