"""Dates of birth: a date written or spoken near "born", "geboren", "geboortedatum", "date of birth".

Runs on the :mod:`privacy.numbers` normalised text, where "the twelfth of March nineteen eighty
five" has become "the 12 of March 1985".  A date without a birth keyword close by is not redacted:
appointment and delivery dates are not personal data on their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.model import Finding, Span
from privacy.numbers import MONTHS, Normalised

__all__ = ["find_birth_dates"]

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|e|ste|de)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE = re.compile(
    rf"(?<!\d)(?:"
    rf"\d{{1,2}}([-/.])\d{{1,2}}\1(?:\d{{4}}|\d{{2}})"  # 12-03-1985
    rf"|\d{{4}}-\d{{1,2}}-\d{{1,2}}"  # 1985-03-12
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH}(?:\s*,?\s*(?:in\s+)?{_YEAR})?"  # 12 March 1985
    rf"|{_MONTH}\s+(?:the\s+)?{_DAY}(?:\s*,?\s*{_YEAR})?"  # March 12, 1985
    rf"|(?<=in ){_YEAR}"  # born in 1985
    rf"|{_DAY}\s+\d{{1,2}}\s+{_YEAR}"  # twaalf drie negentien vijfentachtig
    rf")(?!\d)",
    re.IGNORECASE,
)
_KEYWORD = re.compile(
    r"\b(?:born|birth|birthday|date of birth|d\.?o\.?b\.?|geboren|geboortedatum|geboortedag|"
    r"geboortejaar|verjaardag|jarig)\b",
    re.IGNORECASE,
)
_BEFORE = 60
_AFTER = 30


def find_birth_dates(norm: Normalised) -> Iterator[Finding]:
    """Dates within a few words of a birth keyword (before it or just after it)."""
    text = norm.text
    for match in _DATE.finditer(text):
        before = text[max(0, match.start() - _BEFORE) : match.start()]
        after = text[match.end() : match.end() + _AFTER]
        if not (_KEYWORD.search(before) or _KEYWORD.search(after)):
            continue
        begin, end = norm.original(match.start(), match.end())
        yield Finding(Span("dob", begin, end), re.sub(r"\W+", " ", match.group()).strip().lower())
