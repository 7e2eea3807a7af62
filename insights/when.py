"""When an agreement is due: Dutch and English time expressions -> a wall-clock range from the call start.

"morgen tussen acht en tien" -> [tomorrow 08:00, tomorrow 10:00]; "by Friday" -> [call start, Friday
23:59:59] (a deadline); "om half drie" -> today 14:30 (or tomorrow when already past). Number words are
turned into digits by `text2num`, explicit dates ("15 december", "January 3rd") are parsed by
`dateparser`; weekdays, relative days, day parts and ranges are our own rules below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache

from insights.model import Due

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
_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
}
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
_DEADLINE = {"nl": r"(?:voor|vóór|uiterlijk|ten laatste|binnen)", "en": r"(?:by|before|no later than|within)"}
_NUM = r"(\d{1,2}|[a-zé]+)"


@dataclass(frozen=True, slots=True)
class _Day:
    first: date
    last: date
    deadline: bool


def _hour(token: str, language: str) -> int | None:
    if token.isdigit():
        return int(token)
    return (_HOURS_NL if language == "nl" else _HOURS_EN).get(token)


def _business(h: int, pm: bool | None) -> int:
    if pm is True and h < 12:
        return h + 12
    if pm is None and 1 <= h <= 6:
        return h + 12  # "between two and four": office hours, so the afternoon
    return h


def _normalise(text: str, language: str) -> str:
    from text_to_num import alpha2digit

    lowered = " ".join(text.lower().replace("\u2019", "'").split())
    return str(alpha2digit(lowered, language))


def _add_business_days(start: date, n: int) -> date:
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def _weekday(text: str, language: str, today: date) -> _Day | None:
    names = _WEEKDAYS[language]
    m = re.search(r"\b(" + "|".join(names) + r")\b", text)
    if m is None:
        return None
    target = names.index(m.group(1))
    ahead = (target - today.weekday()) % 7 or 7
    nxt = r"volgende week" if language == "nl" else r"next week|a week on"
    if re.search(nxt, text) and ahead < 7 - today.weekday():
        ahead += 7
    day = today + timedelta(days=ahead)
    deadline = (
        re.search(_DEADLINE[language] + r"\s+(?:(?:aanstaande|komende|this|next|coming)\s+)?" + m.group(1), text)
        is not None
    )
    return _Day(day, day, deadline)


def _relative(text: str, language: str, today: date) -> _Day | None:
    nl = language == "nl"
    m = re.search(
        r"binnen " + _NUM + r" (werkdag|werkdagen|dag|dagen|week|weken)\b"
        if nl
        else r"within " + _NUM + r" (working days?|business days?|days?|weeks?)\b",
        text,
    )
    if m and (n := _hour(m.group(1), language)) is not None:
        unit = m.group(2)
        if unit.startswith(("werk", "working", "business")):
            return _Day(today, _add_business_days(today, n), True)
        return _Day(today, today + timedelta(days=n * (7 if unit.startswith("we") else 1)), True)
    m = re.search(r"over " + _NUM + r" (dag|dagen|week|weken)\b" if nl else r"in " + _NUM + r" (days?|weeks?)\b", text)
    if m and (n := _hour(m.group(1), language)) is not None:
        d = today + timedelta(days=n * (7 if m.group(2).startswith("we") else 1))
        return _Day(d, d, False)
    table = (
        (
            ("overmorgen", 2),
            ("morgen(?:ochtend|middag|avond)?", 1),
            ("vandaag", 0),
            ("vanavond", 0),
            ("vanmiddag", 0),
            ("vanochtend", 0),
            ("vanmorgen", 0),
            ("straks", 0),
        )
        if nl
        else (
            ("day after tomorrow", 2),
            ("tomorrow", 1),
            ("today", 0),
            ("tonight", 0),
            ("this afternoon", 0),
            ("this evening", 0),
            ("this morning", 0),
            ("later on", 0),
        )
    )
    for word, offset in table:
        if re.search(r"\b" + word + r"\b", text):
            d = today + timedelta(days=offset)
            return _Day(d, d, re.search(_DEADLINE[language] + r"\s+" + word, text) is not None)
    return _week(text, language, today)


def _week(text: str, language: str, today: date) -> _Day | None:
    friday = today + timedelta(days=(4 - today.weekday()) % 7)
    ends = (
        r"eind(e)? van (de|deze) week|voor het weekend|deze week"
        if language == "nl"
        else r"end of (the|this) week|before the weekend|this week"
    )
    if re.search(ends, text):
        return _Day(today, friday, True)
    if re.search(r"volgende week|komende week" if language == "nl" else r"next week", text):
        monday = today + timedelta(days=7 - today.weekday())
        return _Day(
            monday,
            monday + timedelta(days=4),
            re.search(
                _DEADLINE[language] + r" (?:het eind van )?"
                r"(?:volgende|komende|next) week",
                text,
            )
            is not None,
        )
    return None


@cache
def _month_words() -> re.Pattern[str]:
    months = (
        "januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
        "january|february|march|may|june|july|august|october"
    )
    return re.compile(
        r"\b(\d{1,2})(?:st|nd|rd|th|e|ste|de)?(?: of)? ("
        + months
        + r")\b|\b("
        + months
        + r") (\d{1,2})(?:st|nd|rd|th)?\b"
    )


def _explicit(text: str, language: str, now: datetime) -> _Day | None:
    m = _month_words().search(text)
    if m is None:
        return None
    import dateparser

    parsed = dateparser.parse(
        m.group(0),
        languages=[language],
        settings={"RELATIVE_BASE": now.replace(tzinfo=None), "PREFER_DATES_FROM": "future"},
    )
    if parsed is None:
        return None
    deadline = re.search(_DEADLINE[language] + r"\s+(?:de |the )?" + re.escape(m.group(0)), text) is not None
    return _Day(parsed.date(), parsed.date(), deadline)


def _clock(text: str, language: str) -> tuple[time, time] | None:
    """A time window said in the utterance, or None."""
    nl = language == "nl"
    between = (
        r"(?:tussen|van) " + _NUM + r"(?: uur)? (?:en|tot) " + _NUM + r"(?: uur)?"
        if nl
        else r"(?:between|from) "
        + _NUM
        + r"(?::(\d\d))? ?(am|pm)? (?:and|to|till|until) "
        + _NUM
        + r"(?::(\d\d))? ?(am|pm)?"
    )
    m = re.search(between, text)
    if m:
        groups = m.groups()
        a_tok, b_tok = (groups[0], groups[1]) if nl else (groups[0], groups[3])
        pm = None if nl else (groups[5] == "pm" if groups[5] else None)
        a, b = _hour(a_tok, language), _hour(b_tok, language)
        if a is not None and b is not None and a <= 12 and b <= 12:
            a, b = _business(a, pm), _business(b, pm)
            if b < a:
                b += 12
            return time(min(a, 23)), time(min(b, 23))
    return _at(text, language)


def _at(text: str, language: str) -> tuple[time, time] | None:
    nl = language == "nl"
    m = re.search(r"\bhalf " + _NUM + r"\b", text) if nl else re.search(r"\bhalf past " + _NUM + r"\b", text)
    if m and not nl and (h := _hour(m.group(1), language)) is not None:
        h = _business(h, None)
        return time(h, 30), time(h, 30)
    if m and nl and (h := _hour(m.group(1), language)) is not None:
        h = _business((h - 1) % 12 or 12, None)
        return time(h, 30), time(h, 30)
    pattern = (
        r"\b(om|voor|vóór|na) " + _NUM + r"(?:[.:](\d\d))? uur\b|\b(om|voor|vóór) (\d{1,2})[.:](\d\d)\b"
        if nl
        else r"\b(at|by|before|after) " + _NUM + r"(?::(\d\d))? ?(am|pm|o'clock|a\.m\.|p\.m\.)?"
    )
    for m in re.finditer(pattern, text):
        word, tok, minute = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5), m.group(6))
        suffix = None if nl else m.group(4)
        if not nl and suffix is None and not tok.isdigit() and tok not in _HOURS_EN:
            continue
        if not nl and suffix is None and tok in ("a", "an"):
            continue
        h = _hour(tok, language)
        if h is None or h > 23:
            continue
        pm = None if suffix in (None, "o'clock") else suffix.startswith("p")
        h = _business(h, pm) if h <= 12 else h
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


def due(text: str, language: str, now: datetime) -> Due | None:
    """The due range of a commitment said at `now` (aware datetime), or None when it names no time."""
    norm = _normalise(text, language)
    today = now.date()
    day = _explicit(norm, language, now) or _weekday(norm, language, today) or _relative(norm, language, today)
    window = _clock(norm, language)
    if day is None and window is None:
        return None
    if day is None:
        assert window is not None
        start = datetime.combine(today, window[1], now.tzinfo)
        day = _Day(today, today, False) if start >= now else _Day(today + timedelta(1), today + timedelta(1), False)
    if day.deadline and window is None:
        first = now
    else:
        first = datetime.combine(day.first, window[0] if window else time(0), now.tzinfo)
    last = datetime.combine(day.last, window[1] if window else time(23, 59, 59), now.tzinfo)
    first = max(first, now.replace(microsecond=0))  # nothing is due before it was agreed
    if last < first:  # "sinds vanochtend", "this morning" said in the afternoon: the past, not a due time
        return None
    return Due(first.isoformat(timespec="seconds"), last.isoformat(timespec="seconds"))
