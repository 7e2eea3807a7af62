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

from insights import clock
from insights.clock import NUM, hour
from insights.model import Due

_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
}
_DEADLINE = {"nl": r"(?:voor|vóór|uiterlijk|ten laatste|binnen)", "en": r"(?:by|before|no later than|within)"}


_DAY_WORDS = {  # word -> days from the call's day
    "nl": (
        ("overmorgen", 2),
        ("morgen(?:ochtend|middag|avond)?", 1),
        ("vandaag", 0),
        ("vanavond", 0),
        ("vanmiddag", 0),
        ("vanochtend", 0),
        ("vanmorgen", 0),
        ("straks", 0),
    ),
    "en": (
        ("day after tomorrow", 2),
        ("tomorrow", 1),
        ("today", 0),
        ("tonight", 0),
        ("this afternoon", 0),
        ("this evening", 0),
        ("this morning", 0),
        ("later on", 0),
    ),
}


@dataclass(frozen=True, slots=True)
class _Day:
    first: date
    last: date
    deadline: bool


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
        r"binnen " + NUM + r" (werkdag|werkdagen|dag|dagen|week|weken)\b"
        if nl
        else r"within " + NUM + r" (working days?|business days?|days?|weeks?)\b",
        text,
    )
    if m and (n := hour(m.group(1), language)) is not None:
        unit = m.group(2)
        if unit.startswith(("werk", "working", "business")):
            return _Day(today, _add_business_days(today, n), True)
        return _Day(today, today + timedelta(days=n * (7 if unit.startswith("we") else 1)), True)
    m = re.search(r"over " + NUM + r" (dag|dagen|week|weken)\b" if nl else r"in " + NUM + r" (days?|weeks?)\b", text)
    if m and (n := hour(m.group(1), language)) is not None:
        d = today + timedelta(days=n * (7 if m.group(2).startswith("we") else 1))
        return _Day(d, d, False)
    table = _DAY_WORDS[language]
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


def due(text: str, language: str, now: datetime) -> Due | None:
    """The due range of a commitment said at `now` (aware datetime), or None when it names no time."""
    norm = _normalise(text, language)
    today = now.date()
    day = _explicit(norm, language, now) or _weekday(norm, language, today) or _relative(norm, language, today)
    window = clock.window(norm, language)
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
