"""GDPR art. 9 special categories: health, religion, ethnicity, political opinion, sexual
orientation, trade-union membership, and criminal convictions (art. 10), for English and Dutch.

Theory of operation
-------------------
The rules live in ``data/special_lexicon.tsv``: per language and category, case-insensitive
regular expressions that spell out their inflections ("depress(?:ion|ed|ive)").  Every rule is
anchored on non-word characters on both sides, so "kerk" does not fire inside "Kerkstraat".
Negative rules (category written ``!health``) describe idioms and near-misses ("sick of waiting",
"I work at the hospital", "European Union"); a hit overlapping a negative rule of its category is
dropped.  Overlapping hits of one category are merged.  Detection only reports; what to do with a
hit (flag the call, block storage) is the caller's decision.

Partials are guesses: the model may hear "diagnose with diabetis" before the final's "diagnosed with
diabetes".  :func:`detect_special_partial` therefore adds loose health stems ("diagnos...",
"diabet...", "ziekt...") to the rules, so a policy that masks special categories masks a superset of
them in partials; the final decides with the strict rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal, get_args

from privacy.model import PrivacyError

__all__ = ["CATEGORIES", "Category", "SpecialHit", "detect_special", "detect_special_partial"]

Category = Literal["health", "religion", "ethnicity", "political", "sexual_orientation", "trade_union", "criminal"]
CATEGORIES: tuple[str, ...] = get_args(Category)


@dataclass(frozen=True, slots=True)
class SpecialHit:
    """A special-category mention at original-text characters ``[start, end)``."""

    category: Category
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise PrivacyError(f"unknown special category {self.category!r}")
        if not 0 <= self.start < self.end:
            raise PrivacyError(f"invalid span [{self.start}, {self.end})")


@dataclass(frozen=True, slots=True)
class _Rule:
    category: Category
    negative: bool
    pattern: re.Pattern[str]


@cache
def _rules(language: str) -> tuple[_Rule, ...]:
    """Compiled rules for ``language`` ("nl", "en"; anything else gets both)."""
    path = resources.files("privacy").joinpath("data/special_lexicon.tsv")
    rules: list[_Rule] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        lang, category, pattern = line.split("\t")
        if language in ("nl", "en") and lang != language:
            continue
        negative = category.startswith("!")
        name = category.lstrip("!")
        if name not in CATEGORIES:
            raise PrivacyError(f"special_lexicon.tsv line {number}: unknown category {name!r}")
        compiled = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)
        rules.append(_Rule(name, negative, compiled))  # type: ignore[arg-type]
    return tuple(rules)


def detect_special(text: str, language: str) -> tuple[SpecialHit, ...]:
    """Special-category mentions in ``text``, sorted by start; one hit per merged stretch."""
    rules = _rules(language)
    blocked: dict[str, list[tuple[int, int]]] = {}
    for rule in rules:
        if rule.negative:
            ranges = blocked.setdefault(rule.category, [])
            ranges.extend((m.start(), m.end()) for m in rule.pattern.finditer(text))
    raw: list[SpecialHit] = []
    for rule in rules:
        if rule.negative:
            continue
        for match in rule.pattern.finditer(text):
            spans = blocked.get(rule.category, [])
            if not any(a < match.end() and match.start() < b for a, b in spans):
                raw.append(SpecialHit(rule.category, match.start(), match.end()))
    return _merge(raw)


_LOOSE_HEALTH = {
    "en": r"(?:diagnos|diabet|cancer|tumo|chemo|depress|prescri|therap|psychi|psycho|pregnan|hospit|disease|"
    r"disorder|syndrom|chronic|surger|asthm|epilep|migrain|infect|allerg|dement|alzheim|parkins|scleros|"
    r"arthrit|crohn|insulin|dialys|medica|medicin|diseas)\w*|ill|sick|hiv",
    "nl": r"(?:diagnos|diabet|kanker|tumor|chemo|depress|medicijn|medicat|therap|psychi|psycho|zwanger|ziek|"
    r"chronisch|syndroom|astma|epilep|migraine|infectie|allerg|dement|alzheim|parkins|reuma|artros|hernia|"
    r"insuline|dialyse|ziekenh|huisarts|gediagnos)\w*|hiv",
}


@cache
def _loose(language: str) -> re.Pattern[str]:
    stems = [v for k, v in _LOOSE_HEALTH.items() if language not in ("nl", "en") or k == language]
    return re.compile(rf"(?<!\w)(?:{'|'.join(stems)})(?!\w)", re.IGNORECASE)


def detect_special_partial(text: str, language: str) -> tuple[SpecialHit, ...]:
    """:func:`detect_special` plus loose health stems, for partials (a superset of the final's hits)."""
    strict = detect_special(text, language)
    blocked = [
        (m.start(), m.end())
        for rule in _rules(language)
        if rule.negative and rule.category == "health"
        for m in rule.pattern.finditer(text)
    ]
    loose = [
        SpecialHit("health", m.start(), m.end())
        for m in _loose(language).finditer(text)
        if not any(a < m.end() and m.start() < b for a, b in blocked)
    ]
    return _merge([*strict, *loose]) if loose else strict


def _merge(hits: list[SpecialHit]) -> tuple[SpecialHit, ...]:
    merged: list[SpecialHit] = []
    for hit in sorted(hits, key=lambda h: (h.category, h.start, -h.end)):
        last = merged[-1] if merged else None
        if last is not None and last.category == hit.category and hit.start <= last.end:
            merged[-1] = SpecialHit(last.category, last.start, max(last.end, hit.end))
        else:
            merged.append(hit)
    return tuple(sorted(merged, key=lambda h: (h.start, h.category)))
