"""CallSession (sans-I/O): consent at the door, flushing, seq numbering and result handling.

Real speech (JFK, the synthetic two-leg call) goes through the real silero VAD; no engine runs: the tests
answer the session's Decode effects themselves through `decoded()`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pytest

from asr.types import DecodeResult, WordTiming
from bench.audio import Clip, encode, read_wav
from gateway.core.effects import Decode, Effect, Send, Ticket
from gateway.core.redaction import CallRedaction
from gateway.core.session import CallSession
from gateway.core.session_config import SessionConfig
from privacy import Policy
from protocol.errors import BadMessage
from protocol.messages import (
    AudioChunk,
    AudioFormat,
    ConsentEvent,
    ConsentState,
    Dtmf,
    Final,
    Finalize,
    KeepAlive,
    Partial,
    Start,
    Stop,
)
from tests.conftest import AUDIO
from vad.config import VadConfig
from vad.endpointer import LegEndpointer
from vad.silero import SileroModel

RATE16 = 16000
PCM16 = AudioFormat("pcm_s16le", 16000, 1)
MULAW8_STEREO = AudioFormat("mulaw", 8000, 2)


@functools.cache
def clip(name: str) -> Clip:
    return read_wav(AUDIO / name)


def jfk() -> Clip:
    """JFK, 11 s, 16 kHz mono: utterances start at about 0.15, 3.1, 5.2 and 8.0 s."""
    return clip("real/jfk.wav")


def call_en() -> Clip:
    """The synthetic English call, 8 kHz stereo (agent left, caller right)."""
    return clip("synthetic/synthetic_call_en.wav")


def chunks(
    c: Clip, fmt: AudioFormat, seconds: float, start_s: float = 0.0, end_s: float | None = None
) -> list[AudioChunk]:
    """The clip's samples in [start_s, end_s) as wire frames of `seconds` each (the last may be shorter)."""
    assert c.rate == fmt.sample_rate and c.channels == fmt.channels
    step = round(seconds * c.rate)
    first = round(start_s * c.rate)
    last = len(c.samples) if end_s is None else round(end_s * c.rate)
    return [AudioChunk(encode(c.samples[i : min(i + step, last)], fmt.encoding)) for i in range(first, last, step)]


def make_session(
    model: SileroModel,
    consent: str = "granted",
    fmt: AudioFormat = PCM16,
    language: str = "en",
    interim: bool = True,
    config: SessionConfig | None = None,
    **kwargs: object,
) -> CallSession:
    legs = ("caller",) if fmt.channels == 1 else ("agent", "caller")
    start = Start(
        "call-1",
        fmt,
        legs,
        language=language,
        consent=consent,  # type: ignore[arg-type]
        interim_results=interim,
    )
    # context off unless asked for: a final would wait for the one before it to be decoded, and these tests
    # read the requests without decoding them (tests/gateway/test_gateway_context.py covers the waiting)
    config = config or SessionConfig(context_s=0.0)
    return CallSession(start, config, lambda: LegEndpointer(model, VadConfig()), **kwargs)  # type: ignore[arg-type]


def feed(session: CallSession, messages: Iterable[AudioChunk]) -> list[Effect]:
    effects: list[Effect] = []
    for msg in messages:
        effects += session.receive(msg)
    return effects


def decodes(effects: list[Effect], kind: str | None = None) -> list[Decode]:
    return [e for e in effects if isinstance(e, Decode) and kind in (None, e.ticket.kind)]


def sent(effects: list[Effect]) -> list[object]:
    return [e.message for e in effects if isinstance(e, Send)]


def result(text: str, language: str = "en", words: tuple[WordTiming, ...] = ()) -> DecodeResult:
    return DecodeResult(text, language, words)


def final_ticket(uid: str = "caller-0", start: int = 0, end: int = RATE16) -> Ticket:
    return Ticket("caller", uid, "final", start, end)


@pytest.fixture
def model(vad_model: SileroModel) -> SileroModel:
    return vad_model


# -- consent at the door ------------------------------------------------------------------------------


def test_pending_audio_is_counted_and_never_reaches_vad(model: SileroModel) -> None:
    """While consent is pending every sample is counted as dropped; none reaches VAD or the engine."""
    session = make_session(model, consent="pending")
    effects = feed(session, chunks(jfk(), PCM16, 0.5))
    effects += session.receive(Stop())
    total = len(jfk().samples)
    assert effects == []
    c = session.counters
    assert (c.dropped_samples, c.processed_samples, c.vad_samples, c.engine_audio_samples) == (total, 0, 0, 0)
    assert [leg.endpointer.windows for leg in session.legs] == [0]
    assert session.now == pytest.approx(11.0)
    assert session.closed().audio_seconds == {"caller": 11.0}
    assert session.closed().finals == 0


@pytest.mark.parametrize(
    ("name", "fmt", "frame_s", "announce_after", "window_s"),
    [
        ("real/jfk.wav", PCM16, 0.3, 0, 5.0),
        ("real/jfk.wav", PCM16, 0.3, 4, 2.5),
        ("synthetic/synthetic_call_en.wav", MULAW8_STEREO, 0.3, 3, 4.0),
    ],
)
def test_announced_call_turns_active_at_the_window_sample(
    model: SileroModel, name: str, fmt: AudioFormat, frame_s: float, announce_after: int, window_s: float
) -> None:
    """After `announced`, audio is dropped up to exactly the window's end sample, even inside a frame."""
    c = clip(name)
    frames = chunks(c, fmt, frame_s, end_s=10.0)
    session = make_session(model, consent="pending", fmt=fmt, config=SessionConfig(opt_out_window_s=window_s))
    assert feed(session, frames[:announce_after]) == []
    announced_at = session.now
    assert session.receive(ConsentEvent("announced", "prompt-v1")) == []
    effects = feed(session, frames[announce_after:])
    window_end = round((announced_at + window_s) * fmt.sample_rate)
    assert window_end % round(frame_s * fmt.sample_rate) != 0, "the window must end inside a frame"
    total = round(10.0 * fmt.sample_rate)
    assert session.counters.dropped_samples == window_end
    assert session.counters.processed_samples == total - window_end
    assert ConsentState("active", round(announced_at + window_s, 3), "prompt-v1") in sent(effects)
    assert session.consent.state == "active"
    assert session.transitions[-1].event == "window_elapsed"
    assert session.transitions[-1].announcement == "prompt-v1"
    if fmt.sample_rate == RATE16:
        assert session.counters.vad_samples == total - window_end
    requests = decodes(effects + session.receive(Stop()))
    assert requests, "speech after the window is transcribed"
    first16 = round((announced_at + window_s) * RATE16)
    assert all(d.ticket.start >= first16 for d in requests), "nothing from before the window is decoded"


def test_opt_out_inside_the_window_keeps_the_call_dark(model: SileroModel) -> None:
    """An opt-out key during the announcement window declines: the window never opens the door."""
    session = make_session(model, consent="pending", config=SessionConfig(opt_out_window_s=3.0))
    session.receive(ConsentEvent("announced"))
    effects = feed(session, chunks(jfk(), PCM16, 0.5, end_s=2.0))
    effects += session.receive(Dtmf("9", "caller"))
    effects += feed(session, chunks(jfk(), PCM16, 0.5, start_s=2.0))
    effects += session.receive(Stop())
    assert sent(effects) == [ConsentState("declined", 2.0)]
    assert session.counters.vad_samples == 0
    assert session.counters.dropped_samples == len(jfk().samples)


@pytest.mark.parametrize(("digit", "other"), [("9", "1"), ("#", "9")])
def test_dtmf_opt_out_digit_declines_and_other_digits_do_nothing(model: SileroModel, digit: str, other: str) -> None:
    """Only the configured opt-out digit declines; it discards the open utterance without a final."""
    session = make_session(model, config=SessionConfig(opt_out_digit=digit))
    feed(session, chunks(jfk(), PCM16, 0.5, end_s=2.0))
    assert session.legs[0].open is not None, "an utterance is open at 2 s"
    assert session.receive(Dtmf(other, "caller")) == []
    assert session.consent.state == "active"
    effects = session.receive(Dtmf(digit, "caller"))
    assert effects == [Send(ConsentState("declined", 2.0))]
    assert session.declined
    vad_before = session.counters.vad_samples
    later = feed(session, chunks(jfk(), PCM16, 0.5, start_s=2.0))
    later += session.receive(Stop())
    assert later == []
    assert session.counters.vad_samples == vad_before
    assert session.counters.dropped_samples == len(jfk().samples) - 2 * RATE16


def test_consent_granted_event_activates_a_pending_call(model: SileroModel) -> None:
    """A `granted` event opens the door at the current sample; earlier audio stays dropped."""
    session = make_session(model, consent="pending")
    feed(session, chunks(jfk(), PCM16, 0.5, end_s=3.0))
    assert session.receive(ConsentEvent("granted")) == [Send(ConsentState("active", 3.0))]
    effects = feed(session, chunks(jfk(), PCM16, 0.5, start_s=3.0)) + session.receive(Stop())
    assert session.counters.dropped_samples == 3 * RATE16
    assert all(d.ticket.start >= 3 * RATE16 for d in decodes(effects))
    assert decodes(effects, "final")


def test_illegal_consent_event_is_a_bad_message(model: SileroModel) -> None:
    """A consent event the machine forbids (resume a pending call) is reported as BadMessage."""
    session = make_session(model, consent="pending")
    with pytest.raises(BadMessage):
        session.receive(ConsentEvent("resumed"))
    assert session.consent.state == "pending"


def test_pause_flushes_drops_and_resume_restarts(model: SileroModel) -> None:
    """`paused` sends the open utterance's final request; paused audio is dropped; `resumed` restarts."""
    session = make_session(model)
    feed(session, chunks(jfk(), PCM16, 0.5, end_s=2.0))
    open_uid = session.legs[0].open.uid if session.legs[0].open else None
    assert open_uid == "caller-0"
    effects = session.receive(ConsentEvent("paused"))
    finals = decodes(effects, "final")
    assert [d.ticket.utterance_id for d in finals] == ["caller-0"]
    assert finals[0].ticket.end <= 2 * RATE16
    assert effects[-1] == Send(ConsentState("paused", 2.0))
    vad_before = session.counters.vad_samples
    assert feed(session, chunks(jfk(), PCM16, 0.5, start_s=2.0, end_s=5.0)) == []
    assert session.counters.vad_samples == vad_before
    assert session.counters.dropped_samples == 3 * RATE16
    assert session.receive(ConsentEvent("resumed")) == [Send(ConsentState("active", 5.0))]
    later = feed(session, chunks(jfk(), PCM16, 0.5, start_s=5.0)) + session.receive(Stop())
    assert decodes(later, "final")
    assert all(d.ticket.start >= 5 * RATE16 for d in decodes(later)), "the paused span is never decoded"
    assert session.counters.vad_samples == vad_before + 6 * RATE16


# -- flushing and message order -----------------------------------------------------------------------


def test_finalize_ends_the_open_utterance_now(model: SileroModel) -> None:
    """`finalize` requests the final of the open utterance; the session then carries on."""
    session = make_session(model)
    feed(session, chunks(jfk(), PCM16, 0.5, end_s=2.0))
    effects = session.receive(Finalize())
    assert [(d.ticket.utterance_id, d.ticket.kind) for d in decodes(effects)] == [("caller-0", "final")]
    assert session.legs[0].open is None
    assert session.receive(Finalize()) == []
    later = feed(session, chunks(jfk(), PCM16, 0.5, start_s=2.0)) + session.receive(Stop())
    uids = [d.ticket.utterance_id for d in decodes(later, "final")]
    assert uids and "caller-0" not in uids
    assert session.stopping


def test_stop_flushes_every_leg(model: SileroModel) -> None:
    """`stop` on a two-leg call requests finals for open utterances; every request names its leg."""
    session = make_session(model, fmt=MULAW8_STEREO)
    effects = feed(session, chunks(call_en(), MULAW8_STEREO, 0.5))
    effects += session.receive(Stop())
    finals = decodes(effects, "final")
    assert {d.ticket.leg for d in finals} == {"agent", "caller"}
    assert all(d.request.leg == d.ticket.leg for d in finals)
    assert all(d.ticket.utterance_id.startswith(d.ticket.leg + "-") for d in finals)
    assert all(leg.open is None for leg in session.legs)
    assert session.receive(KeepAlive()) == []


def test_second_start_is_a_bad_message(model: SileroModel) -> None:
    """`start` sent again on a running stream is refused as BadMessage."""
    session = make_session(model)
    with pytest.raises(BadMessage):
        session.receive(session.start)


def test_finals_are_numbered_in_send_order_without_gaps(model: SileroModel) -> None:
    """Finals get seq 1, 2, 3 in the order they are sent; an empty final is skipped without a gap."""
    session = make_session(model)
    out = session.decoded(final_ticket("caller-1", 16000, 32000), result("ask not"))
    out += session.decoded(final_ticket("caller-0", 0, 16000), result(""))
    out += session.decoded(final_ticket("caller-0", 0, 16000), result("and so"))
    out += session.decoded(final_ticket("caller-2", 32000, 48000), result("what your country"))
    finals = [m for m in sent(out) if isinstance(m, Final)]
    assert [(f.seq, f.utterance_id) for f in finals] == [(1, "caller-1"), (2, "caller-0"), (3, "caller-2")]
    assert session.closed().finals == 3
    assert session.counters.finals_sent == 3


def test_resumed_call_continues_its_seq(model: SileroModel) -> None:
    """A session opened with `first_seq` (a resumed call) numbers on from it."""
    session = make_session(model, first_seq=4)
    out = session.decoded(final_ticket(), result("hello"))
    assert [m.seq for m in sent(out) if isinstance(m, Final)] == [4]
    assert session.closed().finals == 4


def test_final_times_and_words_are_on_the_leg_clock(model: SileroModel) -> None:
    """A final's times are its ticket's in seconds; word times are shifted into it and clamped inside it."""
    session = make_session(model)
    words = (WordTiming("and", 0.0, 0.4, 0.9), WordTiming("so", 0.4, 0.9, 1.2), WordTiming("more", -0.1, 3.0, 0.5))
    out = session.decoded(final_ticket(start=32000, end=48000), result("and so more", words=words))
    (final,) = sent(out)
    assert isinstance(final, Final)
    assert (final.start, final.end, final.language) == (2.0, 3.0, "en")
    assert [(w.word, w.start, w.end) for w in final.words] == [("and", 2.0, 2.4), ("so", 2.4, 2.9), ("more", 2.0, 3.0)]
    assert all(0.0 <= w.probability <= 1.0 for w in final.words)


def test_redacted_final_replaces_the_value_in_text_and_words(model: SileroModel) -> None:
    """With the real redactor (mask), a phone number in a final is replaced by [PHONE] in the text, in the
    redaction list and in the word list (its words merged into one token word), never kept anywhere."""
    session = make_session(model, text_filter=CallRedaction("en", Policy.MASK))
    spoken = "call me on 06 12345678 please"
    words = tuple(WordTiming(w, 0.1 * i, 0.1 * i + 0.1, 0.9) for i, w in enumerate(spoken.split()))
    (final,) = sent(session.decoded(final_ticket(), result(spoken, words=words)))
    assert isinstance(final, Final)
    assert "12345678" not in final.text and "[PHONE]" in final.text
    assert [final.text[r.start : r.end] for r in final.redactions] == ["[PHONE]"]
    assert [w.word for w in final.words] == ["call", "me", "on", "[PHONE]", "please"]
    assert not any(ch.isdigit() for w in final.words for ch in w.word)


# -- partials -----------------------------------------------------------------------------------------


def run_answering_partials(
    session: CallSession, frames: list[AudioChunk], text: str = "and so my fellow"
) -> list[Effect]:
    """Feed frames, answering every partial request at once (as a fast engine would)."""
    effects: list[Effect] = []
    for frame in frames:
        step = session.receive(frame)
        effects += step
        for d in decodes(step, "partial"):
            effects += session.decoded(d.ticket, result(f"{text} {d.ticket.end}"))
    return effects


def test_partials_follow_the_open_utterance(model: SileroModel) -> None:
    """Answered partial requests become Partial messages for the open utterance, with growing ends."""
    session = make_session(model)
    effects = run_answering_partials(session, chunks(jfk(), PCM16, 0.1, end_s=2.3))
    partials = [m for m in sent(effects) if isinstance(m, Partial)]
    assert len(partials) >= 2
    assert {p.utterance_id for p in partials} == {"caller-0"}
    ends = [p.end for p in partials]
    assert ends == sorted(ends) and len(set(ends)) == len(ends)
    assert all(p.start == partials[0].start for p in partials)
    assert partials[-1].stable_chars >= len("and so my fellow")
    assert session.counters.partials_sent == len(partials)


def test_one_partial_in_flight_per_leg(model: SileroModel) -> None:
    """While a leg's partial is unanswered no second partial is requested for it."""
    session = make_session(model)
    effects = feed(session, chunks(jfk(), PCM16, 0.1, end_s=2.3))
    assert len(decodes(effects, "partial")) == 1


def test_no_partials_without_interim_results(model: SileroModel) -> None:
    """`interim_results: false` means finals only."""
    session = make_session(model, interim=False)
    effects = feed(session, chunks(jfk(), PCM16, 0.5)) + session.receive(Stop())
    assert decodes(effects, "partial") == []
    assert len(decodes(effects, "final")) >= 3


def test_late_partial_after_its_final_is_dropped(model: SileroModel) -> None:
    """A partial that comes back after its utterance's final was requested is not sent."""
    session = make_session(model)
    effects = feed(session, chunks(jfk(), PCM16, 0.1, end_s=3.0))
    (partial,) = decodes(effects, "partial")
    finals = decodes(effects, "final")
    assert [d.ticket.utterance_id for d in finals] == [partial.ticket.utterance_id]
    assert session.decoded(partial.ticket, result("and so")) == []
    assert session.counters.partials_sent == 0
    out = session.decoded(finals[0].ticket, result("And so, my fellow Americans,"))
    assert [m.seq for m in sent(out) if isinstance(m, Final)] == [1]


def test_replaced_or_empty_partial_sends_nothing(model: SileroModel) -> None:
    """A partial resolved to None (replaced) or to empty text sends nothing and frees the leg."""
    session = make_session(model)
    effects = feed(session, chunks(jfk(), PCM16, 0.1, end_s=1.0))
    (partial,) = decodes(effects, "partial")
    assert session.decoded(partial.ticket, None) == []
    more = feed(session, chunks(jfk(), PCM16, 0.1, start_s=1.0, end_s=1.8))
    (second,) = decodes(more, "partial")
    assert session.decoded(second.ticket, result("")) == []
    assert session.counters.partials_sent == 0


def test_results_after_decline_are_dropped(model: SileroModel) -> None:
    """After `declined`, results still in flight produce nothing and are counted as discarded."""
    session = make_session(model)
    effects = feed(session, chunks(jfk(), PCM16, 0.1, end_s=3.0))
    (partial,) = decodes(effects, "partial")
    (final,) = decodes(effects, "final")
    session.receive(ConsentEvent("declined"))
    assert session.decoded(partial.ticket, result("and so")) == []
    assert session.decoded(final.ticket, result("And so, my fellow Americans,")) == []
    assert session.counters.discarded_results == 2
    assert session.closed().finals == 0


def test_auto_language_is_fixed_by_the_first_result(model: SileroModel) -> None:
    """With language "auto" the first result's language is used for the leg's later requests."""
    session = make_session(model, language="auto")
    effects = feed(session, chunks(jfk(), PCM16, 0.1, end_s=1.0))
    (first,) = decodes(effects, "partial")
    assert first.request.language == "auto"
    session.decoded(first.ticket, result("en zo", language="nl"))
    later = feed(session, chunks(jfk(), PCM16, 0.1, start_s=1.0)) + session.receive(Stop())
    assert decodes(later)
    assert {d.request.language for d in decodes(later)} == {"nl"}
    (final,) = sent(session.decoded(decodes(later, "final")[0].ticket, result("x", language="en")))
    assert isinstance(final, Final)
    assert session.legs[0].language == "nl"


def test_decode_requests_carry_the_utterance_audio(model: SileroModel) -> None:
    """A final request holds the utterance's 16 kHz samples, matching its ticket span and the input audio."""
    session = make_session(model, interim=False)
    effects = feed(session, chunks(jfk(), PCM16, 0.5))
    (d, *_) = decodes(effects, "final")
    assert len(d.request.audio) == d.ticket.end - d.ticket.start
    original = jfk().samples[d.ticket.start : d.ticket.end, 0].astype(np.float32) / 32768
    np.testing.assert_allclose(d.request.audio, original, atol=1e-6)
    assert d.request.call_id == "call-1"
    assert d.request.kind == "final"
