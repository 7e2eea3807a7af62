"""Spoken-number normalisation for English and Dutch transcripts.

Theory of operation
-------------------
Whisper writes numbers either as digits ("06 12345678") or as words ("oh six one two",
"zes twaalf vierendertig", "nineteen eighty-five").  The detectors only want to reason about digits,
so :func:`normalise` rewrites every run of number words as digits and copies everything else verbatim.
Each character of the normalised text remembers the original character range it came from, so a
match in the normalised text maps back to exact offsets in the original text.

A run of number words (joined by spaces or hyphens) is parsed into *groups*: a cardinal such as
"twenty one" (21), "nineteen hundred and five" (1905), "vierentwintig" (24), a repeat such as
"double five" (55), or a single digit word.  The groups of one run are concatenated, because people
read phone numbers, postcodes and years in chunks: "oh six twelve" -> "0612", "nineteen eighty five"
-> "1985".  Ambiguous words ("oh", "o", "one", Dutch "een" = "a") count only inside a run that has
an unambiguous number word.  Ordinals ("twelfth", "twaalfde") are converted only next to a month
name, so "first" in "first name" stays a word.  "plus" before a number becomes "+".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MONTHS", "Normalised", "is_number_word", "nl_cardinal", "normalise"]

_UNITS_EN = {
    "zero": 0,
    "nought": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS_EN = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS_EN = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNITS_NL = {
    "nul": 0,
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
}
_TEENS_NL = {
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
}
_TENS_NL = {
    "twintig": 20,
    "dertig": 30,
    "veertig": 40,
    "vijftig": 50,
    "zestig": 60,
    "zeventig": 70,
    "tachtig": 80,
    "negentig": 90,
}
_ORD_EN = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
_ORD_NL_SPECIAL = {"eerste": 1, "derde": 3, "achtste": 8}
_MULT = {"hundred": 100, "honderd": 100, "thousand": 1000, "duizend": 1000}
_REPEAT = {"double": 2, "dubbel": 2, "dubbele": 2, "triple": 3}
_AMBIGUOUS = frozenset({"oh", "o", "one", "een"})
_AND = frozenset({"and", "en"})
_PLUS = frozenset({"plus"})
MONTHS: dict[str, int] = {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "may": 5,
    "june": 6,
    "july": 7,
    "august": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
    "januari": 1,
    "februari": 2,
    "maart": 3,
    "mei": 5,
    "juni": 6,
    "juli": 7,
    "augustus": 8,
    "oktober": 10,
}
_NL_COMPOUND = re.compile(
    r"(een|één|twee|drie|vier|vijf|zes|zeven|acht|negen)(?:en|ën)"
    r"(twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig)"
)
_TOKEN = re.compile(r"\d+|[^\W\d_]+|\S")
_DASHES = frozenset({"dash", "hyphen", "streepje"})
_JOINER = re.compile(r"[\s-]*(?:(?:dash|hyphen|streepje)[\s-]*)?", re.IGNORECASE)
_SIMPLE = {**_UNITS_EN, **_TEENS_EN, **_TENS_EN, "oh": 0, "o": 0}
_NL_SIMPLE = {**_UNITS_NL, **_TEENS_NL, **_TENS_NL}
_CHAIN_GAP = re.compile(r"\s*[,-]?\s*")
_CHAIN_MIN = 3


def nl_cardinal(word: str) -> int | None:
    """Value of one Dutch number word, compounds included ("vierentwintig", "negentienhonderd")."""
    if word in _NL_SIMPLE:
        return _NL_SIMPLE[word]
    for name, mult in (("duizend", 1000), ("honderd", 100)):
        head, found, tail = word.partition(name)
        if found:
            high = 1 if not head else nl_cardinal(head)
            low = 0 if not tail else nl_cardinal(tail)
            if high is None or low is None or low >= mult:
                return None
            return high * mult + low
    match = _NL_COMPOUND.fullmatch(word)
    if match:
        return _NL_SIMPLE[match.group(1)] + _NL_SIMPLE[match.group(2)]
    return None


def _ordinal(word: str) -> int | None:
    """Value of an English or Dutch ordinal word up to 31, or None."""
    if word in _ORD_EN:
        return _ORD_EN[word]
    if word in _ORD_NL_SPECIAL:
        return _ORD_NL_SPECIAL[word]
    for suffix in ("ste", "de"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            value = nl_cardinal(word[: -len(suffix)])
            if value is not None and 0 < value <= 31:
                return value
    return None


@dataclass(frozen=True, slots=True)
class _Word:
    """One classified token: role is card, mult, rep, and, plus, ord or other."""

    role: str
    value: int
    start: int
    end: int
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text plus, for each of its characters, the original ``[start, end)`` range.

    ``groups`` are the ``[start, end)`` ranges (in the normalised text) of the digits each spoken
    group became ("ten thirty" -> "1030" has groups "10" and "30"); written digits are not listed.
    """

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    groups: tuple[tuple[int, int], ...] = ()

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised range ``[start, end)`` (non-empty) to the original text."""
        return self.starts[start], self.ends[end - 1]


class _Builder:
    def __init__(self) -> None:
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.groups: list[tuple[int, int]] = []

    def add(self, piece: str, start: int, end: int) -> None:
        self.chars.extend(piece)
        self.starts.extend([start] * len(piece))
        self.ends.extend([end] * len(piece))

    def copy(self, text: str, start: int, end: int) -> None:
        for i in range(start, end):
            self.add(text[i], i, i + 1)

    def build(self) -> Normalised:
        return Normalised("".join(self.chars), tuple(self.starts), tuple(self.ends), tuple(self.groups))


def _classify(word: str, start: int, end: int, near_month: bool) -> _Word:
    low = word.lower()
    if low in _MULT:
        return _Word("mult", _MULT[low], start, end)
    value = _SIMPLE.get(low)
    if value is None:
        value = nl_cardinal(low)
    if value is not None:
        return _Word("card", value, start, end, low in _AMBIGUOUS)
    if low in _REPEAT:
        return _Word("rep", _REPEAT[low], start, end)
    if low in _AND:
        return _Word("and", 0, start, end)
    if low in _PLUS:
        return _Word("plus", 0, start, end)
    ordinal = _ordinal(low) if near_month else None
    if ordinal is not None:
        return _Word("ord", ordinal, start, end)
    return _Word("other", 0, start, end)


def _small(words: list[_Word], i: int) -> tuple[int | None, int]:
    """Parse a number below 100 at ``words[i]``: unit, teen, tens, tens+unit (cardinal or ordinal)."""
    if i >= len(words) or words[i].role not in ("card", "ord"):
        return None, i
    value = words[i].value
    if value >= 20 and value % 10 == 0 and i + 1 < len(words):
        nxt = words[i + 1]
        if nxt.role in ("card", "ord") and 1 <= nxt.value <= 9:
            return value + nxt.value, i + 2
    return value, i + 1


def _cardinal(words: list[_Word], i: int) -> tuple[str, int]:
    """Parse one group starting at ``words[i]``; return its digits and the next index."""
    word = words[i]
    if word.role == "rep" and i + 1 < len(words) and words[i + 1].role == "card" and words[i + 1].value <= 9:
        return str(words[i + 1].value) * word.value, i + 2
    if word.role == "plus":
        return "+", i + 1
    if word.value >= 100 and word.role == "card":  # a Dutch compound such as "negentienhonderd"
        rest, k = _small(words, i + 1) if word.value % 100 == 0 else (None, i + 1)
        return str(word.value + (rest or 0)), k
    value, j = _small(words, i)
    total, current = 0, value  # "one thousand seven hundred and five": 1000 + (7 * 100 + 5)
    while j < len(words) and words[j].role == "mult":
        base = 1 if current is None else current
        if words[j].value >= 1000:
            total, current = total + base * words[j].value, None
        else:
            current = base * words[j].value
        j += 1
        if j < len(words) and words[j].role == "and":
            j += 1
        rest, k = _small(words, j)
        if rest is not None and k > j:
            current = (current or 0) + rest
            j = k
    if value is None and j == i:
        return "", i + 1
    return str(total + (current or 0)), j


def _emit_run(builder: _Builder, run: list[_Word]) -> None:
    i = 0
    while i < len(run):
        digits, j = _cardinal(run, i)
        j = max(j, i + 1)
        if digits.isdigit():
            builder.groups.append((len(builder.chars), len(builder.chars) + len(digits)))
        builder.add(digits, run[i].start, run[j - 1].end)
        i = j


def _is_number_run(run: list[_Word]) -> bool:
    return any(w.role in ("card", "ord") and not w.ambiguous for w in run) or any(
        w.role in ("rep", "mult") for w in run
    )


def _trim(run: list[_Word]) -> list[_Word]:
    """Drop trailing connector words ("and", "plus") that end a run without a number after them."""
    while run and run[-1].role in ("and", "plus", "rep", "mult"):
        if run[-1].role == "mult" and len(run) > 1:
            break
        run = run[:-1]
    while run and run[0].role in ("and", "mult"):
        run = run[1:]
    return run


def normalise(text: str) -> Normalised:
    """Rewrite spoken numbers in ``text`` as digits, keeping a map back to the original offsets."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    month_at = {i for i, (tok, _, _) in enumerate(tokens) if tok.lower() in MONTHS}
    token_at = {start: k for k, (_, start, _) in enumerate(tokens)}
    builder = _Builder()
    pos = 0
    i = 0
    while i < len(tokens):
        run, j = _collect_run(text, tokens, i, month_at)
        run = _trim(run)
        if run and (_is_number_run(run) or _dictated(text, tokens, token_at, run)):
            builder.copy(text, pos, run[0].start)
            _emit_run(builder, run)
            pos = run[-1].end
            i = max(j, i + 1)
            while i < len(tokens) and tokens[i][1] < pos:
                i += 1
        else:
            i += 1
    builder.copy(text, pos, len(text))
    return builder.build()


def _collect_run(text: str, tokens: list[tuple[str, int, int]], i: int, month_at: set[int]) -> tuple[list[_Word], int]:
    """Collect the maximal run of number-ish words from token ``i`` (spaces/hyphens between)."""
    run: list[_Word] = []
    j = i
    while j < len(tokens):
        tok, start, end = tokens[j]
        if run and (tok == "-" or tok.lower() in _DASHES):
            j += 1
            continue
        near = any(k in month_at for k in range(j - 2, j + 4))
        word = _classify(tok, start, end, near)
        if word.role == "other" or tok.isdigit():
            break
        if word.role == "and" and (not run or run[-1].role != "mult"):
            break
        if run and not _JOINER.fullmatch(text[run[-1].end : start]):
            break
        run.append(word)
        j += 1
    return run, j


def _single_digit(token: str) -> bool:
    """Whether ``token`` is one dictated digit: "7", "seven", "zeven", "one", "oh"."""
    if token.isdigit():
        return token.isascii() and len(token) == 1
    low = token.lower()
    value = _SIMPLE.get(low)
    if value is None:
        value = nl_cardinal(low)
    return value is not None and value <= 9


def _chain_neighbour(text: str, tokens: list[tuple[str, int, int]], k: int, step: int) -> int | None:
    """The single-digit token next to ``tokens[k]`` (``step`` -1: before, +1: after), or None.

    The two may be separated by spaces and at most one comma or hyphen ("five, one", "1-6").
    """
    n = k + step
    if 0 <= n < len(tokens) and tokens[n][0] in (",", "-"):
        n += step
    if not 0 <= n < len(tokens) or not _single_digit(tokens[n][0]):
        return None
    low, high = min(k, n), max(k, n)
    return n if _CHAIN_GAP.fullmatch(text[tokens[low][2] : tokens[high][1]]) else None


def _dictated(text: str, tokens: list[tuple[str, int, int]], token_at: dict[int, int], run: list[_Word]) -> bool:
    """Whether a run of ambiguous words ("one", "oh", "een") sits in a digit-by-digit dictation.

    It does when it is part of a chain of at least ``_CHAIN_MIN`` single digits (written or spoken,
    joined by spaces, commas or hyphens) of which at least one is not ambiguous: "one 3 6 1 ...",
    "five, one, six". "that one", "no one", "een 06-nummer" and the letter "o" stay words.
    """
    if not all(w.role == "card" and w.value <= 9 and w.end - w.start > 1 for w in run):
        return False  # a lone "o" is more often a spelled letter ("R A B O, eight ...")
    count, plain = len(run), False
    for k, step in ((token_at[run[0].start], -1), (token_at[run[-1].start], 1)):
        while (n := _chain_neighbour(text, tokens, k, step)) is not None:
            count += 1
            plain = plain or tokens[n][0].lower() not in _AMBIGUOUS
            k = n
    return count >= _CHAIN_MIN and plain


def is_number_word(word: str) -> bool:
    """Whether ``word`` can be part of a spoken number ("oh", "twaalf", "hundred", "double", "plus")."""
    low = word.lower()
    if low in _SIMPLE or low in _MULT or low in _REPEAT or low in _PLUS:
        return True
    return nl_cardinal(low) is not None or _ordinal(low) is not None
