"""Partial stabilisation: a stable prefix by agreement of consecutive hypotheses (pure).

Theory of operation: each new partial hypothesis for an open utterance is compared word by word (case
and punctuation folded) with the previous one. Words on which two consecutive hypotheses agree, counted
from the start, become *committed*: they are never retracted or changed while the utterance is open.
The text shown is the committed words followed by the newest hypothesis's remaining words, and
`stable_chars` tells the client how much of it is committed. A hypothesis that disagrees with the
committed prefix cannot rewrite it: its words past the committed count are appended instead.
The final, decoded with beam search over the whole utterance, replaces the partial text entirely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PUNCT = re.compile(r"[^\w']+")


def _key(word: str) -> str:
    return _PUNCT.sub("", word.lower())


@dataclass(frozen=True, slots=True)
class StablePartial:
    """Text to show and the length of its committed prefix in characters."""

    text: str
    stable_chars: int


class PartialStabilizer:
    """Per-utterance state; create a new one for each utterance."""

    def __init__(self) -> None:
        self._committed: list[str] = []
        self._previous: list[str] = []
        self._last: StablePartial | None = None

    @property
    def committed(self) -> str:
        return " ".join(self._committed)

    def update(self, hypothesis: str) -> StablePartial | None:
        """Fold in a new hypothesis; returns the partial to send, or None when nothing changed."""
        words = hypothesis.split()
        agree = 0
        for a, b in zip(self._previous, words, strict=False):
            if _key(a) != _key(b):
                break
            agree += 1
        if agree > len(self._committed):  # committed words keep their first spelling
            self._committed = self._committed + words[len(self._committed) : agree]
        self._previous = words
        shown = self._committed + words[len(self._committed) :]
        out = StablePartial(" ".join(shown), len(" ".join(self._committed)))
        if out == self._last:
            return None  # neither the text nor its stable prefix changed
        self._last = out
        return out
