"""Redaction of one call's transcripts before anything leaves the process (partials and finals alike).

Theory of operation: a text is composed in two passes on the original text.

1. Special categories (GDPR art. 9, `privacy.detect_special`). Under the policies `mask` and `stop`
   every sentence holding a hit becomes one `[SPECIAL:<category>]` token (the category of its first
   hit; the sentence's closing punctuation stays). Under `flag` nothing is replaced, and under `off`
   nothing is looked for. Whatever the policy (bar `off`), a final names the categories it mentions.
2. PII (`privacy.Redactor`) in each stretch of text between masked sentences.

Partials first lose a trailing stretch that could still grow into PII (`privacy.PartialGuard`), then pass
both; finals pass both, and each word whose characters overlap a replaced span is replaced by the span's
token (a run of such words becomes one word spanning their times), so word timestamps never carry the
original value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.core.session import FilteredFinal
from privacy import NumberRule, PartialGuard, Policy, Redactor, detect_special, detect_special_partial
from protocol.messages import Redaction, SpecialPolicy, Word

_DIGIT_RUN = re.compile(r"\d(?:[\s\-./,]*\d){2,}")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "dhr", "mevr", "mw", "drs", "ir", "prof"})


@dataclass(frozen=True, slots=True)
class _Replaced:
    """One replaced span: `[start, end)` in the original text, `[new_start, new_end)` in the output."""

    kind: str
    start: int
    end: int
    new_start: int
    new_end: int


@dataclass(frozen=True, slots=True)
class _Composed:
    text: str
    replaced: tuple[_Replaced, ...]
    categories: tuple[str, ...]


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans `[start, end)`: leading spaces and the closing `.`, `!` or `?` left out.

    A full stop after a title ("Mr. Smith", "Dr. Jansen") does not end a sentence.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        words = text[start : match.start()].split()
        if match.group() == "." and words and words[-1].lower() in _ABBREVIATIONS:
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        a += len(text[a:b]) - len(text[a:b].lstrip())
        if a < b:
            out.append((a, b))
    return out


class CallRedaction:
    """Per-call redaction state (pseudonyms are stable within the call).

    `policy` applies to PII, `special` to special categories (see the module docstring).
    """

    def __init__(
        self,
        language: str,
        policy: Policy,
        special: SpecialPolicy = SpecialPolicy.FLAG,
        numbers: NumberRule | None = None,
    ) -> None:
        self.policy = policy
        self.special = special
        self._language = language or "auto"
        self._redactor = Redactor(self._language, policy, numbers)
        self._guard = PartialGuard()

    @property
    def _masks_special(self) -> bool:
        return self.special in ("mask", "stop")

    def partial(self, text: str) -> str:
        """A partial is a guess that the next one may extend: besides the redactor, any run of three or
        more digits is shown as `[NUMBER]` until the final decides what it is (a phone number heard as
        "06 1234" in one partial and "06 12345678" in the next must not leak in either). Under `mask` and
        `stop` a sentence with a special-category mention is masked here too."""
        if self.policy is Policy.OFF:
            return self._compose(text, final=False).text if self._masks_special else text
        shown = self._compose(self._guard.hold_back(text), final=False).text
        return _DIGIT_RUN.sub("[NUMBER]", shown)

    def final(self, text: str, words: tuple[Word, ...]) -> FilteredFinal:
        """The final's text, words and redactions as they may leave, the categories it mentions, and
        whether the call must stop transcribing (policy `stop` and a mention)."""
        composed = self._compose(text, final=True)
        redactions = tuple(Redaction(r.kind, r.new_start, r.new_end) for r in composed.replaced)
        if composed.replaced:
            tokens = [(r.start, r.end, composed.text[r.new_start : r.new_end]) for r in composed.replaced]
            words = _redact_words(text, words, tokens)
        stop = self.special == "stop" and bool(composed.categories)
        return FilteredFinal(composed.text, words, redactions, composed.categories, stop)

    def _compose(self, text: str, *, final: bool) -> _Composed:
        """Mask special-category sentences (per policy), redact PII between them; `final` also names
        the categories under `flag` (a partial under `flag` needs no detection)."""
        look = self._masks_special or (final and self.special == "flag")
        detector = detect_special if final else detect_special_partial  # partials: a superset (loose stems)
        hits = detector(text, self._language) if look and text else ()
        categories = tuple(dict.fromkeys(h.category for h in hits))
        masked: list[tuple[int, int, str]] = []
        if self._masks_special:
            for a, b in sentences(text):
                first = next((h.category for h in hits if a <= h.start < b), None)
                if first is not None and not final:
                    # a partial's sentence ends are not settled (Whisper may put a full stop mid-sentence and
                    # take it back): everything from the mention's sentence on is masked
                    masked.append((a, len(text), first))
                    break
                if first is not None:
                    masked.append((a, b, first))
        pieces: list[str] = []
        replaced: list[_Replaced] = []
        cursor = 0
        for a, b, category in [*masked, (len(text), len(text), "")]:
            self._redact_stretch(text, cursor, a, pieces, replaced)
            if category:
                token, at = f"[SPECIAL:{category}]", sum(map(len, pieces))
                pieces.append(token)
                replaced.append(_Replaced("special", a, b, at, at + len(token)))
            cursor = b
        return _Composed("".join(pieces), tuple(replaced), categories)

    def _redact_stretch(self, text: str, start: int, end: int, pieces: list[str], replaced: list[_Replaced]) -> None:
        """Append `text[start:end]` with its PII redacted; record each replacement in both offsets."""
        if start >= end:
            return
        offset = sum(map(len, pieces))
        result = self._redactor.redact(text[start:end])
        pieces.append(result.text)
        for orig, new in zip(result.original_spans, result.redactions, strict=True):
            replaced.append(
                _Replaced(orig.kind, start + orig.start, start + orig.end, offset + new.start, offset + new.end)
            )


def _redact_words(text: str, words: tuple[Word, ...], tokens: list[tuple[int, int, str]]) -> tuple[Word, ...]:
    """Replace words overlapping an original span `(start, end, token)` by its token, merging runs of them."""
    out: list[Word] = []
    cursor = 0
    last_token: int | None = None
    for word in words:
        needle = word.word.strip()  # Whisper's words may come with their leading space
        at = text.find(needle, cursor) if needle else -1
        if at >= 0:
            start, end = at, at + len(needle)
            cursor = max(cursor, end)
            hit = next((i for i, (a, b, _) in enumerate(tokens) if start < b and a < end), None)
        else:  # a word the text does not hold as such: fail safe, it takes the next redaction's token
            hit = next((i for i, (_, b, _) in enumerate(tokens) if b > cursor), None)
        if hit is None:
            out.append(word)
            last_token = None
        elif hit == last_token:
            prev = out[-1]
            out[-1] = Word(prev.word, prev.start, word.end, min(prev.probability, word.probability))
        else:
            out.append(Word(tokens[hit][2], word.start, word.end, word.probability))
            last_token = hit
    return tuple(out)
