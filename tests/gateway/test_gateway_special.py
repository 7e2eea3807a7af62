"""Special categories (GDPR art. 9) acted on per policy: flag, mask, stop, off.

Session-level tests run real speech (JFK) through the real VAD and answer the session's Decode effects
with scripted results; one test runs the policy over a real socket with a scripted engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Sequence

import pytest
import websockets

from asr.testing import FakeTranscriber
from asr.types import DecodeRequest, DecodeResult, WordTiming
from gateway.core.effects import Effect
from gateway.core.redaction import CallRedaction, sentences
from gateway.core.session import CallSession
from privacy import Policy
from protocol.messages import ConsentEvent, ConsentState, Final, Partial, PrivacyEvent, SpecialPolicy, Stop
from tests.conftest import TOKEN, Gateway, make_config, start_gateway
from tests.gateway.test_gateway_session import (
    PCM16,
    RATE16,
    chunks,
    decodes,
    feed,
    final_ticket,
    jfk,
    make_session,
    result,
    sent,
)
from vad.silero import SileroModel

SPOKEN = "Hello, my name is Jan de Vries. I was diagnosed with diabetes last year. Can you help?"
HEALTH = "I was diagnosed with diabetes last year"


def words_of(text: str) -> tuple[WordTiming, ...]:
    return tuple(WordTiming(f" {w}", 0.5 * i, 0.5 * i + 0.4, 0.9) for i, w in enumerate(text.split()))


def session_with(model: SileroModel, special: SpecialPolicy) -> CallSession:
    return make_session(model, text_filter=CallRedaction("en", Policy.MASK, special))


def final_of(effects: list[Effect]) -> Final:
    (final,) = [m for m in sent(effects) if isinstance(m, Final)]
    return final


@pytest.fixture
def model(vad_model: SileroModel) -> SileroModel:
    return vad_model


def test_flag_names_the_category_and_keeps_the_text(model: SileroModel) -> None:
    """`flag`: the final carries `special: ("health",)`, its text and words are only PII-redacted."""
    session = session_with(model, "flag")
    final = final_of(session.decoded(final_ticket(), result(SPOKEN, words=words_of(SPOKEN))))
    assert final.special == ("health",)
    assert HEALTH in final.text and "[NAME]" in final.text
    assert [r.kind for r in final.redactions] == ["name"]
    assert any("diabetes" in w.word for w in final.words)
    assert not session.halted


def test_mask_replaces_the_sentence_in_text_words_and_redactions(model: SileroModel) -> None:
    """`mask`: the sentence with the mention becomes `[SPECIAL:health]` in the text, one merged word over
    its times and a `special` redaction; the rest of the final is untouched, and the call goes on."""
    session = session_with(model, "mask")
    ticket = final_ticket(end=10 * RATE16)
    final = final_of(session.decoded(ticket, result(SPOKEN, words=words_of(SPOKEN))))
    assert final.text == "Hello, my name is [NAME]. [SPECIAL:health]. Can you help?"
    assert [(r.kind, final.text[r.start : r.end]) for r in final.redactions] == [
        ("name", "[NAME]"),
        ("special", "[SPECIAL:health]"),
    ]
    assert final.special == ("health",)
    token = next(w for w in final.words if w.word == "[SPECIAL:health]")
    first = 7  # words of "Hello, my name is Jan de Vries."
    assert (token.start, token.end) == (0.5 * first, 0.5 * (first + len(HEALTH.split()) - 1) + 0.4)
    assert [w.word.strip() for w in final.words] == [
        "Hello,",
        "my",
        "name",
        "is",
        "[NAME]",
        "[SPECIAL:health]",
        "Can",
        "you",
        "help?",
    ]
    assert not any("diabet" in w.word or "diagnosed" in w.word for w in final.words)
    assert not session.halted


@pytest.mark.parametrize(("special", "masked"), [("flag", False), ("mask", True), ("stop", True)])
def test_partials_mask_the_sentence_under_mask_and_stop(
    model: SileroModel, special: SpecialPolicy, masked: bool
) -> None:
    """A partial holding a mention shows `[SPECIAL:health]` from the mention's sentence to its end under
    `mask` and `stop` (never the words: a partial's full stops are not settled, see
    test_a_partial_masks_everything_after_a_special_mention_whatever_its_full_stops), and is unchanged under
    `flag`; partials never stop the call."""
    session = session_with(model, special)
    effects: list[Effect] = []
    for frame in chunks(jfk(), PCM16, 0.1, end_s=2.3):
        step = session.receive(frame)
        effects += step
        for d in decodes(step, "partial"):
            effects += session.decoded(d.ticket, result(f"My wife has cancer. And so my fellow {d.ticket.end}"))
    partials = [m for m in sent(effects) if isinstance(m, Partial)]
    assert partials
    for p in partials:
        assert (p.text == "[SPECIAL:health]") is masked, p.text
        assert ("cancer" in p.text) is not masked, p.text
    assert not session.halted and not any(isinstance(m, PrivacyEvent) for m in sent(effects))


def test_stop_masks_the_final_then_transcribes_nothing_more(model: SileroModel) -> None:
    """`stop`: the final with the mention is sent masked, then a privacy event; the open utterance is
    discarded, results in flight are dropped, and all later audio is dropped at the door (also after a
    pause and resume), so nothing more is decoded or sent but consent states and `closed`."""
    session = session_with(model, "stop")
    effects = feed(session, chunks(jfk(), PCM16, 0.1, end_s=6.0))
    first_final = decodes(effects, "final")[0]
    assert session.legs[0].open is not None, "the third utterance is open at 6 s"
    in_flight = decodes(effects, "partial")[-1]
    out = session.decoded(first_final.ticket, result(SPOKEN, words=words_of(SPOKEN)))
    final, event = sent(out)
    assert isinstance(final, Final) and "[SPECIAL:health]" in final.text and "diabetes" not in final.text
    assert event == PrivacyEvent("special_category_stop", "health", 6.0)
    assert session.halted and session.legs[0].open is None
    assert session.decoded(in_flight.ticket, result("and so my fellow")) == []
    vad_before, dropped_before = session.counters.vad_samples, session.counters.dropped_samples
    later = feed(session, chunks(jfk(), PCM16, 0.1, start_s=6.0, end_s=8.0))
    later += session.receive(ConsentEvent("paused")) + session.receive(ConsentEvent("resumed"))
    later += feed(session, chunks(jfk(), PCM16, 0.1, start_s=8.0)) + session.receive(Stop())
    assert sent(later) == [ConsentState("paused", 8.0), ConsentState("active", 8.0)]
    assert decodes(later) == []
    assert session.counters.vad_samples == vad_before
    assert session.counters.dropped_samples == dropped_before + len(jfk().samples) - 6 * RATE16
    assert session.counters.special_stops == 1
    assert session.closed().finals == 1


def test_stop_without_a_mention_changes_nothing(model: SileroModel) -> None:
    """`stop` acts only on a mention: an ordinary final is sent as is and the call carries on."""
    session = session_with(model, "stop")
    final = final_of(session.decoded(final_ticket(), result("I am sick of waiting, can you help?")))
    assert final.special == () and final.text == "I am sick of waiting, can you help?"
    assert not session.halted
    later = feed(session, chunks(jfk(), PCM16, 0.5)) + session.receive(Stop())
    assert decodes(later, "final")


def test_off_looks_for_nothing(model: SileroModel) -> None:
    """`off`: no categories are named and nothing but PII is replaced."""
    session = session_with(model, "off")
    final = final_of(session.decoded(final_ticket(), result(SPOKEN)))
    assert final.special == () and HEALTH in final.text
    assert [r.kind for r in final.redactions] == ["name"]


def test_sentences_end_at_terminators_but_not_after_titles() -> None:
    """Sentence spans leave out leading spaces and the closing mark; "Mr." or "Dr." ends no sentence."""
    text = "Dr. Jansen says I have asthma! Really?  Yes"
    assert [text[a:b] for a, b in sentences(text)] == ["Dr. Jansen says I have asthma", "Really", "Yes"]


# -- over a real socket ---------------------------------------------------------------------------------


class ScriptedEngine(FakeTranscriber):
    """Says the same health-related sentence for every request."""

    def transcribe_batch(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        self.batches.append(list(requests))
        return [DecodeResult("I was diagnosed with diabetes.", "en") for _ in requests]


@pytest.fixture
async def scripted_gw(vad_model: SileroModel) -> AsyncIterator[Gateway]:
    engines = {"tiny.en": ScriptedEngine("tiny.en"), "base": ScriptedEngine("base")}
    gateway, task = await start_gateway(
        make_config(special_categories="mask"),
        engines,  # type: ignore[arg-type]
        vad_model,
    )
    yield gateway
    gateway.server.should_exit = True
    await task


async def run_call(
    gw: Gateway, call_id: str, drop_after: str | None = None, **start: object
) -> list[dict[str, object]]:
    """One call over the socket; with `drop_after` the client leaves without `stop` once that message came."""
    pcm = jfk().samples.tobytes()
    msg = {
        "type": "start",
        "call_id": call_id,
        "consent": "granted",
        "language": "en",
        "audio": {"encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1},
        **start,
    }
    async with websockets.connect(gw.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}) as ws:
        await ws.send(json.dumps(msg))
        for i in range(0, len(pcm), 6400):
            await ws.send(pcm[i : i + 6400])
        if drop_after is not None:
            dropped: list[dict[str, object]] = []
            async for frame in ws:
                dropped.append(json.loads(frame))
                if dropped[-1]["type"] == drop_after:
                    return dropped
        got: list[dict[str, object]] = []
        with contextlib.suppress(websockets.ConnectionClosed):  # an error closes with its own code
            await ws.send(json.dumps({"type": "stop"}))
            async for frame in ws:
                got.append(json.loads(frame))
        return got


async def test_policy_per_call_over_the_wire(scripted_gw: Gateway) -> None:
    """The deployment default (`mask`) masks every final; `start.special_categories: "stop"` sends one
    masked final, then `{"type": "privacy", "event": "special_category_stop"}` and nothing more."""
    default = await run_call(scripted_gw, "masked")
    finals = [m for m in default if m["type"] == "final"]
    assert len(finals) >= 3
    assert all(f["text"] == "[SPECIAL:health]." and f["special"] == ["health"] for f in finals)
    assert not any(m["type"] == "privacy" for m in default)
    stopped = await run_call(scripted_gw, "stopped", special_categories="stop")
    kinds = [m["type"] for m in stopped if m["type"] != "partial"]
    assert kinds == ["ready", "final", "privacy", "closed"]
    event = next(m for m in stopped if m["type"] == "privacy")
    assert event["event"] == "special_category_stop" and event["category"] == "health"
    assert isinstance(event["at"], float) and 0 < event["at"] <= 11.0
    assert all("diabetes" not in str(m.get("text", "")) for m in stopped)


async def test_a_stopped_call_stays_stopped_after_a_reconnect(scripted_gw: Gateway) -> None:
    """Resuming a dropped call after a special-category stop does not restart transcription: the second
    connection produces no final; after a normal end the call_id is refused outright."""
    first = await run_call(scripted_gw, "stop-then-reconnect", drop_after="privacy", special_categories="stop")
    assert any(m["type"] == "privacy" for m in first)
    record = scripted_gw.runtime.registry.get("tenant-a", "stop-then-reconnect")
    for _ in range(500):  # the server notices the drop (bounded wait)
        if record is None or not record.live:
            break
        await asyncio.sleep(0.01)
    again = await run_call(scripted_gw, "stop-then-reconnect", special_categories="stop", resume_from=1)
    assert [m["type"] for m in again if m["type"] not in ("partial",)] == ["ready", "closed"]
    ended = await run_call(scripted_gw, "stop-then-reconnect", special_categories="stop")
    assert [m["type"] for m in ended] == ["error"] and ended[0]["code"] == "bad_message"
