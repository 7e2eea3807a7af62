"""Value types: what the insights core reads (a closed call's words) and what it returns.

Only words reach this package: text, word and utterance timings, the leg that spoke. No audio, no
loudness, pitch or any other acoustic feature exists in these types (sentiment is read from words only,
the line the AI Act draws between emotion recognition and text sentiment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from protocol.messages import Word

Role = Literal["agent", "caller"]
Label = Literal["positive", "neutral", "negative"]
ContactKind = Literal["email", "phone", "person", "company"]
Trend = Literal["improving", "worsening", "steady"]
Outcome = Literal["resolved", "follow_up", "open"]
LANGUAGES = ("en", "nl")


class InsightsError(ValueError):
    """A transcript the core cannot analyse (unknown language, inconsistent legs)."""


@dataclass(frozen=True, slots=True)
class Utterance:
    """One final of the call: `text` is unredacted (kept in process only), `display` the redacted text."""

    leg: str
    start: float
    end: float
    text: str = field(repr=False)
    display: str = field(repr=False)
    words: tuple[Word, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class CallTranscript:
    """A closed call's finals in time order, with what is needed to place "tomorrow" in time.

    `started_at` is the call's start (Unix seconds, wall clock); utterance times are seconds from it.
    `agent_leg` names the leg of the business side; every other leg is the caller.
    """

    tenant: str
    call_id: str
    language: str
    started_at: float
    legs: tuple[str, ...]
    utterances: tuple[Utterance, ...]
    purposes: tuple[str, ...] = ()
    consent: str = "active"
    agent_leg: str = "agent"
    timezone: str = "Europe/Amsterdam"

    def __post_init__(self) -> None:
        if not self.tenant or not self.call_id:
            raise InsightsError("tenant and call_id must be non-empty")
        if self.language not in LANGUAGES:
            raise InsightsError(f"language {self.language!r} is not one of {LANGUAGES}")
        unknown = {u.leg for u in self.utterances} - set(self.legs)
        if unknown:
            raise InsightsError(f"utterances on legs not in legs: {sorted(unknown)}")

    def role(self, leg: str) -> Role:
        return "agent" if leg == self.agent_leg else "caller"


@dataclass(frozen=True, slots=True)
class UtteranceSentiment:
    index: int
    leg: str
    start: float
    end: float
    label: Label
    score: float


@dataclass(frozen=True, slots=True)
class SpanSentiment:
    """Sentiment of a leg or of the whole call: overall, first third, last third, and the trend."""

    score: float
    label: Label
    start: float
    end: float
    trend: Trend


@dataclass(frozen=True, slots=True)
class Due:
    """When an agreement is due: a wall-clock range (ISO 8601 with offset, the call's time zone)."""

    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Agreement:
    owner: Role
    what: str = field(repr=False)
    """Display (redacted) text of the commitment."""
    due: Due | None
    utterance: int


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact detail (personal data: delivered to the CRM only, stored encrypted only)."""

    kind: ContactKind
    value: str = field(repr=False)
    utterance: int
    role: Role


@dataclass(frozen=True, slots=True)
class Insights:
    tenant: str
    call_id: str
    language: str
    summary: str = field(repr=False)
    reason: str = field(repr=False)
    outcome: Outcome
    agreements: tuple[Agreement, ...]
    contacts: tuple[Contact, ...]
    utterances: tuple[UtteranceSentiment, ...]
    legs: dict[str, SpanSentiment]
    call: SpanSentiment
    abstract: str | None = field(default=None, repr=False)
    """An abstractive summary from the operator's own chat model, when configured."""
