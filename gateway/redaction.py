"""Redaction of one call's transcripts before anything leaves the process (partials and finals alike).

Partials first lose a trailing stretch that could still grow into PII (`privacy.PartialGuard`), then pass
the redactor; finals pass the redactor, and each word whose characters overlap a redacted span is
replaced by the span's token (a run of such words becomes one word spanning their times), so word
timestamps never carry the original value.
"""

from __future__ import annotations

import re

from privacy import PartialGuard, Policy, Redactor, Span
from protocol.messages import Redaction, Word

_DIGIT_RUN = re.compile(r"\d(?:[\s\-./,]*\d){2,}")


class CallRedaction:
    """Per-call redaction state (pseudonyms are stable within the call)."""

    def __init__(self, language: str, policy: Policy) -> None:
        self.policy = policy
        self._redactor = Redactor(language or "auto", policy)
        self._guard = PartialGuard()

    def partial(self, text: str) -> str:
        """A partial is a guess that the next one may extend: besides the redactor, any run of three or
        more digits is shown as `[NUMBER]` until the final decides what it is (a phone number heard as
        "06 1234" in one partial and "06 12345678" in the next must not leak in either)."""
        if self.policy is Policy.OFF:
            return text
        shown = self._redactor.redact(self._guard.hold_back(text)).text
        return _DIGIT_RUN.sub("[NUMBER]", shown)

    def final(self, text: str, words: tuple[Word, ...]) -> tuple[str, tuple[Word, ...], tuple[Redaction, ...]]:
        if self.policy is Policy.OFF:
            return text, words, ()
        result = self._redactor.redact(text)
        if not result.redactions:
            return text, words, ()
        redactions = tuple(Redaction(s.kind, s.start, s.end) for s in result.redactions)
        tokens = [(orig, result.text[new.start : new.end])
                  for orig, new in zip(result.original_spans, result.redactions, strict=True)]
        return result.text, _redact_words(text, words, tokens), redactions


def _redact_words(text: str, words: tuple[Word, ...], tokens: list[tuple[Span, str]]) -> tuple[Word, ...]:
    """Replace words overlapping an original span by that span's token, merging runs of them."""
    out: list[Word] = []
    cursor = 0
    last_token: int | None = None
    for word in words:
        at = text.find(word.word, cursor)
        start, end = (at, at + len(word.word)) if at >= 0 else (cursor, cursor + len(word.word))
        cursor = max(cursor, end)
        hit = next((i for i, (span, _) in enumerate(tokens)
                    if start < span.end and span.start < end), None)
        if hit is None:
            out.append(word)
            last_token = None
        elif hit == last_token:
            prev = out[-1]
            out[-1] = Word(prev.word, prev.start, word.end, min(prev.probability, word.probability))
        else:
            out.append(Word(tokens[hit][1], word.start, word.end, word.probability))
            last_token = hit
    return tuple(out)
