"""Times of day said in Dutch or English: "tussen acht en tien", "om half drie", "at 10 am", "before 5",
"'s ochtends", "this afternoon" -> a (start, end) window. Hours said without am/pm from 1 to 6 are taken
as office hours in the afternoon ("between two and four" is 14:00-16:00).
"""

from __future__ import annotations

import re
from datetime import time

_HOURS_NL = {
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
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
}
_HOURS_EN = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a": 1,
    "an": 1,
}
NUM = r"(\d{1,2}|[a-zé]+)"
_PARTS = {"morning": (8, 12), "afternoon": (12, 17), "evening": (18, 22)}
_PART_WORDS = {
    "nl": (
        ("ochtend", "morning"),
        ("morgens", "morning"),
        ("vanochtend", "morning"),
        ("vanmorgen", "morning"),
        ("middag", "afternoon"),
        ("middags", "afternoon"),
        ("avond", "evening"),
        ("avonds", "evening"),
    ),
    "en": (("morning", "morning"), ("afternoon", "afternoon"), ("evening", "evening"), ("tonight", "evening")),
}


def hour(token: str, language: str) -> int | None:
    if token.isdigit():
        return int(token)
    return (_HOURS_NL if language == "nl" else _HOURS_EN).get(token)


def business(h: int, pm: bool | None) -> int:
    if pm is True and h < 12:
        return h + 12
    if pm is None and 1 <= h <= 6:
        return h + 12  # "between two and four": office hours, so the afternoon
    return h


def window(text: str, language: str) -> tuple[time, time] | None:
    """A time window said in the utterance, or None."""
    nl = language == "nl"
    between = (
        r"(?:tussen|van) " + NUM + r"(?: uur)? (?:en|tot) " + NUM + r"(?: uur)?"
        if nl
        else r"(?:between|from) "
        + NUM
        + r"(?::(\d\d))? ?(am|pm)? (?:and|to|till|until) "
        + NUM
        + r"(?::(\d\d))? ?(am|pm)?"
    )
    m = re.search(between, text)
    if m:
        groups = m.groups()
        a_tok, b_tok = (groups[0], groups[1]) if nl else (groups[0], groups[3])
        pm = None if nl else (groups[5] == "pm" if groups[5] else None)
        a, b = hour(a_tok, language), hour(b_tok, language)
        if a is not None and b is not None and a <= 12 and b <= 12:
            a, b = business(a, pm), business(b, pm)
            if b < a:
                b += 12
            return time(min(a, 23)), time(min(b, 23))
    return _at(text, language)


def _at(text: str, language: str) -> tuple[time, time] | None:
    nl = language == "nl"
    m = re.search(r"\bhalf " + NUM + r"\b", text) if nl else re.search(r"\bhalf past " + NUM + r"\b", text)
    if m and not nl and (h := hour(m.group(1), language)) is not None:
        h = business(h, None)
        return time(h, 30), time(h, 30)
    if m and nl and (h := hour(m.group(1), language)) is not None:
        h = business((h - 1) % 12 or 12, None)
        return time(h, 30), time(h, 30)
    pattern = (
        r"\b(om|voor|vóór|na) " + NUM + r"(?:[.:](\d\d))? uur\b|\b(om|voor|vóór) (\d{1,2})[.:](\d\d)\b"
        if nl
        else r"\b(at|by|before|after) " + NUM + r"(?::(\d\d))? ?(am|pm|o'clock|a\.m\.|p\.m\.)?"
    )
    for m in re.finditer(pattern, text):
        word, tok, minute = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        suffix = None if nl else m.group(4)
        if not nl and suffix is None and not tok.isdigit() and tok not in _HOURS_EN:
            continue
        if not nl and suffix is None and tok in ("a", "an"):
            continue
        h = hour(tok, language)
        if h is None or h > 23:
            continue
        pm = None if suffix in (None, "o'clock") else suffix.startswith("p")
        h = business(h, pm) if h <= 12 else h
        at = time(h, int(minute or 0))
        if word in ("voor", "vóór", "by", "before"):
            return time(0), at
        if word in ("na", "after"):
            return at, time(23, 59, 59)
        return at, at
    if re.search(r"voor de middag|voor 12 uur|before noon|before lunch|voor de lunch", text):
        return time(0), time(12)
    return _part(text, language)


def _part(text: str, language: str) -> tuple[time, time] | None:
    for word, part in _PART_WORDS[language]:
        if re.search(r"\b" + word + r"\b", text) or (language == "nl" and word in text):
            a, b = _PARTS[part]
            return time(a), time(b)
    return None
