"""Leg context (asr.context): the tail of the previous final, cut at a word start, with its words."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asr.context import LegContext, context_split, tail_context
from asr.guards import drop_echo
from asr.types import SAMPLE_RATE, DecodeRequest, Transcriber, WordTiming
from bench.audio import read_wav
from bench.wer import wer

WORDS = (
    WordTiming("we", 0.2, 0.4, 0.9),
    WordTiming("were", 0.4, 0.7, 0.9),
    WordTiming("all", 1.1, 1.4, 0.9),
    WordTiming("going", 2.6, 3.0, 0.9),
    WordTiming("direct.", 3.1, 3.6, 0.9),
)


def _audio(seconds: float) -> np.ndarray:
    return np.linspace(-0.5, 0.5, int(seconds * SAMPLE_RATE)).astype(np.float32)


def test_tail_context_cuts_at_a_word_start_and_keeps_those_words() -> None:
    """At most `max_s` of audio, starting just before the first word inside that span, plus the gap;
    the prefix is exactly the words said in the kept audio."""
    audio = _audio(4.0)
    ctx = tail_context(audio, WORDS, max_s=2.0, gap_s=0.3)
    assert ctx.prefix == "going direct."
    cut = int((2.6 - 0.05) * SAMPLE_RATE)
    assert len(ctx.audio) == len(audio) - cut + int(0.3 * SAMPLE_RATE)
    assert np.array_equal(ctx.audio[: len(audio) - cut], audio[cut:])
    assert not ctx.audio[len(audio) - cut :].any()  # the gap is silence


def test_no_context_from_too_few_words_or_none_in_the_span() -> None:
    """One word gives no context, nor does a tail with no word starting in it."""
    assert tail_context(_audio(4.0), WORDS[:1], 2.0, 0.3).prefix == ""
    late = (WordTiming("a", 0.1, 0.5, 0.9), WordTiming("b", 0.6, 0.9, 0.9))
    assert len(tail_context(_audio(4.0), late, 1.0, 0.3).audio) == 0


SR = SAMPLE_RATE


def test_leg_context_follows_decoded_finals_only() -> None:
    """A final gets the context of the final just before it on its leg once that one is decoded, never an
    older one; an empty final gives none; with max_s 0 nothing is remembered."""
    leg = LegContext(2.0)
    first = leg.request("u0", _audio(4.0), 0)
    assert first is not None and first.prefix == "" and not len(first.audio)
    assert leg.decoded("u0", "we were all going direct.", WORDS) is None  # nobody waits for it
    ctx = leg.request("u1", _audio(1.0), 5 * SR)
    assert ctx is not None and ctx.prefix == "going direct."
    leg.decoded("u1", "", ())
    ctx = leg.request("u2", _audio(1.0), 7 * SR)
    assert ctx is not None and ctx.prefix == ""  # u1 was empty: no context
    off = LegContext(0.0)
    off.request("u0", _audio(4.0), 0)
    off.decoded("u0", "we were all going direct.", WORDS)
    ctx = off.request("u1", _audio(1.0), 5 * SR)
    assert ctx is not None and ctx.prefix == ""


def test_leg_context_waits_for_the_final_just_before_and_not_across_a_turn() -> None:
    """A final whose predecessor (within max_gap_s) is still decoding waits (None) and gets its context
    when that one is decoded; a final after a longer pause (the other party spoke) is decoded alone at once;
    a failed predecessor releases the waiter without context."""
    leg = LegContext(2.0, max_gap_s=1.5)
    assert leg.request("u0", _audio(4.0), 0) is not None
    assert leg.request("u1", _audio(1.0), 5 * SR) is None  # 1 s after u0 ended, u0 still decoding
    assert leg.request("u2", _audio(1.0), 7 * SR) is None  # u1 waits itself: u2 waits for u1
    waiter = leg.decoded("u0", "we were all going direct.", WORDS)
    assert waiter is not None and waiter[0] == "u1" and waiter[1].prefix == "going direct."
    waiter = leg.decoded("u1", "", ())  # u1 failed or was empty
    assert waiter is not None and waiter[0] == "u2" and waiter[1].prefix == ""
    late = leg.request("u3", _audio(1.0), 12 * SR)  # 4 s after u2 ended: another turn, not a continuation
    assert late is not None and late.prefix == ""
    assert leg.decoded("u2", "we were all going direct.", WORDS) is None
    assert leg.decoded("u3", "we were all going direct.", WORDS) is None


def test_drop_echo_cuts_the_context_said_again() -> None:
    """A decode that repeats its 4+ word prefix loses that copy; a short prefix or new words are kept."""
    prefix = "We were all going direct the other way."
    assert drop_echo("In short, we were all going direct the other way.", prefix) == "In short,"
    assert drop_echo("In short, the period was so far", prefix) == "In short, the period was so far"
    assert drop_echo("the other way round", "the other way.") == "the other way round"


def test_context_split_finds_where_the_context_words_end() -> None:
    """A decode of context + utterance is split after the words that match the context's text, even when
    the context is spelt a little differently; a decode that skipped the context loses nothing."""
    assert context_split("Ask not what your country can do for you.", "ask not") == 2
    assert context_split("What your country can do for you, ask", "what your country can do for") == 6
    assert context_split("thyself thy foe to thy sweet self", "thy self thy foe") == 3
    assert context_split("In short, the period was so far", "the other way.") == 0
    assert context_split("", "the other way.") == 0
    assert context_split("anything at all", "") == 0


def test_engine_decodes_only_the_new_words_after_context(engines: dict[str, Transcriber], audio_dir: Path) -> None:
    """JFK cut mid-sentence: the second half decoded with the first half's tail as context (forced prefix)
    gives exactly the new words, timed from the start of the second half."""
    engine = engines["tiny.en"]
    clip = read_wav(audio_dir / "real" / "jfk.wav")
    audio = clip.samples[:, 0].astype(np.float32) / 32768.0
    cut = int(5.3 * SAMPLE_RATE)
    first = engine.transcribe_batch([DecodeRequest("c", "l", "final", audio[:cut], "en")])[0]
    ctx = tail_context(audio[:cut], first.words, max_s=3.0, gap_s=0.3)
    assert ctx.prefix and len(ctx.audio)
    second = engine.transcribe_batch([DecodeRequest("c", "l", "final", audio[cut:], "en", "", ctx.audio, ctx.prefix)])[
        0
    ]
    tail = "what your country can do for you, ask what you can do for your country."
    assert wer([tail], [second.text]) == 0.0
    assert second.words and 0.0 <= second.words[0].start < 1.0
    assert second.words[-1].end <= len(audio[cut:]) / SAMPLE_RATE + 0.5


def test_a_context_decode_that_fails_a_guard_is_decoded_again_alone(audio_dir: Path) -> None:
    """Context must never make a final worse than decoding it alone: with every decode failing the loop
    guard (compression-ratio threshold 0.1, no temperature fallback), the final decoded with context comes
    back exactly as the same audio decoded without it, and the engine counts it under `context`."""
    from asr.config import EngineConfig
    from asr.whisper import WhisperEngine

    engine = WhisperEngine(
        EngineConfig(model="tiny.en", cpu_threads=1, compression_ratio_threshold=0.1, fallback_temperatures=())
    )
    clip = read_wav(audio_dir / "real" / "jfk.wav")
    audio = clip.samples[:, 0].astype(np.float32) / 32768.0
    cut = int(5.3 * SAMPLE_RATE)
    ctx = np.concatenate([audio[:cut], np.zeros(int(0.3 * SAMPLE_RATE), np.float32)])
    with_context = DecodeRequest("c", "l", "final", audio[cut:], "en", "", ctx, "And so, my fellow Americans,")
    (retried,) = engine.transcribe_batch([with_context])
    assert engine.fallbacks == {"context": 1}  # (the alone decode fails the guard too: no fallback is set)
    (alone,) = engine.transcribe_batch([DecodeRequest("c", "l", "final", audio[cut:], "en")])
    assert retried.text == alone.text and "country" in alone.text
    assert retried.timings["fallback_tries"] >= 1 and retried.timings["total"] > alone.timings["total"] / 2


def test_drop_echo_cuts_the_prefix_tail_said_again_at_the_end() -> None:
    """Seen on the stretched Tale of Two Cities at 8 kHz (`python -m bench.longform --sets stretched`, the
    longer endpoint inside a turn): tiny.en decoded the new words, then the last words of its forced prefix
    once more; the next final, given that text as its prefix, went wrong too. The tail is cut; the same last
    words said by the talker in a short phrase, or a text made of nothing else, are kept."""
    prefix = "Mrs. Southcott had recently attained her five and twenty at the Blessed Birth Day, the form of prophetic"
    assert drop_echo("private in the lifeguards, the form of prophetic", prefix) == "private in the lifeguards,"
    past = "after wrapping out its messages as the spirits of this very year last past."
    said = "Supernaturally deficient in originality. As the spirits of this very year last past,"
    assert drop_echo(said, past) == "Supernaturally deficient in originality."
    assert drop_echo("and then in the morning", "we left early in the morning") == "and then in the morning"
    assert drop_echo("the form of prophetic", prefix) == "the form of prophetic"
