"""The compatible extension `start.vad_events`: the session reports each VAD onset as `SpeechStarted`
(real JFK speech through the real silero VAD; no engine runs)."""

from __future__ import annotations

from gateway.core.effects import Decode, Send
from gateway.core.session import CallSession
from gateway.core.session_config import SessionConfig
from protocol.codec import server_to_dict
from protocol.messages import SpeechStarted, Start
from tests.gateway.test_gateway_session import PCM16, chunks, feed, jfk
from vad.config import VadConfig
from vad.endpointer import LegEndpointer
from vad.silero import SileroModel

PAUSES = VadConfig(turn_silence_ms=0)
"""Every 400 ms pause ends an utterance (no longer endpoint inside a turn): these tests are about what happens
between many short utterances; the longer endpoint has its own tests (tests/vad/test_vad_segmenter.py)."""


def session(model: SileroModel, vad_events: bool) -> CallSession:
    start = Start("call-1", PCM16, ("caller",), language="en", consent="granted", vad_events=vad_events)
    return CallSession(start, SessionConfig(), lambda: LegEndpointer(model, PAUSES))


def test_onsets_come_before_their_decodes_with_the_utterance_start(vad_model: SileroModel) -> None:
    """With vad_events each utterance's onset is sent once, before any decode of it, stamped with its start
    (JFK's four phrases start near 0.15, 3.1, 5.2 and 8.0 s); without it nothing extra is sent."""
    effects = feed(session(vad_model, True), chunks(jfk(), PCM16, 0.2))
    onsets = [
        (i, e.message) for i, e in enumerate(effects) if isinstance(e, Send) and isinstance(e.message, SpeechStarted)
    ]
    assert [round(m.at) for _, m in onsets] == [0, 3, 5, 8]
    for i, onset in onsets:
        first = next(
            j for j, e in enumerate(effects) if isinstance(e, Decode) and e.ticket.utterance_id == onset.utterance_id
        )
        assert i < first
    assert server_to_dict(onsets[0][1]) == {
        "type": "speech_started",
        "leg": "caller",
        "utterance_id": onsets[0][1].utterance_id,
        "at": onsets[0][1].at,
    }
    quiet = feed(session(vad_model, False), chunks(jfk(), PCM16, 0.2))
    assert not [e for e in quiet if isinstance(e, Send) and isinstance(e.message, SpeechStarted)]
