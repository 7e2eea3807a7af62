"""Audio context across one leg's utterances (pure): what came before a final, for the encoder and decoder.

Theory of operation: a long turn with pauses is cut by the endpointer into short utterances; decoded
alone, a short phrase loses its context and comes out as other words (issue 12). So a final is decoded
with the last seconds of the leg's previous final in front of it: that audio goes into the encoder window
(which has room: it is padded up to 8-10 s anyway), and the previous final's words for exactly that audio
are forced as the decoder prefix, so the model continues the sentence and emits only the new words.
The audio cut is at a word start taken from the previous final's word timestamps, so prefix and audio
agree. A short gap of silence separates the two, like the pause that was there.

Context is only taken from the utterance just before, and only when this one starts at most `max_gap_s`
after it ended (the same speaker going on after a pause) and is short (at most `max_utterance_s`: a
longer one carries its own context, and its window is long already). A leg's next turn in a dialogue
comes after the other party's turn and is decoded alone (nothing to wait for, nothing to carry over).
When the utterance just before is still decoding, the new final waits for it (`request` answers None and
`decoded` hands the context over): the cost is at most one decode, and only inside a turn that paused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asr.guards import word_key
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
    max_gap_s: float = 2.0
    """Longest pause between two utterances for the second to be decoded as the first one's continuation."""
    max_utterance_s: float = 4.0
    """A longer utterance carries its own context and is decoded alone (its window is long already)."""
    gap_s: float = 0.3
    """Silence between the context and the new audio."""
    min_words: int = 2
    """A previous final with fewer words gives no context (an "okay" says little and risks a loop)."""
    _in_flight: dict[str, Audio] = field(default_factory=dict)
    _waiting: dict[str, str] = field(default_factory=dict)  # final in flight -> the final waiting for it
    _last: tuple[str, int] | None = None  # the final requested last: (uid, its end on the leg clock)
    _decoded: tuple[str, Context] | None = None  # the final decoded last and the context it gives

    def request(self, uid: str, audio: Audio, start: int) -> Context | None:
        """The context for a final about to be requested (`start`: its first sample on the leg clock), or
        None: the final just before is still decoding and this one should wait for `decoded` of it."""
        ctx = self.peek(len(audio), start)
        if self.max_s <= 0:
            return ctx
        last, self._last = self._last, (uid, start + len(audio))
        self._in_flight[uid] = audio
        if ctx is None and last is not None:
            self._waiting[last[0]] = uid
        return ctx

    def peek(self, samples: int, start: int) -> Context | None:
        """What `request` would answer now for a final of `samples` samples at `start`, without requesting it;
        None where it would wait (the final before it is still decoding)."""
        if self.max_s <= 0:
            return Context()
        last = self._last
        if (
            last is None
            or samples > self.max_utterance_s * SAMPLE_RATE
            or start - last[1] > self.max_gap_s * SAMPLE_RATE
        ):
            return Context()
        if last[0] in self._in_flight:
            return None
        return self._decoded[1] if self._decoded is not None and self._decoded[0] == last[0] else Context()

    def decoded(self, uid: str, text: str, words: tuple[WordTiming, ...]) -> tuple[str, Context] | None:
        """A final came back ("" if empty or failed): its tail becomes the context of the next one. Returns
        the final waiting for it (`request` answered None for that one) and its context, else None."""
        audio = self._in_flight.pop(uid, None)
        if audio is None:
            return None
        ctx = tail_context(audio, words, self.max_s, self.gap_s, self.min_words) if text else Context()
        self._decoded = (uid, ctx)
        waiter = self._waiting.pop(uid, None)
        return None if waiter is None else (waiter, ctx)


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


def context_split(text: str, prefix: str) -> int:
    """How many leading words of `text` (a decode of context + utterance) are the context's words.

    The split minimises the word edit distance between `text`'s head and `prefix` (ties: the shorter
    head, so a new word is never dropped for nothing). Word timestamps cannot do this on small models:
    tiny.en's alignment was seen to put a word up to a second early.
    """
    words = [word_key(w) for w in text.split()]
    ref = [word_key(w) for w in prefix.split()]
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
