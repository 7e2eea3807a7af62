"""Hallucination guards: pure checks on decoded text (repetition, compression ratio, silence)."""

from __future__ import annotations

import re
import zlib

_WORD = re.compile(r"\S+")
_DETACHED = re.compile(r"(?<=\w)\s+(?=['\u2019](?:s|t|d|ll|re|ve|m)\b)", re.IGNORECASE)
# The same stretch of 10-60 letters and digits three times back to back, whatever the spaces and
# punctuation between ("to eat the world's do to eat the world 's do to eat the world's do").
_UNIT_LOOP = re.compile(r"(.{10,60}?)\1{2,}")


def join_clitics(text: str) -> str:
    """Re-attach a clitic Whisper's tokens detached ("world 's" -> "world's"): one word, one spelling."""
    return _DETACHED.sub("", text)


def has_unit_loop(text: str) -> bool:
    """A phrase of 10+ characters said three times in a row, with spacing or punctuation varying."""
    return _UNIT_LOOP.search("".join(ch for ch in text.lower() if ch.isalnum())) is not None


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
    out: list[str] = []
    keys: list[str] = []
    for word in _WORD.findall(text):
        out.append(word)
        keys.append(word.lower().strip(".,!?"))
        end = len(keys)
        for n in range(1, max_n + 1):
            start = end - n * (max_repeats + 1)
            if start < 0:
                break
            if keys[end - 1] != keys[end - 1 - n]:  # cheap first: the last words of two grams differ
                continue
            last = keys[end - n :]
            if all(keys[start + k * n : start + (k + 1) * n] == last for k in range(max_repeats)):
                del out[-n:], keys[-n:]
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


# A unit of 1-4 letters repeated at least 5 times inside one token, with or without a joiner:
# "e-e-e-e-e-e", "hahahahaha", "lalalala-la". Legitimate words ("bye-bye", "Mississippi") repeat less.
_CHAR_LOOP = re.compile(r"(\w{1,4}?)(?:[-\u2010\u2011]?\1){4,}[-\u2010\u2011]?", re.IGNORECASE)


def has_char_loop(text: str) -> bool:
    """A character-level loop inside a token (the hyphenated "e-e-e-e-..." that word n-grams miss)."""
    return _CHAR_LOOP.search(text) is not None


def collapse_char_loops(text: str) -> str:
    """Cut every character-level loop to one unit: "of e-e-e-e-e-e-e." -> "of e."."""
    return _CHAR_LOOP.sub(lambda m: m.group(1), text)


def doubled_phrase(text: str, min_words: int = 2) -> str | None:
    """If the whole text is one phrase said twice or more ("In 1992. In 1992."), that phrase once.

    A phrase of one word only counts when it holds a digit ("no, no" is speech; "1992 1992" is not).
    """
    words = _WORD.findall(text)
    keys = [w.lower().strip(".,!?;:") for w in words]
    for n in range(1, len(words) // 2 + 1):
        if len(words) % n or (n < min_words and not any(ch.isdigit() for ch in text)):
            continue
        if all(keys[i : i + n] == keys[:n] for i in range(n, len(words), n)):
            return " ".join(words[:n])
    return None


SPAN_MIN_WORDS = 4
SPAN_MIN_CHARS = 18
"""A span said twice back to back is a loop when it holds at least this many words and letters or digits:
"we had nothing before us" (20) is, "thank you very much" (16) and "can you hear me now" (15), which people
do say twice, are not."""


def _repeated_span(keys: list[str]) -> tuple[int, int] | None:
    """(start, length) of the first span of words directly followed by itself, long enough to be a loop."""
    for i in range(len(keys)):
        for n in range(SPAN_MIN_WORDS, (len(keys) - i) // 2 + 1):
            if keys[i] != keys[i + n]:  # the cheap test first: most spans differ in their first word
                continue
            if keys[i : i + n] == keys[i + n : i + 2 * n] and sum(map(len, keys[i : i + n])) >= SPAN_MIN_CHARS:
                return i, n
    return None


def word_key(word: str) -> str:
    """A word as loops and context are compared: lower case, letters and digits only ("World's," -> "worlds")."""
    return "".join(ch for ch in word.lower() if ch.isalnum())


def _keys(words: list[str]) -> list[str]:
    return [word_key(w) for w in words]


def has_span_loop(text: str) -> bool:
    """A clause or sentence said twice back to back ("There were a king ... France. There were a king ...
    France."): too long for the n-gram guard, too short a text for the compression ratio to see."""
    return _repeated_span(_keys(_WORD.findall(text))) is not None


def collapse_span_loops(text: str) -> str:
    """Keep one copy of every span said twice or more back to back (`has_span_loop`)."""
    words = _WORD.findall(text)
    while (found := _repeated_span(_keys(words))) is not None:
        i, n = found
        del words[i + n : i + 2 * n]
    return " ".join(words)


MAX_WORDS_PER_S = 4.5
"""More words than this per second of audio (plus 3) is not speech but a decoder running on: fast talkers
and digits read out one by one stay near 3.5 words per second."""


def too_many_words(text: str, seconds: float, slack: int = 3) -> bool:
    """More words than the audio can hold (`MAX_WORDS_PER_S`): a loop or an echo the other guards missed."""
    return len(_WORD.findall(text)) > slack + MAX_WORDS_PER_S * seconds


def loop_reason(text: str, ratio: float, ratio_threshold: float, seconds: float, short_s: float = 4.0) -> str | None:
    """Which loop guard a decode fails, if any: `compression_ratio`, `char_loop`, `token_loop`, `span_loop`,
    `too_fast` or `repeat`.

    `repeat` (a phrase said twice, with nothing else) is only suspected on utterances of `short_s` or less,
    where a talker rarely repeats themself and a tight window makes Whisper do it.
    """
    if ratio > ratio_threshold:
        return "compression_ratio"
    if has_char_loop(text):
        return "char_loop"
    text = join_clitics(text)
    if collapse_repeats(text) != " ".join(_WORD.findall(text)) or has_unit_loop(text):
        return "token_loop"
    if has_span_loop(text):
        return "span_loop"
    if too_many_words(text, seconds):
        return "too_fast"
    if seconds <= short_s and doubled_phrase(text) is not None:
        return "repeat"
    return None


def clean(text: str, seconds: float, short_s: float = 4.0) -> str:
    """The text with every loop cut: character loops, n-gram loops, restarts, long spans said twice, and on a
    short utterance a doubled phrase holding a number (the invented "1992. 1992."; a doubled "thank you" is
    kept)."""
    text = collapse_span_loops(drop_restart(collapse_repeats(collapse_char_loops(join_clitics(text)))))
    once = doubled_phrase(text) if seconds <= short_s else None
    return once if once is not None and any(ch.isdigit() for ch in once) else text


def drop_echo(text: str, prefix: str, min_words: int = 4) -> str:
    """Cut the context said again: a decode that repeats its forced prefix (4+ words) inside the new text, or
    ends on the prefix's own last words (4+ words, `SPAN_MIN_CHARS` letters).

    "In short, we were all going direct the other way." after the prefix "we were all going direct the
    other way." -> "In short,"; "private in the lifeguards, the form of prophetic" after a prefix ending
    "... the form of prophetic" -> "private in the lifeguards,".
    """
    words = _WORD.findall(text)
    keys = [w.lower().strip(".,!?;:") for w in words]
    echo = [w.lower().strip(".,!?;:") for w in _WORD.findall(prefix)]
    n = len(echo)
    if n < min_words:
        return text
    for i in range(len(keys) - n + 1):
        if keys[i : i + n] == echo:
            return " ".join(words[:i] + words[i + n :])
    for k in range(min(n, len(keys) - 1), min_words - 1, -1):
        if keys[-k:] == echo[-k:] and sum(map(len, _keys(words[-k:]))) >= SPAN_MIN_CHARS:
            return " ".join(words[:-k])
    return text
