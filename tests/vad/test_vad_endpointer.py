"""LegEndpointer: the real model, real audio, the leg clock, gaps, discard and memory bounds."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from vadkit import RATE, Audio, call_channel, call_turns, jfk, model

from vad import (
    WINDOW,
    LegEndpointer,
    SileroModel,
    TimelineError,
    UtteranceEnded,
    UtterancePaused,
    UtteranceStarted,
    VadConfig,
    VadEvent,
    push_many,
)


def stream_file(audio: Audio, chunk: int, offset: int = 0, config: VadConfig | None = None) -> list[VadEvent]:
    """Push `audio` in chunks of `chunk` samples starting at leg sample `offset`, then flush."""
    leg = LegEndpointer(model(), config or VadConfig())
    events: list[VadEvent] = []
    for i in range(0, len(audio), chunk):
        events += leg.push(audio[i : i + chunk], offset + i)
    return events + leg.flush()


def ended(events: list[VadEvent]) -> list[UtteranceEnded]:
    return [e for e in events if isinstance(e, UtteranceEnded)]


def test_jfk_speech_is_covered_and_audio_is_exact() -> None:
    """On real speech every confidently-voiced window lies inside an utterance whose audio is the source."""
    audio = jfk()
    utterances = ended(stream_file(audio, 320))
    assert 3 <= len(utterances) <= 6
    assert utterances[0].start < 0.5 * RATE
    assert utterances[-1].end > 10.0 * RATE
    probs = model().new_stream().process(audio)
    for i in np.flatnonzero(probs > 0.9):
        assert any(u.start <= i * WINDOW and (i + 1) * WINDOW <= u.end for u in utterances)
    for u in utterances:
        np.testing.assert_array_equal(u.audio, audio[u.start : u.end])


def test_events_pair_up_with_increasing_indices() -> None:
    """Each UtteranceStarted is followed by the UtteranceEnded of the same index and start, in order."""
    events = stream_file(jfk(), 320)
    starts = [e for e in events if isinstance(e, UtteranceStarted)]
    ends = ended(events)
    assert [s.index for s in starts] == list(range(len(starts)))
    assert [(s.index, s.start) for s in starts] == [(e.index, e.start) for e in ends]
    kinds = [type(e) for e in events if not isinstance(e, UtterancePaused)]
    assert kinds == [UtteranceStarted, UtteranceEnded] * len(starts)


def test_silence_and_low_noise_yield_no_utterance_and_little_memory() -> None:
    """Digital silence and -50 dBFS white noise produce no event, and the leg keeps only the pre-roll."""
    noise = np.random.default_rng(7).normal(0.0, 0.003, RATE * 5).astype(np.float32)
    audio = np.concatenate([np.zeros(RATE * 5, np.float32), noise])
    leg = LegEndpointer(model(), VadConfig())
    events: list[VadEvent] = []
    for i in range(0, len(audio), 320):
        events += leg.push(audio[i : i + 320], i)
    assert events + leg.flush() == []
    assert leg.windows == len(audio) // WINDOW
    assert leg.current_audio() is None
    assert leg.buffered_samples <= 0.2 * RATE + WINDOW


@pytest.mark.parametrize(("channel", "name"), [(0, "left"), (1, "right")])
def test_synthetic_call_utterances_line_up_with_turns(channel: int, name: str) -> None:
    """Per channel, each turn is covered by utterances starting and ending within 0.3 s of it."""
    utterances = ended(stream_file(call_channel(channel), 160))
    turns = call_turns(name)
    assert turns
    for t0, t1 in turns:
        inside = [u for u in utterances if u.start / RATE < t1 and u.end / RATE > t0]
        assert inside, f"turn {t0}-{t1} has no utterance"
        assert abs(inside[0].start / RATE - t0) <= 0.3
        assert abs(inside[-1].end / RATE - t1) <= 0.3
    for u in utterances:  # nothing on this channel outside its own turns
        assert any(u.start / RATE < t1 + 0.3 and u.end / RATE > t0 - 0.3 for t0, t1 in turns)


def test_small_and_large_chunks_give_the_same_utterances() -> None:
    """20 ms chunks and 1 s chunks produce identical events and audio."""
    small, large = stream_file(jfk(), 320), stream_file(jfk(), RATE)
    assert [(type(e), e.index, e.start) for e in small] == [(type(e), e.index, e.start) for e in large]
    for a, b in zip(ended(small), ended(large), strict=True):
        assert (a.end, a.reason) == (b.end, b.reason)
        np.testing.assert_array_equal(a.audio, b.audio)


def test_positions_are_on_the_leg_clock() -> None:
    """A leg whose first audio sits at sample 48000 reports utterances shifted by exactly 48000."""
    base = stream_file(jfk(), 320)
    shifted = stream_file(jfk(), 320, offset=48000)
    assert [e.start + 48000 for e in ended(base)] == [e.start for e in ended(shifted)]
    assert [e.end + 48000 for e in ended(base)] == [e.end for e in ended(shifted)]


def test_gap_flushes_open_utterance_and_restarts_fresh() -> None:
    """A forward jump closes the open utterance ("flush"), then the leg behaves like a new one there."""
    audio = jfk()
    leg = LegEndpointer(model(), VadConfig())
    first = leg.push(audio[: RATE + 5000], 0)  # stops mid-speech (speech runs 0.3-2.2 s)
    assert isinstance(first[-1], UtteranceStarted)
    resume_at = 20 * RATE + 123  # not window-aligned on purpose
    events = leg.push(audio[RATE * 3 :], resume_at) + leg.flush()
    closed = events[0]
    assert isinstance(closed, UtteranceEnded)
    assert (closed.reason, closed.index) == ("flush", 0)
    assert closed.end <= RATE + 5000
    np.testing.assert_array_equal(closed.audio, audio[closed.start : closed.end])
    fresh = stream_file(audio[RATE * 3 :], len(audio), offset=resume_at)
    assert [(e.start, e.end) for e in ended(events[1:])] == [(e.start, e.end) for e in ended(fresh)]
    assert [e.index for e in ended(events)] == list(range(len(ended(events))))


def test_backward_jump_is_rejected_and_harmless() -> None:
    """Audio that overlaps what was already pushed raises TimelineError; the leg keeps working."""
    leg = LegEndpointer(model(), VadConfig())
    leg.push(jfk()[:RATE], 0)
    windows = leg.windows
    with pytest.raises(TimelineError):
        leg.push(jfk()[:320], RATE - 1)
    with pytest.raises(ValueError, match="overlaps"):
        leg.push(jfk()[:320], 0)
    assert leg.windows == windows
    assert leg.position == RATE
    leg.push(jfk()[RATE : 2 * RATE], RATE)
    assert leg.windows == 2 * RATE // WINDOW


def test_current_audio_tracks_the_open_utterance() -> None:
    """While speech is open, current_audio returns its index, start and exact audio up to the last push."""
    audio = jfk()
    leg = LegEndpointer(model(), VadConfig())
    assert leg.current_audio() is None
    assert leg.speech_samples_since_start == 0
    leg.push(audio[: RATE + 5000], 0)
    current = leg.current_audio()
    assert current is not None
    index, start, so_far = current
    assert index == 0
    np.testing.assert_array_equal(so_far, audio[start : RATE + 5000])
    assert leg.speech_samples_since_start == RATE + 5000 - start


def test_discard_drops_the_utterance_and_its_audio() -> None:
    """After discard() no UtteranceEnded ever appears for the open utterance and its audio is released."""
    audio = jfk()
    leg = LegEndpointer(model(), VadConfig())
    leg.push(audio[: RATE + 5000], 0)
    leg.discard()
    assert leg.current_audio() is None
    assert leg.buffered_samples == 0
    events = leg.push(audio[RATE + 5000 : 2 * RATE], RATE + 5000) + leg.flush()
    assert ended(events)  # speech goes on after the discard point and is a new utterance
    assert all(e.start >= RATE + 5000 and e.index != 0 for e in ended(events))


def test_long_speech_is_split_at_max_length() -> None:
    """With a 2 s cap, JFK's speech comes in parts of at most 2 s; a split remainder follows seamlessly."""
    config = VadConfig(max_utterance_s=2.0, split_search_s=1.0)
    utterances = ended(stream_file(jfk(), 320, config=config))
    assert all(u.end - u.start <= 2 * RATE for u in utterances)
    pairs = list(itertools.pairwise(utterances))
    assert any(a.reason == "max_length" and b.start == a.end for a, b in pairs)
    for a, b in pairs:  # a remainder too short to be speech is dropped, but never overlaps
        assert b.start >= a.end


def test_push_many_matches_push_per_leg() -> None:
    """Batched pushes over several legs give exactly the events of separate pushes."""
    sources = [jfk(), call_channel(0), call_channel(1)]
    config = VadConfig()
    single = [stream_file(src[: 8 * RATE], 320) for src in sources]
    legs = [LegEndpointer(model(), config) for _ in sources]
    batched: list[list[VadEvent]] = [[] for _ in sources]
    for i in range(0, 8 * RATE, 320):
        for out, events in zip(
            batched,
            push_many([(leg, src[i : i + 320], i) for leg, src in zip(legs, sources, strict=True)]),
            strict=True,
        ):
            out += events
    for out, leg in zip(batched, legs, strict=True):
        out += leg.flush()
    for a, b in zip(single, batched, strict=True):
        assert [(type(e), e.index, e.start) for e in a] == [(type(e), e.index, e.start) for e in b]
        assert [e.end for e in ended(a)] == [e.end for e in ended(b)]


def test_memory_returns_to_pre_roll_after_speech() -> None:
    """Once an utterance has ended and silence follows, the leg holds only about the pre-roll again."""
    leg = LegEndpointer(model(), VadConfig())
    leg.push(jfk(), 0)
    leg.push(np.zeros(RATE, np.float32), len(jfk()))
    assert leg.current_audio() is None
    assert leg.buffered_samples <= 0.2 * RATE + WINDOW


def test_push_many_rejects_legs_of_different_models_before_touching_any() -> None:
    """Mixing models in one batch raises ValueError and leaves every leg as it was."""
    legs = [LegEndpointer(model(), VadConfig()), LegEndpointer(SileroModel.load(), VadConfig())]
    with pytest.raises(ValueError, match="share one SileroModel"):
        push_many([(leg, jfk()[:RATE], 0) for leg in legs])
    assert [(leg.position, leg.windows) for leg in legs] == [(None, 0), (None, 0)]
