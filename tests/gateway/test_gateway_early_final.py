"""Finals decoded ahead of their endpoint (`vad.early_final_ms`), in the session, with real silero on a real
LibriVox reading (pauses inside sentences, so speech often resumes after an early decode): the finals that
leave are exactly those of a session without early decodes (same spans, same order, seq without gaps), an
early decode whose utterance went on never becomes a final, and a failed one is requested again."""

from __future__ import annotations

from collections.abc import Callable

from asr.types import DecodeResult
from bench.audio import read_wav
from gateway.core.effects import Decode, Effect, Send, Ticket
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

Answer = Callable[[Ticket], DecodeResult | None]


def text_of(ticket: Ticket) -> DecodeResult:
    """What the fake engine says: the request's kind and span, so a test sees which decode a final came from."""
    return DecodeResult(f"{ticket.kind} {ticket.start} {ticket.end}", "en")


def run(
    model: SileroModel, early: bool, answer: Answer = text_of, hold_early: bool = False
) -> tuple[CallSession, list[Final], list[Decode]]:
    """Stream 25 s of the reading; every decode is answered at once (early ones at the end with
    `hold_early`); returns the session, the finals sent and every decode requested."""
    start = Start("early", PCM16, ("caller",), "en", consent="granted", interim_results=False)  # type: ignore[arg-type]
    s = CallSession(start, SessionConfig(), lambda: LegEndpointer(model, PAUSES), early_final=lambda: early)
    sent: list[Final] = []
    decodes: list[Decode] = []
    held: list[Decode] = []

    def apply(effects: list[Effect]) -> None:
        """Carry out effects in order; decodes are answered after them, as the engine would."""
        todo = list(effects)
        while todo:
            e = todo.pop(0)
            if isinstance(e, Send) and isinstance(e.message, Final):
                sent.append(e.message)
            elif isinstance(e, Decode):
                decodes.append(e)
                if hold_early and e.ticket.kind == "early":
                    held.append(e)
                else:
                    todo += s.decoded(e.ticket, answer(e.ticket))

    for frame in chunks(read_wav(SONNET), PCM16, 0.02, end_s=25.0):
        apply(s.receive(frame))
    apply(s.receive(Stop()))
    for e in held:
        apply(s.decoded(e.ticket, answer(e.ticket)))
    return s, sent, decodes


def spans(finals: list[Final]) -> list[tuple[float, float]]:
    return [(f.start, f.end) for f in finals]


def test_early_decodes_become_the_same_finals_and_the_rest_are_dropped(vad_model: SileroModel) -> None:
    """Some finals come from early decodes and some early decodes are dropped (speech went on); the finals
    are those of the session without early decodes, span by span, numbered 1, 2, ... in order."""
    _, plain, plain_decodes = run(vad_model, early=False)
    s, finals, decodes = run(vad_model, early=True)
    assert not [d for d in plain_decodes if d.ticket.kind == "early"]
    assert spans(finals) == spans(plain) and len(finals) >= 5
    assert [f.seq for f in finals] == list(range(1, len(finals) + 1))
    from_early = [f for f in finals if f.text.startswith("early ")]
    early = [d for d in decodes if d.ticket.kind == "early"]
    assert from_early and s.counters.early_used == len(from_early)
    assert len(early) == s.counters.early_decodes > len(from_early)  # the others: the utterance went on
    # an early decode that became a final was not requested again as a plain final
    plain_requests = {(d.ticket.start, d.ticket.end) for d in decodes if d.ticket.kind == "final"}
    used = {tuple(int(x) for x in f.text.split()[1:]) for f in from_early}
    assert used and not plain_requests & used


def test_an_early_decode_still_running_at_the_endpoint_is_the_final_when_it_comes(vad_model: SileroModel) -> None:
    """Early decodes answered only after the stream ended: the utterances that ended on their span wait for
    them (no plain request) and their finals still leave in order."""
    _, plain, _ = run(vad_model, early=False)
    s, finals, _ = run(vad_model, early=True, hold_early=True)
    assert spans(finals) == spans(plain)
    assert [f.seq for f in finals] == list(range(1, len(finals) + 1))
    assert s.counters.early_used and sum(f.text.startswith("early ") for f in finals) == s.counters.early_used


def test_a_failed_early_decode_is_requested_again_as_a_plain_final(vad_model: SileroModel) -> None:
    """The engine fails every early decode: each utterance it was for gets a plain final request, and no
    final is lost."""
    _, plain, _ = run(vad_model, early=False)

    def fail_early(ticket: Ticket) -> DecodeResult | None:
        return None if ticket.kind == "early" else text_of(ticket)

    s, finals, _ = run(vad_model, early=True, answer=fail_early, hold_early=True)
    assert spans(finals) == spans(plain)
    assert all(f.text.startswith("final ") for f in finals)
    assert s.counters.early_decodes and s.counters.early_used == 0
