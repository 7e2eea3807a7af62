"""Context across a paused turn, in the session (real silero on a real LibriVox reading): a final that
follows its leg's previous utterance after a short pause waits for that one's text, then goes to the engine
with the previous audio and words as its context; finals still leave in order, and a halted call releases
what waits without decoding it."""

from __future__ import annotations

from asr.types import DecodeResult, WordTiming
from bench.audio import read_wav
from gateway.core.effects import Decode, Effect, Send
from gateway.core.session import CallSession
from gateway.core.session_config import SessionConfig
from protocol.messages import AudioFormat, Final, Start, Stop
from tests.conftest import AUDIO
from tests.gateway.test_gateway_session import chunks
from vad.config import VadConfig
from vad.endpointer import LegEndpointer
from vad.silero import SileroModel

PAUSES = VadConfig(turn_silence_ms=0)
"""Every 400 ms pause ends an utterance (no longer endpoint inside a turn): these tests are about what happens
between many short utterances; the longer endpoint has its own tests (tests/vad/test_vad_segmenter.py)."""

SONNET = AUDIO / "extra" / "librivox_sonnet001.wav"
PCM16 = AudioFormat("pcm_s16le", 16000, 1)
RATE = 16000


def session(model: SileroModel, context_s: float, longest: float = 30.0) -> tuple[CallSession, list[Decode]]:
    start = Start("ctx", PCM16, ("caller",), "en", consent="granted")  # type: ignore[arg-type]
    config = SessionConfig(context_s=context_s, context_max_utterance_s=longest)
    s = CallSession(start, config, lambda: LegEndpointer(model, PAUSES))
    effects: list[Effect] = []
    for frame in chunks(read_wav(SONNET), PCM16, 0.02, end_s=25.0):
        effects += s.receive(frame)
    effects += s.receive(Stop())
    return s, [e for e in effects if isinstance(e, Decode) and e.ticket.kind == "final"]


def words_of(decode: Decode, text: str) -> tuple[WordTiming, ...]:
    """Words spread over the utterance, as alignment would time them."""
    seconds = (decode.ticket.end - decode.ticket.start) / RATE
    parts = text.split()
    step = seconds / len(parts)
    return tuple(WordTiming(w, k * step, (k + 1) * step, 0.9) for k, w in enumerate(parts))


def finals(effects: list[Effect]) -> list[tuple[int, str]]:
    return [(e.message.seq, e.message.text) for e in effects if isinstance(e, Send) and isinstance(e.message, Final)]


def test_a_final_after_a_short_pause_waits_for_the_one_before_and_gets_its_context(vad_model: SileroModel) -> None:
    """Without context every final of the reading goes to the engine at once; with it, the finals whose
    utterance starts within 2 s of the previous one wait; decoding the first releases the second with the
    first's audio (+ gap) and its words as prefix, and the finals leave in utterance order."""
    _, alone = session(vad_model, 0.0)
    s, requested = session(vad_model, 6.0)
    assert len(alone) >= 3 and len(requested) == 1  # the rest wait, one behind the other
    first = requested[0]
    assert first.request.prefix == "" and not len(first.request.context)
    text = "From fairest creatures we desire increase"
    out = s.decoded(first.ticket, DecodeResult(text, "en", words_of(first, text)))
    nxt = [e for e in out if isinstance(e, Decode)]
    assert len(nxt) == 1 and nxt[0].ticket.utterance_id == alone[1].ticket.utterance_id
    ctx = nxt[0].request
    first_seconds = (first.ticket.end - first.ticket.start) / RATE
    assert ctx.prefix and text.endswith(ctx.prefix)
    assert 0 < ctx.context_seconds <= min(6.0, first_seconds) + 0.3 + 1e-6
    assert finals(out) == [(1, text)]
    out = s.decoded(nxt[0].ticket, DecodeResult("that thereby beauty's rose", "en"))
    assert finals(out) == [(2, "that thereby beauty's rose")]


def test_only_short_utterances_wait_for_context(vad_model: SileroModel) -> None:
    """With the default bound (4 s) an utterance longer than that is decoded alone at once: as many finals
    leave at once as there are such utterances (plus the first), and none of them carries context."""
    _, alone = session(vad_model, 0.0)
    _, requested = session(vad_model, 6.0, longest=4.0)
    long_ones = [d for d in alone[1:] if d.ticket.end - d.ticket.start > 4 * RATE]
    assert long_ones and len(requested) < len(alone)
    assert {d.ticket.utterance_id for d in requested} >= {d.ticket.utterance_id for d in long_ones}
    assert all(not len(d.request.context) for d in requested)


def test_a_failed_predecessor_releases_the_waiting_final_without_context(vad_model: SileroModel) -> None:
    """The engine failed the first final (the client got `internal`): the next one is decoded alone."""
    s, requested = session(vad_model, 6.0)
    out = s.decoded(requested[0].ticket, None)
    nxt = [e for e in out if isinstance(e, Decode)]
    assert len(nxt) == 1 and nxt[0].request.prefix == "" and not len(nxt[0].request.context)
    assert finals(out) == []


def test_a_halted_call_releases_what_waits_without_decoding_it(vad_model: SileroModel) -> None:
    """After a special-category stop nothing more is decoded: the waiting finals are released as failed,
    so no Decode leaves the session and the first final (already decoded) is still the only one sent."""
    s, requested = session(vad_model, 6.0)
    s.halt_for_good()
    out = s.decoded(requested[0].ticket, DecodeResult("my diagnosis", "en"))
    assert not [e for e in out if isinstance(e, Decode)]
    assert s.legs[0].held == {} and s.legs[0].final_order == []
