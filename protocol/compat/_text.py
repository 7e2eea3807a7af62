"""Text shapes shared by the compatible APIs: Deepgram's plain words, OpenAI's stable deltas."""

from __future__ import annotations

import re

__all__ = ["plain_text", "plain_word", "stable_delta"]

_TOKEN = re.compile(r"\[[A-Z_:0-9]+\]")  # a redaction token such as [PHONE] or [NAME_1] stays as it is
_PUNCTUATION = re.compile(r"[^\w\s'\-\[\]:]", re.UNICODE)


def plain_word(word: str) -> str:
    """A word as Deepgram writes it without ``punctuate``: lowercase, no punctuation (tokens kept)."""
    word = word.strip()
    if _TOKEN.fullmatch(word.rstrip(".,!?;")):
        return word.rstrip(".,!?;")
    return _PUNCTUATION.sub("", word).strip("-'").lower()


def plain_text(text: str) -> str:
    """A transcript in Deepgram's unpunctuated shape: the plain words joined by single spaces."""
    return " ".join(w for w in (plain_word(part) for part in text.split()) if w)


def stable_delta(sent: str, text: str, stable_chars: int) -> str:
    """What extends ``sent`` towards the stable prefix of ``text`` ("" when nothing does).

    Deltas never retract: when the stable prefix no longer starts with what was sent, nothing more is
    sent until the final (whose transcript is authoritative).
    """
    stable = text[:stable_chars]
    if len(stable) <= len(sent) or not stable.startswith(sent):
        return ""
    return stable[len(sent) :]
