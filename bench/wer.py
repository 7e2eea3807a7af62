"""Word error rate with one text normaliser for references, streamed finals and offline output alike.

Normalisation: case folded; punctuation removed (hyphens split words); a few spoken forms unified
(English titles "mr" -> "mister"; "20th" -> "twentieth"); integers written as words in English or Dutch,
so "4 5 7" and "four five seven" compare equal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import jiwer

EN_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NL_UNITS = [
    "nul",
    "een",
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "zeven",
    "acht",
    "negen",
    "tien",
    "elf",
    "twaalf",
    "dertien",
    "veertien",
    "vijftien",
    "zestien",
    "zeventien",
    "achttien",
    "negentien",
]
NL_TENS = ["_", "_", "twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig"]
_EN_ORD = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_TITLES = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}


def number_words(n: int, language: str) -> str:
    """An integer below one million in words (English or Dutch)."""
    if n < 0:
        return ("minus " if language == "en" else "min ") + number_words(-n, language)
    units, tens = (EN_UNITS, EN_TENS) if language == "en" else (NL_UNITS, NL_TENS)
    if n < 20:
        return units[n]
    if n < 100:
        t, u = divmod(n, 10)
        if not u:
            return tens[t]
        return f"{tens[t]} {units[u]}" if language == "en" else f"{units[u]}en{tens[t]}"
    if n < 1000:
        h, rest = divmod(n, 100)
        head = f"{units[h]} hundred" if language == "en" else ("honderd" if h == 1 else f"{units[h]}honderd")
        return head + (f" {number_words(rest, language)}" if rest else "")
    if n < 1_000_000:
        k, rest = divmod(n, 1000)
        head = (
            f"{number_words(k, language)} thousand"
            if language == "en"
            else ("duizend" if k == 1 else f"{number_words(k, language)}duizend")
        )
        return head + (f" {number_words(rest, language)}" if rest else "")
    return " ".join(number_words(int(d), language) for d in str(n))


def _ordinal(n: int) -> str:
    words = number_words(n, "en").split()
    last = words[-1]
    if last in _EN_ORD:
        words[-1] = _EN_ORD[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def normalize(text: str, language: str = "en") -> str:
    """The comparable form of a transcript."""
    t = text.lower().replace("-", " ")
    if language == "en":
        t = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: _ordinal(int(m.group(1))), t)
    t = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", t)
    t = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()), language)} ", t)
    t = re.sub(r"[^\w\s']", " ", t).replace("'", "")
    words = [_TITLES.get(w, w) if language == "en" else w for w in t.split()]
    return " ".join(words)


def wer(references: Sequence[str], hypotheses: Sequence[str], language: str = "en") -> float:
    """Corpus WER (total edits over total reference words) after normalisation."""
    refs = [normalize(r, language) for r in references]
    hyps = [normalize(h, language) for h in hypotheses]
    return float(jiwer.wer(refs, hyps))
