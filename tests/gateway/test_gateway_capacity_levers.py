"""The capacity levers' pure parts and their shells: deferred VAD batched across calls (same events as VAD
inside `receive`, same order around control messages), the partial cadence under load, the stage clock,
the engine's thread split and the scheduler's auto in-flight count (real silero, real sessions)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from asr.batching import BatcherConfig
from asr.config import thread_split
from asr.scheduler import Scheduler
from asr.testing import FakeTranscriber
from asr.types import DecodeRequest, DecodeResult
from bench.audio import read_wav
from gateway.core.effects import Decode, Effect, Send
from gateway.core.load import PartialCadence
from gateway.core.session import CallSession
from gateway.core.session_config import SessionConfig
from gateway.core.stages import StageClock
from gateway.runtime import Runtime
from gateway.vad_pump import VadPump
from protocol.messages import AudioChunk, AudioFormat, ConsentEvent, Final, Finalize, SpeechStarted, Start, Stop
from store.backlog import WriteBacklog
from tests.conftest import AUDIO
from tests.gateway.test_gateway_session import chunks
from vad.config import VadConfig
from vad.endpointer import LegEndpointer, push_many
from vad.silero import SileroModel

MULAW = AudioFormat("mulaw", 8000, 2)
CALL = AUDIO / "synthetic" / "synthetic_call_en.wav"


def two_leg(
    model: SileroModel,
    call_id: str,
    deferred: list[CallSession] | None,
    consent: str = "granted",
    config: SessionConfig | None = None,
) -> CallSession:
    start = Start(call_id, MULAW, ("agent", "caller"), "en", consent=consent, vad_events=True)  # type: ignore[arg-type]
    pending = deferred.append if deferred is not None else None
    endpointer = lambda: LegEndpointer(model, VadConfig())  # noqa: E731
    return CallSession(start, config or SessionConfig(), endpointer, vad_pending=pending)


def shape(effects: Sequence[Effect]) -> list[tuple[object, ...]]:
    """What VAD decided, comparable across runs: speech starts and decode requests with their spans."""
    out: list[tuple[object, ...]] = []
    for e in effects:
        if isinstance(e, Decode):
            out.append((e.ticket.leg, e.ticket.kind, e.ticket.start, e.ticket.end))
        elif isinstance(e, Send) and isinstance(e.message, SpeechStarted):
            out.append((e.message.leg, "speech_started", e.message.at))
    return out


def frames(seconds: float = 0.02) -> list[AudioChunk]:
    clip = read_wav(CALL)
    return chunks(clip, MULAW, seconds)


def pump_by_hand(waiting: list[CallSession]) -> dict[int, list[Effect]]:
    """What `VadPump._run` does, without an event loop: one push_many over every waiting session's legs."""
    out: dict[int, list[Effect]] = {}
    while waiting:
        batch = [(s, s.vad_jobs()) for s in dict.fromkeys(waiting)]
        waiting.clear()
        jobs = [j for _, js in batch for j in js]
        if not jobs:
            break
        events = push_many([(j.endpointer, j.audio, j.start) for j in jobs])
        at = 0
        for s, js in batch:
            out.setdefault(id(s), []).extend(s.vad_done(js, events[at : at + len(js)]))
            at += len(js)
    return out


def test_deferred_vad_batched_across_calls_decides_exactly_as_inline_vad(vad_model: SileroModel) -> None:
    """Two calls whose frames are scored together (4 legs per onnxruntime run) request the same finals and
    partials, over the same spans, as each call scoring its own frames inside `receive`."""
    inline = [two_leg(vad_model, f"inline-{i}", None) for i in range(2)]
    waiting: list[CallSession] = []
    deferred = [two_leg(vad_model, f"deferred-{i}", waiting) for i in range(2)]
    got_inline: list[list[Effect]] = [[], []]
    got_deferred: list[list[Effect]] = [[], []]
    for frame in frames():
        for i in range(2):
            got_inline[i] += inline[i].receive(frame)
            assert deferred[i].receive(frame) == []  # scored later, with the other call's legs
        assert len(set(map(id, waiting))) == 2
        done = pump_by_hand(waiting)
        for i in range(2):
            got_deferred[i] += done.get(id(deferred[i]), [])
    for i in range(2):
        got_inline[i] += inline[i].receive(Stop())
        got_deferred[i] += deferred[i].receive(Stop())
        assert shape(got_deferred[i]) == shape(got_inline[i])
        assert sum(1 for e in got_inline[i] if isinstance(e, Decode) and e.ticket.kind == "final") >= 4
    assert deferred[0].counters.vad_samples == inline[0].counters.vad_samples > 0


def test_a_finalize_settles_the_audio_still_waiting_for_vad_first(vad_model: SileroModel) -> None:
    """Audio that is waiting for the pump when `finalize` arrives is scored before the flush: the final
    covers it, exactly as without deferral."""
    waiting: list[CallSession] = []
    deferred = two_leg(vad_model, "d", waiting)
    inline = two_leg(vad_model, "i", None)
    head = frames()[:150]  # 3 s: the agent is speaking
    got_inline: list[Effect] = []
    for i, frame in enumerate(head):
        got_inline += inline.receive(frame)
        assert deferred.receive(frame) == []
        if i < len(head) - 8:  # the pump runs after each frame but the last 8 (160 ms)
            pump_by_hand(waiting)
    assert deferred.vad_waiting  # the last frames are not scored yet: the session settles them first
    got_deferred = deferred.receive(Finalize())
    got_inline += inline.receive(Finalize())
    finals = [s for s in shape(got_deferred) if s[1] == "final"]
    assert finals and finals == [s for s in shape(got_inline) if s[1] == "final"]
    assert not deferred.vad_waiting


def test_declined_drops_audio_waiting_for_vad(vad_model: SileroModel) -> None:
    """A decline settles what came before it and then discards every open utterance: no final is asked
    for, and the pump finds nothing left to score."""
    waiting: list[CallSession] = []
    session = two_leg(vad_model, "x", waiting)
    for frame in frames()[:150]:
        session.receive(frame)
    effects = session.receive(ConsentEvent("declined"))  # type: ignore[arg-type]
    assert not [e for e in effects if isinstance(e, Decode) and e.ticket.kind == "final"]
    assert session.vad_jobs() == []


async def test_the_pump_scores_every_call_of_one_loop_turn_in_one_run(vad_model: SileroModel) -> None:
    """Frames of three calls handled in the same turn of the event loop go to onnxruntime together."""
    stages = StageClock()
    pump = VadPump(stages)
    delivered: list[str] = []
    sessions: list[CallSession] = []
    for i in range(3):
        start = Start(f"c{i}", MULAW, ("agent", "caller"), "en", consent="granted")  # type: ignore[arg-type]

        def apply(effects: list[Effect], key: str = f"c{i}") -> None:
            delivered.append(key)

        s = CallSession(
            start,
            SessionConfig(),
            lambda: LegEndpointer(vad_model, VadConfig()),
            vad_pending=lambda sess, apply=apply: pump.want(sess, apply),
        )
        sessions.append(s)
    for s in sessions:
        for frame in frames(0.04)[:4]:  # 160 ms each, all in this turn of the loop
            s.receive(frame)
    assert pump.runs == 0
    await asyncio.sleep(0)  # one turn of the loop
    assert (pump.runs, pump.jobs) == (1, 6)
    assert stages.counts["vad_pump"] == 1
    assert all(not s.vad_waiting for s in sessions)
    assert sorted(delivered) == ["c0", "c1", "c2"]  # each call's effects went to its own driver, once


def test_a_burst_without_a_loop_turn_is_scored_inside_receive(vad_model: SileroModel) -> None:
    """A deferred session never holds more than 0.2 s of a leg: a burst of frames with no turn of the loop
    in between (a client far ahead of real time) is scored by the session itself."""
    waiting: list[CallSession] = []
    session = two_leg(vad_model, "burst", waiting)
    for frame in frames()[:11]:  # 11 x 20 ms
        session.receive(frame)
    assert not session.vad_waiting or sum(len(a) for leg in session.legs for a, _ in leg.vad_pending) < 2 * 3200


def test_partial_cadence_stretches_with_measured_lag_and_recovers() -> None:
    cadence = PartialCadence(base_s=0.5, target_lag_s=0.3, max_s=2.0, weight=1.0)
    assert cadence.interval() == 0.5  # nothing measured yet
    cadence.observe(0.2)
    assert cadence.interval() == 0.5  # within the target
    cadence.observe(0.6)
    assert cadence.interval() == pytest.approx(1.0)  # twice the target: twice the interval
    cadence.observe(5.0)
    assert cadence.interval() == 2.0  # capped
    cadence.observe(0.1)
    assert cadence.interval() == 0.5
    smooth = PartialCadence(0.5, 0.3, 2.0, weight=0.2)
    smooth.observe(0.3)
    smooth.observe(1.3)
    assert smooth.mean_lag_s == pytest.approx(0.5)
    with pytest.raises(ValueError, match="max_s"):
        PartialCadence(0.5, 0.3, 0.4)


def test_the_first_partial_waits_in_proportion_when_the_cadence_stretches(vad_model: SileroModel) -> None:
    """Under load the cadence stretches the first partial of an utterance like the others: with the interval
    at 4x its base the first partial asks for 4x `first_partial_s` of audio, so a short turn gets none."""

    def first_partials(interval: float) -> list[float]:
        start = Start("c", MULAW, ("agent", "caller"), "en", consent="granted")  # type: ignore[arg-type]
        session = CallSession(
            start, SessionConfig(), lambda: LegEndpointer(vad_model, VadConfig()), partial_interval=lambda: interval
        )
        effects = [e for frame in frames() for e in session.receive(frame)]  # no results: one partial each
        return [
            (e.ticket.end - e.ticket.start) / 16000
            for e in effects
            if isinstance(e, Decode) and e.ticket.kind == "partial"
        ]

    base, stretched = first_partials(0.5), first_partials(2.0)
    assert base and all(0.6 <= s < 0.7 for s in base)
    assert stretched and all(2.4 <= s < 2.5 for s in stretched)
    assert len(stretched) < len(base)


def test_session_config_rejects_a_max_interval_below_the_base() -> None:
    with pytest.raises(ValueError, match="partial_max_interval_s"):
        SessionConfig(partial_interval_s=1.0, partial_max_interval_s=0.5)


def test_stage_clock_sums_seconds_and_engine_timings() -> None:
    now = iter([1.0, 1.25, 2.0, 2.5])
    clock = StageClock(clock=lambda: next(now))
    with clock.timed("vad"):
        pass
    with clock.timed("vad"):
        pass
    clock.add_engine_timings({"features": 0.1, "encode": 0.2, "fallback_tries": 3.0, "align": 0.05})
    assert clock.seconds["vad"] == pytest.approx(0.75) and clock.counts["vad"] == 2
    assert clock.seconds["engine_encode"] == pytest.approx(0.2)
    assert clock.seconds["engine_align"] == pytest.approx(0.05)
    assert clock.counts["engine_generate"] == 0
    with pytest.raises(KeyError):
        clock.add("nonsense", 1.0)


@pytest.mark.parametrize(
    ("workers", "threads", "device", "cores", "expected"),
    [
        (0, 0, "cpu", 2, (2, 1)),  # the 2-core machine: two single-threaded workers
        (0, 0, "cpu", 16, (4, 4)),
        (0, 0, "cpu", 1, (1, 1)),
        (1, 0, "cpu", 2, (1, 2)),  # the old shape: one worker on every core
        (3, 2, "cpu", 2, (3, 2)),  # explicit settings win
        (0, 0, "cuda", 16, (1, 1)),
    ],
)
def test_thread_split(workers: int, threads: int, device: str, cores: int, expected: tuple[int, int]) -> None:
    assert thread_split(workers, threads, device, cores) == expected


class _TwoWorkers(FakeTranscriber):
    workers = 2


async def test_scheduler_keeps_as_many_batches_in_flight_as_the_engine_has_workers() -> None:
    """max_inflight 0 (auto) = the engine's workers: with the first batch held at the gate, a second batch
    of another leg's final still reaches the engine."""
    gate = threading.Event()
    engine = _TwoWorkers("tiny.en", gate=gate)
    scheduler = Scheduler({"tiny.en": engine}, BatcherConfig())
    assert scheduler.max_inflight == 2
    assert Scheduler({"x": FakeTranscriber("x")}, BatcherConfig()).max_inflight == 1
    scheduler.start()
    audio = np.zeros(8000, dtype=np.float32)
    first = scheduler.submit("tiny.en", DecodeRequest("a", "caller", "final", audio, "en"))
    await asyncio.sleep(0.05)
    second = scheduler.submit("tiny.en", DecodeRequest("b", "caller", "final", audio, "en"))
    for _ in range(100):
        if len(engine.batches) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(engine.batches) == 2  # both batches on the engine at once
    gate.set()
    results: list[DecodeResult | None] = list(await asyncio.gather(first, second))
    assert all(r is not None for r in results)
    await scheduler.aclose()


def test_store_backlog_is_not_degraded_while_a_write_is_being_applied() -> None:
    """A call arriving while another call's write is being applied must not be refused `store_degraded`:
    only a failed write that waits for the database makes the store degraded."""
    entered, release = threading.Event(), threading.Event()
    failing = [False]

    def apply(cmd: str) -> None:
        if failing[0]:
            raise OSError(28, "No space left on device")
        entered.set()
        release.wait(5)

    backlog: WriteBacklog[str] = WriteBacklog(apply)
    writer = threading.Thread(target=backlog.post, args=("consent",))
    writer.start()
    assert entered.wait(5)
    assert not backlog.degraded  # a write in progress, nothing failed
    release.set()
    writer.join(5)
    failing[0] = True
    backlog.post("final")
    assert backlog.degraded  # the disk is full: the write waits
    failing[0] = False
    backlog.retry()
    assert not backlog.degraded


def test_a_legs_finals_leave_in_utterance_order_whichever_batch_finishes_first(vad_model: SileroModel) -> None:
    """With two batches on the engine at once a later utterance can be decoded first: its final waits for
    the earlier one's, so seq and utterance order agree; a failed earlier final releases the later one."""
    session = two_leg(vad_model, "order", None, config=SessionConfig(context_s=0))  # no final waits for context
    effects: list[Effect] = []
    for frame in frames():
        effects += session.receive(frame)
    effects += session.receive(Stop())
    agent = [e for e in effects if isinstance(e, Decode) and e.ticket.kind == "final" and e.ticket.leg == "agent"]
    assert len(agent) >= 3
    first, second, third = agent[:3]
    assert session.decoded(third.ticket, DecodeResult("third", "en")) == []  # waits for the earlier two
    assert session.decoded(second.ticket, None) == []  # failed (the client got `internal`); first not back
    out = session.decoded(first.ticket, DecodeResult("first", "en"))
    texts = [(e.message.seq, e.message.text) for e in out if isinstance(e, Send) and isinstance(e.message, Final)]
    assert texts == [(1, "first"), (2, "third")]


def test_a_word_the_text_does_not_hold_is_masked_with_the_next_redaction() -> None:
    """Word timings come from alignment; should one not appear in the final's text as such (tokenised
    differently), it must not carry what the text masks: it takes the next redaction's token."""
    from gateway.core.redaction import CallRedaction
    from privacy import Policy
    from protocol.messages import Word

    text = "My account is NL13BUNQ0630806836."
    words = (
        Word("My", 0.0, 0.2, 0.9),
        Word("account", 0.2, 0.6, 0.9),
        Word("is", 0.6, 0.7, 0.9),
        Word("NL13 BUNQ", 0.7, 1.2, 0.9),  # not in the text as such
        Word("0630806836.", 1.2, 2.0, 0.9),
    )
    out = CallRedaction("en", Policy.MASK).final(text, words)
    assert out.text == "My account is [IBAN]."
    assert [w.word for w in out.words] == ["My", "account", "is", "[IBAN]"]
    assert not any("BUNQ" in w.word or "0630" in w.word for w in out.words)


def test_the_fallback_budget_bounds_the_temperatures_a_batch_tries() -> None:
    """Every final fails the guard here (compression-ratio threshold 0.1); without a budget all five
    temperatures are tried, with a budget already spent after the first only that one is."""
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine

    clip = read_wav(AUDIO / "real" / "jfk.wav")
    audio = (clip.samples[: 16000 * 4, 0].astype(np.float32) / 32768).astype(np.float32)
    request = DecodeRequest("c", "caller", "final", audio, "en")
    tries = {}
    for budget in (0.0, 1e-6):
        config = EngineConfig(model="tiny.en", cpu_threads=1, compression_ratio_threshold=0.1, fallback_budget_s=budget)
        (result,) = WhisperEngine(config).transcribe_batch([request])
        tries[budget] = result.timings["fallback_tries"]
        assert result.text  # the best candidate is kept either way
    assert tries == {0.0: 5.0, 1e-6: 1.0}


async def test_with_two_workers_partials_never_hold_both() -> None:
    """Partials (and file work) take at most all workers but one: with a partial batch on the engine, a
    second leg's partial waits, and a final arriving meanwhile starts at once on the free worker."""
    gate = threading.Event()
    engine = _TwoWorkers("tiny.en", gate=gate)
    scheduler = Scheduler({"tiny.en": engine}, BatcherConfig())
    scheduler.start()
    audio = np.zeros(8000, dtype=np.float32)
    first = scheduler.submit("tiny.en", DecodeRequest("a", "caller", "partial", audio, "en"))
    await asyncio.sleep(0.05)
    second = scheduler.submit("tiny.en", DecodeRequest("b", "caller", "partial", audio, "en"))
    await asyncio.sleep(0.1)
    assert [[r.kind for r in b] for b in engine.batches] == [["partial"]]  # the second partial waits
    final = scheduler.submit("tiny.en", DecodeRequest("c", "caller", "final", audio, "en"))
    for _ in range(100):
        if len(engine.batches) == 2:
            break
        await asyncio.sleep(0.01)
    assert [[r.kind for r in b] for b in engine.batches] == [["partial"], ["final"]]
    gate.set()
    await asyncio.gather(first, second, final)
    assert [r.call_id for b in engine.batches for r in b] == ["a", "c", "b"]
    await scheduler.aclose()


def test_a_missing_ray_cluster_is_one_clear_line_not_a_traceback() -> None:
    """`--remote-backend ray` with no Ray cluster (or no Serve app on it): exit 2 and one line naming what
    is missing."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    proc = subprocess.run(
        [sys.executable, "-m", "gateway", "--remote-backend", "ray", "--port", "0", "--token", "t" * 24 + ":t"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    # no cluster on this machine, or (while another test holds one) a cluster without the Serve app
    assert last.startswith("callscribe: ") and ("no Ray cluster there" in last or "no Ray Serve app" in last), last


def test_a_partial_masks_everything_after_a_special_mention_whatever_its_full_stops() -> None:
    """Seen with the real model: a partial "… diagnosed with diabetes last. year and doctor changed my"
    (a full stop Whisper takes back later). The final masks the mention's sentence; a partial masks from
    that sentence to its end, so the words after a mid-sentence full stop do not show in clear."""
    from gateway.core.redaction import CallRedaction
    from privacy import Policy

    redaction = CallRedaction("en", Policy.MASK, "mask")
    partial = redaction.partial("Hello. I was diagnosed with diabetes last. year and my doctor changed my")
    assert partial == "Hello. [SPECIAL:health]"
    final = redaction.final("Hello. I was diagnosed with diabetes. Can you help?", ())
    assert final.text == "Hello. [SPECIAL:health]. Can you help?"


def test_admission_at_a_latency_target_refuses_while_the_running_calls_are_slow(vad_model: SileroModel) -> None:
    """With `limits.max_final_p95_s`, a new call is refused (`latency`) while the p95 of the finals sent
    in the last 10 s is above it, and admitted again once they are fast (or old)."""
    import dataclasses

    from gateway.limits import LimitsConfig
    from protocol.errors import Overloaded
    from tests.conftest import make_config

    now = [100.0]
    config = make_config(multilingual_model=None)
    config = dataclasses.replace(config, limits=dataclasses.replace(LimitsConfig(), max_final_p95_s=0.7))
    rt = Runtime(config, {"tiny.en": FakeTranscriber("tiny.en")}, vad_model)
    rt.telemetry.clock = lambda: now[0]
    assert rt.admission_refusal() is None  # nothing measured yet
    for _ in range(12):
        rt.telemetry.load.observe_final(now[0], 0.3)
    assert rt.admission_refusal() is None
    for _ in range(3):
        rt.telemetry.load.observe_final(now[0], 1.5)  # 3 of 15 slow: the p95 is slow
    refusal = rt.admission_refusal()
    assert isinstance(refusal, Overloaded) and rt.refusals == {"latency": 1}
    now[0] += 11  # those finals left the window
    assert rt.admission_refusal() is None
