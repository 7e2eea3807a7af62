"""Hallucination guards: compression ratio, repeat collapsing, Whisper's silence rule, restart cutting."""

from __future__ import annotations

import pytest

from asr.guards import collapse_repeats, compression_ratio, drop_restart, is_silence


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
