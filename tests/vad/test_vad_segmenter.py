"""The segmenter on scripted probability sequences (no model).

Windows of 160 samples at 16 kHz (10 ms) keep the arithmetic readable: with the default config,
min_silence = 40 windows, min_speech = 20 windows, pre_roll = 3200 samples, post_roll = 2400 samples,
early_final = 20 windows (off in `seg()` unless asked for).
"""

from __future__ import annotations

import itertools

import pytest

from vad import Segmenter, SegmentEvent, SpeechEnd, SpeechPause, SpeechStart, TimelineError, VadConfig

W = 160
PRE, POST = 3200, 2400


def seg(**kwargs: float) -> Segmenter:
    """A segmenter on the default config, with early finals and the longer endpoint inside a turn off unless
    asked for (tests of them below)."""
    kwargs.setdefault("early_final_ms", 0)
    kwargs.setdefault("turn_silence_ms", 0)
    return Segmenter(VadConfig(**kwargs), window=W, rate=16000)  # type: ignore[arg-type]


def run(segmenter: Segmenter, probs: list[float], first: int = 0) -> list[SegmentEvent]:
    """Feed one window per call, as a live leg would, and collect all events."""
    events: list[SegmentEvent] = []
    for k, p in enumerate(probs):
        events += segmenter.feed([p], first + k)
    return events


def test_speech_needs_threshold_to_start_and_neg_threshold_to_continue() -> None:
    """0.4 cannot open an utterance, but keeps an open one alive (hysteresis); 0.3 ends it."""
    assert run(seg(), [0.4] * 300) == []
    probs = [0.0] * 100 + [0.6] * 30 + [0.4] * 100 + [0.3] * 40
    events = run(seg(), probs)
    assert events == [SpeechStart(100 * W - PRE), SpeechEnd(100 * W - PRE, 230 * W + POST, "silence")]


def test_endpoint_fires_exactly_at_min_silence() -> None:
    """A 390 ms pause does not end the utterance; the 400th ms of silence does, in that very window."""
    segmenter = seg()
    events = run(segmenter, [0.0] * 50 + [0.9] * 30 + [0.1] * 39 + [0.9] * 30)
    assert events == [SpeechStart(50 * W - PRE)]
    last_speech = 50 + 30 + 39 + 30 - 1
    assert run(segmenter, [0.1] * 39, first=last_speech + 1) == []
    assert run(segmenter, [0.1], first=last_speech + 40) == [
        SpeechEnd(50 * W - PRE, (last_speech + 1) * W + POST, "silence")
    ]


def test_short_blips_are_discarded_without_any_event() -> None:
    """19 windows (190 ms) of speech produce nothing at all; 20 windows produce a start at the 20th."""
    assert run(seg(), [0.0] * 50 + [0.9] * 19 + [0.0] * 100) == []
    segmenter = seg()
    assert run(segmenter, [0.0] * 50 + [0.9] * 19) == []
    assert run(segmenter, [0.9], first=69) == [SpeechStart(50 * W - PRE)]


def test_pre_roll_is_clamped_to_the_first_fed_sample() -> None:
    """Speech at the very start gets start 0; a segmenter first fed at window 10 never reports before it."""
    events = run(seg(), [0.0] * 5 + [0.9] * 30 + [0.0] * 40)
    assert events[0] == SpeechStart(0)
    later = run(seg(), [0.9] * 30, first=10)
    assert later == [SpeechStart(10 * W)]


def test_post_roll_is_clamped_at_flush() -> None:
    """An utterance still speaking when flushed ends at the last fed window, not beyond it."""
    segmenter = seg()
    run(segmenter, [0.0] * 50 + [0.9] * 100)
    assert segmenter.flush() == [SpeechEnd(50 * W - PRE, 150 * W, "flush")]
    assert segmenter.flush() == []


def test_flush_ends_with_post_roll_when_silence_already_began() -> None:
    """Flushed during a short pause, the utterance ends at last speech + post-roll, like an endpoint."""
    segmenter = seg()
    run(segmenter, [0.0] * 50 + [0.9] * 100 + [0.0] * 30)
    assert segmenter.flush() == [SpeechEnd(50 * W - PRE, 150 * W + POST, "flush")]


def test_flush_drops_a_tentative_utterance() -> None:
    """Speech shorter than min_speech open at flush time is dropped, not reported."""
    segmenter = seg()
    run(segmenter, [0.0] * 50 + [0.9] * 10)
    assert segmenter.flush() == []


def test_utterances_never_overlap() -> None:
    """A pre-roll longer than the pause stops at the previous utterance's end."""
    probs = [0.0] * 100 + [0.9] * 30 + [0.0] * 40 + [0.9] * 30 + [0.0] * 40
    events = run(seg(pre_roll_ms=500), probs)
    first_end = 130 * W + POST
    assert events == [
        SpeechStart(100 * W - 8000),
        SpeechEnd(100 * W - 8000, first_end, "silence"),
        SpeechStart(first_end),
        SpeechEnd(first_end, 200 * W + POST, "silence"),
    ]


def test_max_length_splits_at_the_quietest_recent_window() -> None:
    """At max length the utterance is cut in the middle of the quietest window of the search span."""
    # max 2 s = 200 windows from start 0; search span 0.5 s = 50 windows (150..199).
    probs = [0.9] * 250
    probs[120] = 0.36  # quieter, but outside the search span: ignored
    probs[170] = 0.5
    probs[180] = 0.4  # the quietest inside the span
    events = run(seg(max_utterance_s=2.0, split_search_s=0.5), probs)
    cut = 180 * W + W // 2
    assert events[:3] == [SpeechStart(0), SpeechEnd(0, cut, "max_length"), SpeechStart(cut)]
    assert len(events) == 3


def test_long_monologue_is_split_repeatedly_into_contiguous_parts() -> None:
    """Non-stop speech becomes consecutive parts, each no longer than max_utterance_s, with no gap."""
    segmenter = seg(max_utterance_s=2.0, split_search_s=0.5)
    events = run(segmenter, [0.9] * 1050) + segmenter.flush()
    ends = [e for e in events if isinstance(e, SpeechEnd)]
    assert len(ends) >= 5
    assert all(e.end - e.start <= 2 * 16000 for e in ends)
    assert all(a.end == b.start for a, b in itertools.pairwise(ends))
    assert [e.reason for e in ends] == ["max_length"] * (len(ends) - 1) + ["flush"]
    assert ends[-1].end == 1050 * W


def test_discarded_audio_never_reappears_in_a_later_utterance() -> None:
    """After discard(), a following utterance's pre-roll does not reach back into the discarded speech."""
    segmenter = seg()
    run(segmenter, [0.0] * 50 + [0.9] * 50)
    segmenter.discard()
    assert segmenter.flush() == []
    events = run(segmenter, [0.9] * 30 + [0.0] * 40, first=100)
    assert events[0] == SpeechStart(100 * W)


def test_feed_must_be_contiguous() -> None:
    """Skipping or repeating window indices raises TimelineError (a ValueError)."""
    segmenter = seg()
    segmenter.feed([0.0] * 10, 0)
    with pytest.raises(TimelineError):
        segmenter.feed([0.0], 11)
    with pytest.raises(ValueError, match="expected window 10"):
        segmenter.feed([0.0], 9)
    assert segmenter.feed([0.0], 10) == []


def test_silent_leg_only_retains_the_pre_roll() -> None:
    """While idle, retain_from trails the fed audio by exactly the pre-roll."""
    segmenter = seg()
    assert segmenter.retain_from() is None
    run(segmenter, [0.0] * 1000)
    assert segmenter.retain_from() == 1000 * W - PRE


def test_batch_and_window_by_window_feeding_agree() -> None:
    """Feeding all windows in one call gives the same events as feeding them one by one."""
    probs = ([0.0] * 30 + [0.95] * 60 + [0.2] * 45 + [0.7] * 10 + [0.0] * 5) * 6
    whole = seg(max_utterance_s=1.5, split_search_s=0.3)
    assert whole.feed(probs, 0) == run(seg(max_utterance_s=1.5, split_search_s=0.3), probs)


def test_split_in_a_final_pause_leaves_no_empty_utterance() -> None:
    """If the forced cut lands in the pause that is ending the speech, the silent remainder is dropped."""
    probs = [0.9] * 195 + [0.1] * 100
    events = run(seg(max_utterance_s=2.0, split_search_s=0.5), probs)
    assert events == [SpeechStart(0), SpeechEnd(0, 199 * W + W // 2, "max_length")]


def test_a_pause_announces_the_end_it_would_have_once_per_silence_run() -> None:
    """After early_final_ms of silence the utterance's would-be end is announced; speech resumes and a
    second pause announces the later end; the endpoint then reports exactly that span."""
    segmenter = seg(early_final_ms=200)
    events = run(segmenter, [0.0] * 50 + [0.9] * 30 + [0.1] * 19)
    assert events == [SpeechStart(50 * W - PRE)]
    assert run(segmenter, [0.1], first=99) == [SpeechPause(50 * W - PRE, 80 * W + POST)]
    assert run(segmenter, [0.1] * 10, first=100) == []  # once per run of silence
    resumed = run(segmenter, [0.9] * 30 + [0.1] * 40, first=110)
    assert resumed == [
        SpeechPause(50 * W - PRE, 140 * W + POST),
        SpeechEnd(50 * W - PRE, 140 * W + POST, "silence"),
    ]


def test_the_pause_waits_for_the_post_roll_and_is_off_at_zero() -> None:
    """An early final shorter than the post-roll waits for it (its audio must be there); 0 = no pauses."""
    segmenter = seg(early_final_ms=50)
    run(segmenter, [0.0] * 50 + [0.9] * 30)  # last speech window: 79
    at = next(i for i in range(80, 120) if run(segmenter, [0.1], first=i))
    assert at == 79 + POST // W  # the window that completes the post-roll
    assert not [e for e in run(seg(), [0.0] * 50 + [0.9] * 30 + [0.1] * 40) if isinstance(e, SpeechPause)]
    with pytest.raises(ValueError, match="early_final_ms"):
        VadConfig(early_final_ms=400)


def test_a_pause_inside_a_turn_needs_the_longer_endpoint() -> None:
    """The first utterance ends after min_silence_ms (400); one that starts within turn_gap_ms of it
    continues the turn, so a 600 ms pause (W = 10 ms windows) no longer cuts it; 900 ms does."""
    segmenter = seg(turn_silence_ms=800)
    first = run(segmenter, [0.0] * 50 + [0.9] * 50 + [0.1] * 40)
    assert first == [SpeechStart(50 * W - PRE), SpeechEnd(50 * W - PRE, 100 * W + POST, "silence")]
    # 40 windows of silence so far (400 ms); speech again after 200 ms more: same turn
    second = run(segmenter, [0.1] * 20 + [0.9] * 50 + [0.1] * 60 + [0.9] * 50 + [0.1] * 90, first=140)
    start = 160 * W - PRE
    assert second == [SpeechStart(start), SpeechEnd(start, 320 * W + POST, "silence")]  # the 600 ms pause kept


def test_a_new_turn_after_a_long_gap_or_a_flush_ends_after_min_silence() -> None:
    """More than turn_gap_ms after the previous utterance, or after a flush, the short endpoint applies."""
    segmenter = seg(turn_silence_ms=800, turn_gap_ms=1000)
    run(segmenter, [0.0] * 50 + [0.9] * 50 + [0.1] * 40)  # ended at 100 * W + POST
    later = run(segmenter, [0.1] * 150 + [0.9] * 50 + [0.1] * 50, first=140)  # starts 1.5 s after
    assert later == [SpeechStart(290 * W - PRE), SpeechEnd(290 * W - PRE, 340 * W + POST, "silence")]
    segmenter.flush()
    after_flush = run(segmenter, [0.9] * 50 + [0.1] * 50, first=390)
    assert after_flush == [SpeechStart(390 * W - PRE), SpeechEnd(390 * W - PRE, 440 * W + POST, "silence")]


def test_the_longer_endpoint_inside_a_turn_is_off_at_zero_and_never_shorter() -> None:
    with pytest.raises(ValueError, match="turn_silence_ms"):
        VadConfig(turn_silence_ms=300)
    off = seg(turn_silence_ms=0)
    run(off, [0.0] * 50 + [0.9] * 50 + [0.1] * 40)
    assert run(off, [0.1] * 10 + [0.9] * 50 + [0.1] * 40, first=140)[-1] == SpeechEnd(
        150 * W - PRE, 200 * W + POST, "silence"
    )
