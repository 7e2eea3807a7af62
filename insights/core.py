"""The pure insights core: a closed call's transcript in, its insights out (no I/O, no clock, no network)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from insights import agreements, contacts, sentiment, summary
from insights.model import Agreement, CallTranscript, Contact, Insights, SpanSentiment, UtteranceSentiment

DEFAULT_REGIONS = ("NL", "BE", "GB")
"""Regions tried, in order, for phone numbers said without a country code."""


def analyse(call: CallTranscript, regions: tuple[str, ...] = DEFAULT_REGIONS) -> Insights:
    """Summary, reason, outcome, agreements, contact details and sentiment of one call, in its language."""
    zone = ZoneInfo(call.timezone)
    started = datetime.fromtimestamp(call.started_at, zone)
    found_agreements: list[tuple[Agreement, bool]] = []
    found_contacts: list[Contact] = []
    scored: list[UtteranceSentiment] = []
    for i, u in enumerate(call.utterances):
        role = call.role(u.leg)
        said_at = started + timedelta(seconds=u.end)
        found_agreements += agreements.extract(i, u.text, u.display, call.language, role, said_at)
        found_contacts += contacts.extract(i, u.text, call.language, role, regions)
        value = round(sentiment.score(u.text, call.language), 3)
        scored.append(UtteranceSentiment(i, u.leg, u.start, u.end, sentiment.label(value), value))
    legs: dict[str, SpanSentiment] = {
        leg: sentiment.span([s.score for s in scored if s.leg == leg]) for leg in call.legs
    }
    merged = agreements.merge(found_agreements)
    why = summary.reason(call)
    result = summary.outcome(call, merged)
    return Insights(
        tenant=call.tenant,
        call_id=call.call_id,
        language=call.language,
        summary=summary.compose(call, why, result, merged),
        reason=why,
        outcome=result,
        agreements=tuple(merged),
        contacts=tuple(_unique(found_contacts)),
        utterances=tuple(scored),
        legs=legs,
        call=sentiment.span([s.score for s in scored]),
    )


def _unique(items: list[Contact]) -> list[Contact]:
    seen: set[tuple[str, str]] = set()
    out = []
    for c in items:
        if (c.kind, c.value) not in seen:
            seen.add((c.kind, c.value))
            out.append(c)
    return out
