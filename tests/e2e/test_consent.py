"""Consent at the door, over a real socket: nothing said before consent, after opt-out or while paused is
transcribed, and times stay on the stream's sample clock."""

from __future__ import annotations

import re
from typing import Any

from bench.audio import Clip, concat, read_wav, silence
from bench.client import Action, CallRun, StreamOptions, stream_call
from gateway.core.session import SessionCounters
from protocol.messages import ConsentEvent, Dtmf
from tests.conftest import AUDIO, TOKEN, Gateway

A1 = AUDIO / "real" / "cmu_arctic_us_aew_a0001.wav"  # Author of the danger trail, Philip Steels, etc.
A2 = AUDIO / "real" / "cmu_arctic_us_aew_a0002.wav"  # Not at this particular case, Tom, apologized Whittemore.
A3 = AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav"  # For the twentieth time that evening the two men shook hands.
A1_WORDS = re.compile(r"author|danger|trail|philip|steel", re.I)
A2_WORDS = re.compile(r"particular|apologi|whittemore|tom\b", re.I)


def texts(run: CallRun) -> list[str]:
    return [m["text"] for m in run.partials + run.finals]


def counters(gw: Gateway, call_id: str) -> SessionCounters:
    record = gw.runtime.registry.get("tenant-a", call_id)
    assert record is not None and isinstance(record.counters, SessionCounters)
    return record.counters


def states(run: CallRun) -> list[tuple[str, Any]]:
    return [(m["state"], m["at"]) for m in run.of_type("consent")]


async def test_speech_before_granted_is_never_processed(gateway: Gateway) -> None:
    """Speech sent while pending reaches neither VAD nor the engine and appears in no partial or final;
    speech after `granted` is transcribed with times on the stream's sample clock."""
    first, second = read_wav(A1), read_wav(A3)
    granted_at = 5.0  # on a 20 ms frame boundary: the client sends control messages between frames
    clip = concat(first, silence(granted_at - first.seconds, first.rate, 1), second)
    run = await stream_call(
        gateway.url,
        TOKEN,
        clip,
        StreamOptions(
            call_id="pending-call",
            consent="pending",
            pace=0,
            actions=[Action(granted_at, ConsentEvent("granted", "ann-v3"))],
        ),
    )
    assert run.close_code == 1000
    assert states(run) == [("active", granted_at)]
    assert not any(A1_WORDS.search(t) for t in texts(run))
    assert any("hands" in f["text"].lower() for f in run.finals)
    assert all(f["start"] >= granted_at for f in run.finals)
    assert min(f["start"] for f in run.finals) < granted_at + 0.6  # A3's speech starts ~0.3 s in
    c = counters(gateway, "pending-call")
    assert c.dropped_samples == round(granted_at * clip.rate)
    assert c.vad_samples <= round((clip.seconds - granted_at) * 16000) + 512
    assert c.earliest_engine_sample is not None and c.earliest_engine_sample >= granted_at * 16000


async def test_announced_call_starts_after_the_opt_out_window(gateway: Gateway) -> None:
    """After `announced`, audio in the opt-out window (5 s by default) is dropped and transcription starts
    exactly when the window ends."""
    first, second = read_wav(A1), read_wav(A3)
    clip = concat(first, silence(5.5 - first.seconds, first.rate, 1), second)
    run = await stream_call(
        gateway.url,
        TOKEN,
        clip,
        StreamOptions(
            call_id="announced-call",
            consent="pending",
            pace=0,
            actions=[Action(0.0, ConsentEvent("announced", "ann-v3"))],
        ),
    )
    assert states(run) == [("active", 5.0)]
    assert not any(A1_WORDS.search(t) for t in texts(run))
    assert any("hands" in f["text"].lower() for f in run.finals)
    assert counters(gateway, "announced-call").dropped_samples == 5 * clip.rate


async def _opt_out(gateway: Gateway, call_id: str, message: Dtmf | ConsentEvent) -> CallRun:
    clip = read_wav(AUDIO / "real" / "jfk.wav")  # opt out at 1.5 s: mid "And so my fellow Americans"
    return await stream_call(
        gateway.url, TOKEN, clip, StreamOptions(call_id=call_id, pace=3.0, actions=[Action(1.5, message)])
    )


async def test_dtmf_opt_out_mid_utterance_yields_no_final_and_nothing_after(gateway: Gateway) -> None:
    """The opt-out digit in the middle of an utterance: no final for it, no partial or final afterwards,
    and `closed` counts zero finals."""
    run = await _opt_out(gateway, "dtmf-optout", Dtmf("9", "caller"))
    assert run.finals == []
    kinds = [m["type"] for m in (r.msg for r in run.received)]
    declined_at = kinds.index("consent")
    assert run.received[declined_at].msg["state"] == "declined"
    assert set(kinds[declined_at + 1 :]) <= {"closed"}
    assert run.of_type("closed")[0]["finals"] == 0
    assert gateway.runtime.registry.get("tenant-a", "dtmf-optout") is None  # erased, not kept for resume


async def test_declined_event_mid_utterance_yields_no_final(gateway: Gateway) -> None:
    """`consent: declined` behaves like the opt-out digit; other DTMF digits change nothing."""
    run = await _opt_out(gateway, "declined", ConsentEvent("declined"))
    assert run.finals == [] and states(run)[-1][0] == "declined"
    clip = read_wav(A3)
    other = await stream_call(
        gateway.url,
        TOKEN,
        clip,
        StreamOptions(call_id="other-digit", pace=0, actions=[Action(0.5, Dtmf("5", "caller"))]),
    )
    assert any("hands" in f["text"].lower() for f in other.finals)


async def test_pause_drops_exactly_the_paused_span(gateway: Gateway) -> None:
    """Speech before `paused` and after `resumed` is transcribed; the paused sentence never appears and
    exactly its samples are dropped."""
    a1, a2, a3 = read_wav(A1), read_wav(A2), read_wav(A3)
    clip: Clip = concat(a1, a2, a3)
    run = await stream_call(
        gateway.url,
        TOKEN,
        clip,
        StreamOptions(
            call_id="paused-call",
            pace=0,
            actions=[
                Action(a1.seconds, ConsentEvent("paused")),
                Action(a1.seconds + a2.seconds, ConsentEvent("resumed")),
            ],
        ),
    )
    finals = " ".join(f["text"] for f in run.finals).lower()
    assert "danger" in finals and "hands" in finals
    assert not any(A2_WORDS.search(t) for t in texts(run))
    assert [s for s, _ in states(run)] == ["paused", "active"]
    c = counters(gateway, "paused-call")
    assert abs(c.dropped_samples - round(a2.seconds * clip.rate)) <= clip.rate * 0.02 + 1
