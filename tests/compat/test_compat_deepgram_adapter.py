"""The Deepgram adapter's sans-I/O core: query mapping, control messages, audio framing and result flags
(facts: ../shared/reference/compat-apis.md section 1, from deepgram-sdk 7.17.0)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from protocol.compat import DeepgramAdapter, DeepgramBadRequest, parse_listen_options
from protocol.messages import (
    AudioChunk,
    Closed,
    ConsentEvent,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    Ready,
    SpeechStarted,
    Start,
    Stop,
    Word,
)

BASE = {"encoding": "linear16", "sample_rate": "16000", "consent": "granted"}


def adapter(**query: str) -> DeepgramAdapter:
    return DeepgramAdapter(BASE | query)


def final(end: float, start: float = 0.5, text: str = "Hello, there.", uid: str = "caller-0") -> Final:
    words = (Word("Hello,", start, start + 0.3, 0.9), Word("there.", start + 0.3, end, 0.6))
    return Final(1, "caller", uid, text, start, end, "en", words)


def frames(a: DeepgramAdapter, msg: object) -> list[dict[str, Any]]:
    out = a.server_frames(msg)  # type: ignore[arg-type]
    assert out is not None
    return [json.loads(f) for f in out]


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({"callback": "https://example.org/hook"}, "callback"),
        ({"detect_entities": "true"}, "detect_entities"),
        ({"encoding": ""}, "encoding"),
        ({"encoding": "opus"}, "encoding"),
        ({"sample_rate": "44100"}, "sample_rate"),
        ({"channels": "2"}, "multichannel"),
        ({"diarize": "true"}, "diarize"),
        ({"interim_results": "yes"}, "interim_results"),
        ({"endpointing": "soon"}, "endpointing"),
        ({"language": "en_US"}, "language"),
    ],
)
def test_unservable_queries_are_refused_naming_the_parameter(query: dict[str, str], names: str) -> None:
    """Each parameter the gateway cannot honour raises DeepgramBadRequest (HTTP 400) that names it."""
    with pytest.raises(DeepgramBadRequest, match=names):
        parse_listen_options(BASE | query)


def test_mapped_and_accepted_parameters() -> None:
    """Language tags map to the model's codes, endpointing=false drops speech_final and milliseconds become
    the call's endpoint silence (within 300..5000 ms), any redact value asks
    for masking, two channels need multichannel, and the ignored parameters are accepted."""
    o = parse_listen_options(
        BASE
        | {
            "language": "en-US",
            "endpointing": "false",
            "redact": "pci,ssn",
            "channels": "2",
            "multichannel": "true",
            "diarize": "true",
            "model": "nova-3",
            "keywords": "Voys:2",
            "keyterm": "Voys",
            "tag": "x",
        }
    )
    assert (o.language, o.endpointing_ms, o.redact, o.channels, o.legs) == ("en", None, True, 2, ("agent", "caller"))
    assert parse_listen_options(BASE | {"language": "multi"}).language == "auto"
    assert parse_listen_options(BASE | {"redact": "false"}).redact is False
    assert o.speech_final is False and parse_listen_options(BASE).endpointing_ms is None
    for asked, silence in (("10", 300), ("800", 800), ("60000", 5000)):  # kept within 300..5000 ms
        start = adapter(endpointing=asked).events_received()[0]
        assert isinstance(start, Start) and start.endpoint_ms == silence


def test_start_carries_the_operator_consent_and_announced_runs_the_window() -> None:
    """`Start` is emitted at construction with the entry point's consent; `announced` adds the event."""
    granted = adapter().events_received()
    assert isinstance(granted[0], Start) and granted[0].consent == "granted" and len(granted) == 1
    announced = DeepgramAdapter(BASE | {"consent": "announced"}).events_received()
    assert isinstance(announced[0], Start) and announced[0].consent == "pending"
    assert announced[1] == ConsentEvent("announced")


def test_audio_of_any_split_is_reframed_and_an_empty_frame_closes() -> None:
    """Odd-length binary frames become whole-sample chunks (the remainder is carried); b'' ends the stream."""
    a = adapter()
    a.events_received()
    a.receive_binary(b"\x01\x02\x03")
    a.receive_binary(b"\x04\x05")
    chunks = a.events_received()
    assert [c.data for c in chunks if isinstance(c, AudioChunk)] == [b"\x01\x02", b"\x03\x04"]
    a.receive_binary(b"")
    assert a.events_received() == [Stop()] and a.stopped


def test_control_messages() -> None:
    """KeepAlive and Finalize map to native messages, CloseStream to Stop; Configure and unknown messages
    are answered (ConfigureFailure, Error SchemaError) without ending the stream."""
    a = adapter()
    a.events_received()
    for kind in ("KeepAlive", "Finalize", "Configure", "Mystery"):
        a.receive_text(json.dumps({"type": kind}))
    a.receive_text("{not json")
    assert a.events_received() == [KeepAlive(), Finalize()]
    replies = [json.loads(f) for f in a.data_to_send()]
    assert [r["type"] for r in replies] == ["Results", "ConfigureFailure", "Error", "Error"]
    assert replies[0]["from_finalize"] and replies[2]["variant"] == "SchemaError"  # nothing open: answered at once
    a.receive_text(json.dumps({"type": "CloseStream"}))
    assert a.events_received() == [Stop()]


def test_finalize_marks_the_flushed_final_and_endpointed_finals_are_speech_final() -> None:
    """Of the utterances open at a Finalize, the final reaching its audio time has from_finalize (not
    speech_final); one that had ended on silence before is speech_final; with nothing open the Finalize is
    answered at once; words carry the decoder's probabilities as confidences."""
    a = adapter()
    a.receive_binary(b"\x00\x00" * 32000)  # 2 s
    frames(a, Ready("sid", "call", "active", "tiny.en", ("en",)))
    assert frames(a, SpeechStarted("caller", "caller-0", 0.5)) == []  # vad_events is off: nothing shown
    frames(a, SpeechStarted("caller", "caller-1", 1.5))
    a.receive_text(json.dumps({"type": "Finalize"}))
    assert a.data_to_send() == [] and a.events_received()[-1] == Finalize()
    endpointed = frames(a, final(1.2))[0]
    assert endpointed["speech_final"] and not endpointed["from_finalize"]
    assert endpointed["channel"]["alternatives"][0]["confidence"] == pytest.approx(0.75)
    assert [w["word"] for w in endpointed["channel"]["alternatives"][0]["words"]] == ["hello", "there"]
    flushed = frames(a, final(2.0, start=1.5, uid="caller-1"))[0]
    assert flushed["from_finalize"] and not flushed["speech_final"] and flushed["is_final"]
    assert flushed["metadata"]["request_id"] == "sid"
    a.receive_text(json.dumps({"type": "Finalize"}))  # nothing open now
    (empty,) = [json.loads(f) for f in a.data_to_send()]
    assert empty["from_finalize"] and empty["channel"]["alternatives"][0]["transcript"] == ""


def test_speech_started_interim_and_utterance_end() -> None:
    """The VAD's onset gives SpeechStarted (vad_events) at the utterance's start, a partial an interim
    Results; once the processed audio passes the last word's end by utterance_end_ms (plus the onset
    margin) with no onset, UtteranceEnd follows, while an onset inside the gap cancels it; Closed -> Metadata."""
    a = adapter(interim_results="true", vad_events="true", utterance_end_ms="1000", endpointing="false")
    a.receive_binary(b"\x00\x00" * 16000)
    (started,) = frames(a, SpeechStarted("caller", "caller-0", 0.5))
    assert started == {"type": "SpeechStarted", "channel": [0, 1], "timestamp": 0.5}
    (interim,) = frames(a, Partial("caller", "caller-0", "Hello", 0.5, 1.0, 5))
    assert interim["is_final"] is False and interim["channel"]["alternatives"][0]["transcript"] == "hello"
    result = frames(a, final(1.2))
    assert [r["type"] for r in result] == ["Results"] and not result[0]["speech_final"]
    for _ in range(3):  # 1 s, 2 s, 2.5 s processed: 1.2 + 1.0 + 0.3 not yet passed
        a.receive_binary(b"\x00\x00" * 8000)
    assert a.data_to_send() == []
    a.receive_binary(b"\x00\x00" * 8000)
    ends = [json.loads(f) for f in a.data_to_send()]
    assert ends == [{"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": 1.2}]
    frames(a, final(3.5, start=3.0, uid="caller-1"))
    frames(a, SpeechStarted("caller", "caller-2", 4.0))  # within 1 s of 3.5: no UtteranceEnd for caller-1
    a.receive_binary(b"\x00\x00" * 48000)
    assert [json.loads(f)["type"] for f in a.data_to_send()] == []
    meta = frames(a, Closed(1, {"caller": 2.5}))[0]
    assert meta["type"] == "Metadata" and meta["duration"] == 2.5 and meta["channels"] == 1
