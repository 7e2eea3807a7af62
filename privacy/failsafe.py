"""Fail-safe masking: long digit runs are masked whether or not a checksum recognises them.

Theory of operation
-------------------
The checksum detectors (:mod:`privacy.detectors`) keep precision high, but a misheard digit makes an
IBAN, BSN or phone number fail its checksum, and then nothing would mask it.  This pass runs after
them, on the :mod:`privacy.numbers` normalised text (spoken numbers are digits there), and applies
one explicit rule, :class:`NumberRule`:

* A *digit run* is a stretch of digit groups joined only by spaces, commas, dots or hyphens
  ("0,417,164,300", "oh seven seven hundred, nine hundred, four five six" -> "07700, 900, 456").
  Digits already covered by another finding are taken out; what is left of the run splits into
  stretches of consecutive groups.
* A stretch of at least ``min_digits`` digits (default 4) is masked, unless it is one of the kinds
  listed in ``keep`` (default: all of them):

  - ``amounts``: a currency sign or word right before or after ("€ 1.250", "2,500 euros");
  - ``quantities``: a unit word right after ("1000 km", "1500 meter");
  - ``times``: ``H.MM`` / ``HHMM`` / "ten thirty" with hours <= 23 and minutes <= 59, next to a time
    cue ("at", "om", "uur", "pm", "o'clock");
  - ``dates``: a written day-month-year date ("12-03-2024"); dates of birth are found earlier;
  - ``years``: exactly four digits and nothing joined to them, from 1900 to 2099 ("2019"), or from
    1000 after a year cue ("in the year 1775", "sinds 1850").

* A masked stretch with the shape of an IBAN -- a country code ("NL", "N L", "GB"), then at most
  eight (possibly misheard) words or one- and two-digit numbers (check digits, bank code), in the
  same sentence, right before at least eight digits -- is an ``iban`` that takes in the country
  code and those words, checksum or not.
  Otherwise it gets the kind its digits validate as (``card``, ``phone``, ``bsn``; the same checks as
  the detectors), and failing that ``number``, shown as ``[NUMBER]``.

``NumberRule(min_digits=0)`` switches the pass off.  Nothing here logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from privacy.detectors import number_kind
from privacy.model import Finding, PrivacyError, Span
from privacy.numbers import Normalised

__all__ = ["KEEP_CLASSES", "NumberRule", "find_unvalidated_numbers", "promote_ibans"]

#: Everything :class:`NumberRule` can leave readable.
KEEP_CLASSES: tuple[str, ...] = ("amounts", "quantities", "times", "dates", "years")

_RUN = re.compile(r"\+?\d+(?:[ \t]*[,.\-]?[ \t]*\d+)*")
_GROUP = re.compile(r"\d+")
_CURRENCY = r"(?:€|\$|£|eur|euro|euros|pound|pounds|dollar|dollars|gbp|usd)"
_AMOUNT_BEFORE = re.compile(
    rf"(?:{_CURRENCY}|bedrag|amount|totaal|total|costs?|kost|kosten|price|prijs|pay|betaal|betalen)\.?\s*$",
    re.IGNORECASE,
)
_AMOUNT_AFTER = re.compile(rf"^\s*(?:,-|%|{_CURRENCY}\b|cents?\b|procent\b|percent\b)", re.IGNORECASE)
_UNIT_AFTER = re.compile(
    r"^\s*(?:km|kilometers?|kilometres?|m|meters?|metres?|miles?|kg|kilos?|grams?|gram|liters?|litres?|"
    r"minutes?|minuten|seconds?|seconden|hours?|days?|dagen|weeks?|weken|people|persons|mensen|personen|"
    r"customers|klanten|visitors|bezoekers|employees|medewerkers|users|gebruikers|times|keer|words|woorden|pages|pagina's)\b",
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(
    r"\b(?:at|om|from|van|to|tot|until|till|by|around|rond|rondom|tussen|between|and|en|half|voor|na|after|before)\s*$",
    re.IGNORECASE,
)
_TIME_AFTER = re.compile(
    r"^\s*(?:uur|u\b|h\b|hrs|hours|am\b|pm\b|a\.m\.|p\.m\.|o'clock|o\u2019clock|'s)", re.IGNORECASE
)
_YEAR_CUE = re.compile(r"(?:\b(?:year|jaar|anno)\b.{0,16}|\b(?:in|since|sinds|from|until|tot|van)\s*)$", re.IGNORECASE)
_DATE = re.compile(r"\d{1,2}([-.])\d{1,2}\1(?:\d{4}|\d{2})")
_COUNTRY = r"(?:NL|BE|DE|GB|FR|ES|IT|LU|IE|AT|PT|DK|SE|FI|PL|CH|NO)"
_SPACED_COUNTRY = r"(?:N[ .\-]?L|NN|B[ .\-]?E|D[ .\-]?E|G[ .\-]?B)"
_IBAN_LEAD = re.compile(
    rf"(?<![A-Za-z])(?:{_COUNTRY}|{_SPACED_COUNTRY})[ ,\-]*(?:(?:[A-Za-z]+|\d{{1,2}})[ ,\-]*){{0,8}}$",
)
_IBAN_STRONG_LEAD = re.compile(
    rf"(?<![A-Za-z]){_COUNTRY}[ .,\-]*\d\d[ .,\-]*(?:[A-Za-z]+[ .,\-]*){{0,4}}$",
)
_IBAN_MIN_DIGITS = 8
_LEAD_WINDOW = 40


@dataclass(frozen=True, slots=True)
class NumberRule:
    """Which digit runs the fail-safe masks (see the module docstring for the rule in full).

    ``min_digits``: a run of at least this many digits is masked (0 turns the pass off; 3 or 4 are
    sensible; default 4).  ``keep``: the readable classes, a subset of :data:`KEEP_CLASSES`.
    """

    min_digits: int = 4
    keep: frozenset[str] = frozenset(KEEP_CLASSES)

    def __post_init__(self) -> None:
        if not isinstance(self.min_digits, int) or self.min_digits < 0 or 0 < self.min_digits < 2:
            raise PrivacyError("NumberRule.min_digits must be 0 (off) or at least 2")
        unknown = set(self.keep) - set(KEEP_CLASSES)
        if unknown:
            raise PrivacyError(f"NumberRule.keep: unknown classes {sorted(unknown)}; known: {list(KEEP_CLASSES)}")

    @classmethod
    def parse(cls, min_digits: int, keep: str) -> NumberRule:
        """Build from settings: ``keep`` is a comma-separated list ("amounts,times"; "" keeps nothing)."""
        return cls(min_digits, frozenset(k.strip() for k in keep.split(",") if k.strip()))


@dataclass(frozen=True, slots=True)
class _Group:
    digits: str
    start: int  # offsets in the normalised text
    end: int


def find_unvalidated_numbers(
    norm: Normalised, kept: Sequence[Finding], language: str, rule: NumberRule
) -> Iterator[Finding]:
    """Findings for the digit stretches the rule masks that no finding in ``kept`` covers yet.

    Each stretch also yields a ``number`` finding over its digits alone: it loses to the typed finding
    when both are kept, and still masks the digits when the typed one (an IBAN taking in the words
    before it) overlaps a finding of higher priority and is dropped.
    """
    if rule.min_digits == 0:
        return
    text = norm.text
    covered = [f.span for f in kept]
    for run in _RUN.finditer(text):
        groups = [
            _Group(g.group(), run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run.group())
        ]
        if sum(len(g.digits) for g in groups) < rule.min_digits or _readable(norm, run, groups, rule):
            continue
        for stretch in _uncovered(norm, groups, covered):
            digits = "".join(g.digits for g in stretch)
            if len(digits) >= rule.min_digits:
                yield _finding(norm, stretch, digits, language)
                begin, end = norm.original(stretch[0].start, stretch[-1].end)
                yield Finding(Span("number", begin, end), digits)


def promote_ibans(norm: Normalised, kept: Sequence[Finding]) -> list[Finding]:
    """``kept`` with each phone, BSN or card number that follows a country code and two check digits
    ("NL91 Abner 0417 1643 00": a misheard IBAN whose digits pass as a phone number) turned into
    an ``iban`` finding that takes in the country code and the words between."""
    out: list[Finding] = []
    for finding in kept:
        span = finding.span
        at = next((i for i, s in enumerate(norm.starts) if s >= span.start), None)
        lead = None
        if span.kind in ("phone", "bsn", "card") and at is not None:
            lead = _IBAN_STRONG_LEAD.search(norm.text[max(0, at - _LEAD_WINDOW) : at])
        if lead is None or at is None:
            out.append(finding)
            continue
        begin = norm.starts[max(0, at - _LEAD_WINDOW) + lead.start()]
        out.append(Finding(Span("iban", begin, span.end), finding.key))
    return out


def _uncovered(norm: Normalised, groups: list[_Group], covered: list[Span]) -> Iterator[list[_Group]]:
    """Maximal stretches of consecutive groups none of whose characters is in a covered span."""
    stretch: list[_Group] = []
    for group in groups:
        begin, end = norm.original(group.start, group.end)
        if any(s.start < end and begin < s.end for s in covered):
            if stretch:
                yield stretch
            stretch = []
        else:
            stretch.append(group)
    if stretch:
        yield stretch


def _finding(norm: Normalised, stretch: list[_Group], digits: str, language: str) -> Finding:
    text = norm.text
    first, last = stretch[0].start, stretch[-1].end
    lead = _IBAN_LEAD.search(text[max(0, first - _LEAD_WINDOW) : first])
    if lead is not None and len(digits) >= _IBAN_MIN_DIGITS:
        kind: str | None = "iban"
        first = max(0, first - _LEAD_WINDOW) + lead.start()
    else:
        kind = number_kind(digits, text[max(0, first - 50) : first], language)
    begin, end = norm.original(first, last)
    return Finding(Span(kind or "number", begin, end), digits)


def _readable(norm: Normalised, run: re.Match[str], groups: list[_Group], rule: NumberRule) -> bool:
    """Whether the whole run is an amount, quantity, time, date or year the rule keeps readable."""
    text = norm.text
    before, after = text[max(0, run.start() - 28) : run.start()], text[run.end() : run.end() + 16]
    digits = "".join(g.digits for g in groups)
    checks = {
        "amounts": lambda: bool(_AMOUNT_BEFORE.search(before) or _AMOUNT_AFTER.match(after)),
        "quantities": lambda: bool(_UNIT_AFTER.match(after)),
        "times": lambda: _is_time(norm, groups) and bool(_TIME_BEFORE.search(before) or _TIME_AFTER.match(after)),
        "dates": lambda: _DATE.fullmatch(run.group()) is not None,
        "years": lambda: _is_year(digits, groups, run, before),
    }
    return any(checks[name]() for name in rule.keep)


def _is_year(digits: str, groups: list[_Group], run: re.Match[str], before: str) -> bool:
    """Four digits alone: 1900-2099, or 1000-2099 right after a year cue ("in the year 1775", "sinds 1850")."""
    if len(digits) != 4 or len(groups) != 1 or run.group().startswith("+"):
        return False
    value = int(digits)
    return 1900 <= value <= 2099 or (1000 <= value <= 2099 and _YEAR_CUE.search(before) is not None)


def _is_time(norm: Normalised, groups: list[_Group]) -> bool:
    """ "10.30", "1030", or spoken "ten thirty" (two spoken groups): hours <= 23, minutes <= 59."""
    parts = [g.digits for g in groups]
    if len(parts) == 1:
        parts = _spoken_parts(norm, groups[0]) or ([parts[0][:-2], parts[0][-2:]] if len(parts[0]) in (3, 4) else [])
    if len(parts) != 2 or not parts[0] or len(parts[1]) != 2:
        return False
    return int(parts[0]) <= 23 and int(parts[1]) <= 59


def _spoken_parts(norm: Normalised, group: _Group) -> list[str]:
    """The spoken groups a run of digits came from ("ten thirty" -> ["10", "30"]), or [] if written."""
    parts = [norm.text[a:b] for a, b in norm.groups if group.start <= a and b <= group.end]
    return parts if "".join(parts) == group.digits else []
