"""Hallucination guards: pure checks on decoded text (repetition, compression ratio, silence)."""

from __future__ import annotations

import re
import zlib

_WORD = re.compile(r"\S+")


def compression_ratio(text: str) -> float:
    """Bytes of text over bytes of its zlib compression; loops of repeated text score high."""
    raw = text.encode("utf-8")
    if not raw:
        return 1.0
    return len(raw) / len(zlib.compress(raw))


def collapse_repeats(text: str, max_n: int = 6, max_repeats: int = 2) -> str:
    """Cut an n-gram (n <= max_n words) that repeats back to back more than `max_repeats` times.

    "yes yes yes yes" -> "yes yes"; keeps legitimate doubles ("no, no").
    """
    words = _WORD.findall(text)
    out: list[str] = []
    for word in words:
        out.append(word)
        for n in range(1, max_n + 1):
            span = n * (max_repeats + 1)
            if len(out) < span:
                break
            tail = [w.lower().strip(".,!?") for w in out[-span:]]
            grams = [tail[i : i + n] for i in range(0, span, n)]
            if all(g == grams[0] for g in grams):
                del out[-n:]
                break
    return " ".join(out)


def is_silence(no_speech_prob: float, avg_logprob: float, no_speech_threshold: float, logprob_threshold: float) -> bool:
    """Whisper's own rule: likely no speech and not a confident decode."""
    return no_speech_prob > no_speech_threshold and avg_logprob < logprob_threshold


def drop_restart(text: str, min_words: int = 3) -> str:
    """Cut a decode that starts the utterance over: "a b c d. a b c" -> "a b c d."

    Whisper on a tight window often runs past the end and repeats the sentence from its start.
    """
    words = _WORD.findall(text)
    keys = [w.lower().strip(".,!?;:") for w in words]
    for cut in range(min_words, len(words) - min_words + 1):
        tail = keys[cut:]
        if keys[: len(tail)] == tail and len(tail) >= min_words:
            return " ".join(words[:cut])
    return text
