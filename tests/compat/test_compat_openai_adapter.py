"""The OpenAI Realtime adapter's sans-I/O core: both session shapes, buffer events, stable deltas
(facts: ../shared/reference/compat-apis.md section 2, from openai 3.57.0)."""

from __future__ import annotations

import base64
import json
from typing import Any

from protocol.compat import OpenAiRealtimeAdapter
from protocol.messages import AudioChunk, Final, Finalize, Partial, SpeechStarted, Start, Word


def events(a: OpenAiRealtimeAdapter) -> list[dict[str, Any]]:
    return [json.loads(f) for f in a.data_to_send()]


def send(a: OpenAiRealtimeAdapter, **event: Any) -> list[dict[str, Any]]:
    a.receive_text(json.dumps(event))
    return events(a)


def append(a: OpenAiRealtimeAdapter, data: bytes) -> list[dict[str, Any]]:
    return send(a, type="input_audio_buffer.append", audio=base64.b64encode(data).decode())


def server(a: OpenAiRealtimeAdapter, msg: object) -> list[dict[str, Any]]:
    out = a.server_frames(msg)  # type: ignore[arg-type]
    assert out is not None
    return [json.loads(f) for f in out]


def test_created_on_connect_in_each_dialect() -> None:
    """The GA dialect opens with session.created (type transcription), the beta one with
    transcription_session.created (flat shape, pcm16 by default)."""
    ga = events(OpenAiRealtimeAdapter({"consent": "granted"}))
    assert ga[0]["type"] == "session.created" and ga[0]["session"]["type"] == "transcription"
    beta = events(OpenAiRealtimeAdapter({"consent": "granted", "dialect": "beta"}))
    assert beta[0]["type"] == "transcription_session.created" and beta[0]["session"]["input_audio_format"] == "pcm16"


def test_format_and_language_reach_start_and_cannot_change_after_audio() -> None:
    """A beta g711_alaw update makes Start 8 kHz A-law in the asked language; after audio, changing the
    format is an error event and the session keeps its format."""
    a = OpenAiRealtimeAdapter({"consent": "granted", "dialect": "beta"})
    events(a)
    updated = send(
        a,
        type="transcription_session.update",
        session={"input_audio_format": "g711_alaw", "input_audio_transcription": {"language": "nl"}},
    )
    assert updated[0]["type"] == "transcription_session.updated"
    append(a, b"\xd5" * 160)
    start, chunk = a.events_received()
    assert isinstance(start, Start) and (start.audio.encoding, start.audio.sample_rate, start.language) == (
        "alaw",
        8000,
        "nl",
    )
    assert isinstance(chunk, AudioChunk) and len(chunk.data) == 160
    refused = send(a, type="transcription_session.update", session={"input_audio_format": "pcm16"})
    assert refused[0]["type"] == "error" and a.session.audio_format == "g711_alaw"


def test_ga_rejects_other_rates_and_conversation_sessions() -> None:
    """GA audio/pcm at a rate other than 24 kHz, and a non-transcription session, get error events naming
    the parameter."""
    a = OpenAiRealtimeAdapter({"consent": "granted"})
    events(a)
    bad_rate = send(
        a,
        type="session.update",
        session={"type": "transcription", "audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}},
    )
    assert bad_rate[0]["error"]["param"] == "session.audio.input.format.rate"
    realtime = send(a, type="session.update", session={"type": "realtime"})
    assert realtime[0]["error"]["param"] == "session.type"


def test_bad_input_is_answered_and_the_session_stays_open() -> None:
    """Bad base64, a BINARY frame and invalid JSON each get an error event; nothing reaches the call."""
    a = OpenAiRealtimeAdapter({"consent": "granted"})
    events(a)
    assert send(a, type="input_audio_buffer.append", audio="%%%")[0]["error"]["param"] == "audio"
    a.receive_binary(b"\x00\x00")
    a.receive_text("[")
    assert [e["error"]["code"] for e in events(a)] == ["invalid_frame", "invalid_json"]
    assert a.events_received() == [] and not a.stopped


def test_commit_flushes_and_clear_hides_the_cleared_utterance() -> None:
    """Commit becomes Finalize; after clear, the utterance open at it is not reported, while one that had
    ended on silence before it, and a later one, are."""
    a = OpenAiRealtimeAdapter({"consent": "granted"})
    events(a)
    (started,) = server(a, SpeechStarted("caller", "caller-0", 0.1))
    assert started["type"] == "input_audio_buffer.speech_started" and started["audio_start_ms"] == 100
    server(a, SpeechStarted("caller", "caller-1", 0.7))
    append(a, b"\x00\x00" * 24000)  # 1 s
    send(a, type="input_audio_buffer.commit")
    assert a.events_received()[-1] == Finalize()
    assert send(a, type="input_audio_buffer.clear")[0]["type"] == "input_audio_buffer.cleared"
    words = (Word("Hi.", 0.2, 0.5, 0.8),)
    ended_before = server(a, Final(1, "caller", "caller-0", "Hi.", 0.1, 0.5, "en", words))
    assert ended_before[-1]["type"] == "conversation.item.input_audio_transcription.completed"
    assert server(a, Partial("caller", "caller-1", "Hi", 0.7, 1.0, 2)) == []
    assert server(a, Final(2, "caller", "caller-1", "Hi.", 0.7, 1.2, "en", words)) == []
    server(a, SpeechStarted("caller", "caller-2", 1.5))
    later = server(a, Final(3, "caller", "caller-2", "Hi.", 1.5, 1.9, "en", words))
    assert later[-1]["type"] == "conversation.item.input_audio_transcription.completed"


def test_deltas_carry_only_the_stable_extension() -> None:
    """Partials give deltas of their stable prefix only, never a retraction; the final adds what remains,
    and its completed event has the transcript, usage in seconds and (asked for) word logprobs."""
    a = OpenAiRealtimeAdapter({"consent": "granted"})
    events(a)
    send(
        a,
        type="session.update",
        session={"type": "transcription", "include": ["item.input_audio_transcription.logprobs"]},
    )
    first = server(a, Partial("caller", "caller-0", "And so my", 0.1, 1.0, 6))
    assert [e["type"] for e in first] == ["conversation.item.input_audio_transcription.delta"]
    assert first[0]["delta"] == "And so"
    assert server(a, Partial("caller", "caller-0", "And sew my fellow", 0.1, 1.5, 5)) == []  # unstable change
    more = server(a, Partial("caller", "caller-0", "And so my fellow", 0.1, 1.5, 12))
    assert [e["delta"] for e in more] == [" my fe"]
    words = (Word("And", 0.1, 0.3, 0.9), Word("so", 0.3, 0.5, 0.5))
    done = server(a, Final(1, "caller", "caller-0", "And so my fellow Americans.", 0.1, 2.0, "en", words))
    kinds = [e["type"] for e in done]
    assert kinds == [
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
    ]
    assert done[2]["delta"] == "llow Americans." and done[3]["usage"] == {"type": "duration", "seconds": 1.9}
    assert [lp["token"] for lp in done[3]["logprobs"]] == ["And", "so"] and done[3]["logprobs"][1]["logprob"] < 0


def test_the_call_gets_exactly_the_silence_the_session_reports() -> None:
    """server_vad has one endpoint: with no `silence_duration_ms` from the client, the call is started with
    the deployment's (as `session.updated` reports it), so the gateway's longer endpoint inside a turn
    (`vad.turn_silence_ms`) never applies to an OpenAI client; with one, exactly that one."""
    a = OpenAiRealtimeAdapter({"consent": "granted", "dialect": "beta", "vad_silence_duration_ms": "400"})
    created = events(a)
    assert created[0]["session"]["turn_detection"]["silence_duration_ms"] == 400
    append(a, b"\x00\x00" * 480)
    start = a.events_received()[0]
    assert isinstance(start, Start) and start.endpoint_ms == 400
    b = OpenAiRealtimeAdapter({"consent": "granted", "dialect": "beta", "vad_silence_duration_ms": "400"})
    events(b)
    send(
        b,
        type="transcription_session.update",
        session={"turn_detection": {"type": "server_vad", "silence_duration_ms": 700}},
    )
    append(b, b"\x00\x00" * 480)
    start = b.events_received()[0]
    assert isinstance(start, Start) and start.endpoint_ms == 700
