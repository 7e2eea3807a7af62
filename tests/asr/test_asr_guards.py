"""Hallucination guards: compression ratio, repeat collapsing, Whisper's silence rule, restart cutting."""

from __future__ import annotations

import random

import pytest

from asr.guards import (
    clean,
    collapse_char_loops,
    collapse_repeats,
    compression_ratio,
    doubled_phrase,
    drop_restart,
    has_char_loop,
    is_silence,
    loop_reason,
)


def test_compression_ratio_flags_loops() -> None:
    """A looping decode compresses far better than a normal sentence; empty text scores 1."""
    assert compression_ratio("") == 1.0
    normal = compression_ratio("And so my fellow Americans, ask not what your country can do for you.")
    loop = compression_ratio("I am sorry. " * 20)
    assert normal < 2.4 < loop


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes yes yes yes", "yes yes"),
        ("ha ha ha", "ha ha"),
        ("I said I said I said I said", "I said I said"),
        ("Thank you. Thank you. Thank you. Thank you.", "Thank you. Thank you."),
        ("no, no", "no, no"),
        ("no no, I said no", "no no, I said no"),
        ("the cat sat on the mat", "the cat sat on the mat"),
        ("", ""),
    ],
)
def test_collapse_repeats(text: str, expected: str) -> None:
    """Back-to-back n-grams repeated more than twice are cut to two; legitimate doubles are kept."""
    assert collapse_repeats(text) == expected


def _runs(keys: list[str], n: int) -> bool:
    """Whether some n-gram of `keys` is said three times back to back."""
    return any(keys[i : i + n] == keys[i + n : i + 2 * n] == keys[i + 2 * n : i + 3 * n] for i in range(len(keys)))


def test_collapse_repeats_leaves_no_triple_and_only_drops_words() -> None:
    """On random texts of a small vocabulary (loops of every length up to 6 words come up): nothing is said a
    third time back to back, the words kept are the input's in order, and a text without triples is kept."""
    rng = random.Random(7)
    vocab = ["yes", "Yes.", "no,", "the", "cat", "sat", "on", "mat.", "thank", "you"]
    for _ in range(3000):
        words = [rng.choice(vocab[: rng.randint(2, len(vocab))]) for _ in range(rng.randint(0, 40))]
        out = collapse_repeats(" ".join(words)).split()
        keys = [w.lower().strip(".,!?") for w in out]
        assert not any(_runs(keys, n) for n in range(1, 7))
        it = iter(words)
        assert all(any(w == x for x in it) for w in out)  # a subsequence of the input
        in_keys = [w.lower().strip(".,!?") for w in words]
        if not any(_runs(in_keys, n) for n in range(1, 7)):
            assert out == words


@pytest.mark.parametrize(
    ("no_speech", "logprob", "silent"),
    [
        (0.9, -1.5, True),
        (0.9, -0.2, False),  # confident decode: keep it even if no-speech is high
        (0.1, -1.5, False),  # speech likely: keep it even if unsure
        (0.6, -1.5, False),  # the threshold itself is not exceeded
    ],
)
def test_is_silence_needs_both_signals(no_speech: float, logprob: float, silent: bool) -> None:
    """Text is treated as silence only when no-speech is likely and the decode is not confident."""
    assert is_silence(no_speech, logprob, no_speech_threshold=0.6, logprob_threshold=-1.0) is silent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b c d. a b c", "a b c d."),
        ("ask not what your country can do for you, ask not what", "ask not what your country can do for you,"),
        ("And so my fellow Americans. and so my", "And so my fellow Americans."),
        ("one two three", "one two three"),
        ("no no no", "no no no"),
        ("ask what you can do, ask what your country", "ask what you can do, ask what your country"),
    ],
)
def test_drop_restart(text: str, expected: str) -> None:
    """A decode that starts the utterance over (3+ words) is cut at the restart; other text is kept."""
    assert drop_restart(text) == expected


HYPHEN_LOOP = "the chickens of e-" + "e-" * 17 + "e."  # seen on the held-out monologue (issue 12), 18 times


def test_hyphenated_loop_is_caught_and_cut() -> None:
    """A loop written as one hyphenated token is a character loop (word n-grams never see it) and is cut."""
    assert collapse_repeats(HYPHEN_LOOP) == HYPHEN_LOOP  # the old guard misses it
    assert has_char_loop(HYPHEN_LOOP)
    assert loop_reason(HYPHEN_LOOP, compression_ratio(HYPHEN_LOOP), 2.4, seconds=3.0) in (
        "compression_ratio",
        "char_loop",
    )
    assert loop_reason("of e-e-e-e-e-e-e.", 1.0, 2.4, seconds=3.0) == "char_loop"
    assert clean(HYPHEN_LOOP, 3.0) == "the chickens of e."
    assert collapse_char_loops("hahahahahaha") == "ha"


@pytest.mark.parametrize("word", ["bye-bye", "Mississippi", "e-mail", "co-operate", "aardappel", "zee-engte"])
def test_real_words_are_not_character_loops(word: str) -> None:
    """Words with a short repeat in them (at most a few times) are not mistaken for loops."""
    assert not has_char_loop(f"the {word} is here")


def test_repeated_short_phrase_is_caught_on_short_utterances() -> None:
    """A short utterance decoded as one phrase twice with nothing else (the invented year) fails a guard
    and is cut to one copy; the same text on a long utterance is left alone."""
    text = "In 1992. In 1992."
    assert loop_reason(text, compression_ratio(text), 2.4, seconds=1.8) == "repeat"
    assert clean(text, 1.8) == "In 1992."
    assert loop_reason(text, compression_ratio(text), 2.4, seconds=9.0) is None
    assert clean(text, 9.0) == text
    assert doubled_phrase("1985. 1985.") == "1985."


@pytest.mark.parametrize("text", ["no, no", "No. No.", "the cat sat on the mat", "Thank you very much."])
def test_speech_is_not_a_repeated_phrase(text: str) -> None:
    """A one-word double without a number, or a plain sentence, passes the repeat guard untouched."""
    assert loop_reason(text, compression_ratio(text), 2.4, seconds=1.5) is None
    assert clean(text, 1.5) == text


def test_doubled_phrase_without_number_triggers_fallback_but_is_kept() -> None:
    """ "Thank you. Thank you." on a short utterance is suspect (re-decoded) but not cut: people say it."""
    text = "Thank you. Thank you."
    assert loop_reason(text, compression_ratio(text), 2.4, seconds=1.5) == "repeat"
    assert clean(text, 1.5) == text


def test_a_loop_whose_copies_are_tokenised_differently_is_caught() -> None:
    """Seen on a stretched LibriVox sonnet: tiny.en looped a phrase five times, one copy with a detached
    "'s", so no three word n-grams matched; the compression ratio (2.25) stayed under 2.4."""
    text = (
        "pity the world or else this glutton be to eat the world's do to eat the world's do "
        "to eat the world 's do to eat the world's do to eat the world's"
    )
    assert compression_ratio(text) < 2.4
    assert loop_reason(text, compression_ratio(text), 2.4, 8.0) == "token_loop"
    assert clean(text, 8.0).count("to eat the world's do") <= 2


@pytest.mark.parametrize(
    "text",
    ["no, no. I said no.", "I think that I think that is right.", "one two three four five six seven", "the world's"],
)
def test_speech_is_not_a_unit_loop(text: str) -> None:
    assert loop_reason(text, compression_ratio(text), 2.4, 8.0) is None


def test_a_sentence_said_twice_is_caught_and_cut_to_one_copy() -> None:
    """Seen with `python -m bench.longform --sets stretched --vad min_silence_ms=800` on the stretched Tale of
    Two Cities (tiny.en, AMD EPYC): utterances of two sentences came back with the last sentence, or a clause,
    twice. No n-gram is said three times and the compression ratio stays under 2.4, so only this guard sees
    it when the compression ratio stays under 2.4; the decode is re-decoded (temperature fallback), and
    whatever comes out of the fallback is cut to one copy (before, a loop that every temperature repeated was
    sent as it was)."""
    france = "There were a king with a large jaw and a queen with a fair face on the throne of France."
    text = (
        f"There were a king with a large jaw and a queen with a plain face on the throne of England. {france} {france}"
    )
    assert loop_reason(text, compression_ratio(text), 3.0, 10.0) == "span_loop"
    assert clean(text, 10.0).count("throne of France") == 1
    assert clean(text, 10.0).count("throne of England") == 1
    clause = "Supernaturally deficient in originality. Supernaturally deficient in originality. Supern"
    assert loop_reason(clause, compression_ratio(clause), 2.4, 6.0) == "span_loop"
    assert clean(clause, 6.0) == "Supernaturally deficient in originality. Supern"
    tail = "We had everything before us. We had nothing before us. We had nothing before us."
    assert clean(tail, 5.0) == "We had everything before us. We had nothing before us."


@pytest.mark.parametrize(
    "text",
    [
        "I said thank you very much, thank you very much.",  # said twice, too short to be a loop (16 letters)
        "Hello, can you hear me now, can you hear me now?",
        "It was the age of wisdom, it was the age of foolishness, it was the epoch of belief.",
        "We had everything before us, we had nothing before us.",
    ],
)
def test_speech_that_repeats_itself_is_not_a_span_loop(text: str) -> None:
    """Real repetitions (short, or with a word changed) pass untouched."""
    assert loop_reason(text, compression_ratio(text), 2.4, 8.0) is None
    assert clean(text, 8.0) == text
