"""Audio context across one leg's utterances (pure): what came before a final, for the encoder and decoder.

Theory of operation: a long turn with pauses is cut by the endpointer into short utterances; decoded
alone, a short phrase loses its context and comes out as other words (issue 12). So a final is decoded
with the last seconds of the leg's previous final in front of it: that audio goes into the encoder window
(which has room: it is padded up to 8-10 s anyway), and the previous final's words for exactly that audio
are forced as the decoder prefix, so the model continues the sentence and emits only the new words.
The audio cut is at a word start taken from the previous final's word timestamps, so prefix and audio
agree. A short gap of silence separates the two, like the pause that was there.

Only the utterance just before, once decoded, gives context (its words are needed); if it is still in
flight when the next final is requested, that final is decoded alone (rare at real-time pace).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asr.types import SAMPLE_RATE, Audio, WordTiming


def _none() -> Audio:
    return np.zeros(0, dtype=np.float32)


@dataclass(frozen=True, slots=True, eq=False)
class Context:
    """Audio to put before a request's own audio, and the text of that audio (the decoder prefix)."""

    audio: Audio = field(default_factory=_none)
    prefix: str = ""


@dataclass(slots=True)
class LegContext:
    """Remembers the audio of a leg's finals in flight and the context the latest decoded one gives."""

    max_s: float
    """Most context audio in seconds (0 = off); cut at a word start, so usually a little less."""
    gap_s: float = 0.3
    """Silence between the context and the new audio."""
    min_words: int = 2
    """A previous final with fewer words gives no context (an "okay" says little and risks a loop)."""
    _in_flight: dict[str, Audio] = field(default_factory=dict)
    _context: Context = field(default_factory=Context)
    _last_uid: str | None = None  # the final requested last
    _context_uid: str | None = None  # the final `_context` comes from

    def for_request(self, uid: str, audio: Audio) -> Context:
        """The context for a final about to be requested: only the utterance just before it, once decoded
        (older audio would not join up with this one). Remembers its audio for when it is decoded."""
        if self.max_s <= 0:
            return Context()
        ready = self._context_uid is not None and self._context_uid == self._last_uid
        self._in_flight[uid] = audio
        self._last_uid = uid
        return self._context if ready else Context()

    def decoded(self, uid: str, text: str, words: tuple[WordTiming, ...]) -> None:
        """A final came back: its tail becomes the context of the next one (nothing if it was empty)."""
        audio = self._in_flight.pop(uid, None)
        if audio is None or self.max_s <= 0:
            return
        self._context = tail_context(audio, words, self.max_s, self.gap_s, self.min_words) if text else Context()
        self._context_uid = uid


def tail_context(
    audio: Audio, words: tuple[WordTiming, ...], max_s: float, gap_s: float, min_words: int = 2
) -> Context:
    """All of `audio` if it lasts <= `max_s`, else its tail from the first word starting in the last `max_s`
    seconds; with the words said in it."""
    if len(words) < min_words:
        return Context()
    seconds = len(audio) / SAMPLE_RATE
    first = 0 if seconds <= max_s else next((k for k, w in enumerate(words) if w.start >= seconds - max_s), len(words))
    if first >= len(words):
        return Context()
    # the whole utterance when it fits: word times drift on small models, a cut may not match its words
    cut = 0 if not first else max(0, int((words[first].start - 0.05) * SAMPLE_RATE))
    gap = np.zeros(int(gap_s * SAMPLE_RATE), dtype=np.float32)
    prefix = " ".join(w.word for w in words[first:])
    return Context(np.concatenate([audio[cut:], gap]).astype(np.float32), prefix)


def _key(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


def context_split(text: str, prefix: str) -> int:
    """How many leading words of `text` (a decode of context + utterance) are the context's words.

    The split minimises the word edit distance between `text`'s head and `prefix` (ties: the shorter
    head, so a new word is never dropped for nothing). Word timestamps cannot do this on small models:
    tiny.en's alignment was seen to put a word up to a second early.
    """
    words = [_key(w) for w in text.split()]
    ref = [_key(w) for w in prefix.split()]
    if not ref:
        return 0
    # row[j]: distance between words[:k] and ref[:j]; we need, for every k, the distance to all of ref
    row = list(range(len(ref) + 1))
    best_k, best = 0, row[-1]
    for k, w in enumerate(words, start=1):
        new = [k] + [0] * len(ref)
        for j, r in enumerate(ref, start=1):
            new[j] = min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (w != r))
        row = new
        if row[-1] < best:
            best_k, best = k, row[-1]
    return best_k
