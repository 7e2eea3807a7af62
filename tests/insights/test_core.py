"""The pure insights core on a Dutch and an English call: agreements, due ranges, contacts, sentiment, summary."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from insights.core import analyse
from insights.model import CallTranscript, InsightsError, Utterance
from insights.schema import TOP_KEYS, from_dict, to_dict
from protocol.messages import Word
from tests.insights.calls import STARTED, dutch_call, english_call


def test_dutch_agreements_have_owner_and_due_range() -> None:
    """ "morgen tussen acht en tien" becomes tomorrow 08:00-10:00 owned by the agent; "vandaag nog" a deadline."""
    result = analyse(dutch_call())
    items = [
        (a.owner, a.utterance, a.due.start if a.due else None, a.due.end if a.due else None) for a in result.agreements
    ]
    assert items == [
        ("agent", 2, "2026-12-02T08:00:00+01:00", "2026-12-02T10:00:00+01:00"),
        ("agent", 4, "2026-12-01T10:00:29+01:00", "2026-12-01T23:59:59+01:00"),
    ]
    assert result.outcome == "follow_up"


def test_dutch_contacts_come_from_unredacted_text() -> None:
    """A spelled-out e-mail address, a mobile number in E.164, the person and the company are found."""
    found = {(c.kind, c.value, c.role) for c in analyse(dutch_call()).contacts}
    assert ("email", "jan.devries@voorbeeld.nl", "caller") in found
    assert ("phone", "+31612345678", "caller") in found
    assert ("person", "Jan de Vries", "caller") in found
    assert ("company", "Bakkerij Jansen", "caller") in found


def test_display_text_stays_redacted() -> None:
    """Summary, reason and agreements quote only the redacted display text, never a contact detail."""
    result = analyse(dutch_call())
    shown = to_dict(result)
    text = str(shown)
    assert "contacts" not in shown
    for secret in ("Jan de Vries", "devries", "06 12", "Lisa"):
        assert secret not in text
    assert result.reason == "Mijn internet doet het al twee dagen niet, echt belachelijk."
    assert result.summary.startswith("De beller belde over:")


def test_dutch_sentiment_per_leg_and_trend() -> None:
    """The caller starts negative ("belachelijk") and ends positive ("heel erg bedankt"): trend improving."""
    result = analyse(dutch_call())
    caller = result.legs["caller"]
    assert caller.start < 0 < caller.end
    assert caller.trend == "improving"
    assert result.utterances[1].label == "negative" and result.utterances[5].label == "positive"


def test_english_call() -> None:
    """English: "by Friday" is a deadline to Friday 23:59:59, a request is the caller's, a UK number is E.164."""
    result = analyse(english_call())
    items = [(a.owner, a.due.end if a.due else None) for a in result.agreements]
    assert items == [("agent", "2026-12-04T23:59:59+01:00"), ("caller", None)]
    kinds = {(c.kind, c.value) for c in result.contacts}
    assert {("person", "Tom Baker"), ("phone", "+442079460958"), ("company", "Brightline")} <= kinds
    assert result.legs["caller"].trend == "improving"
    assert result.summary.startswith("The caller called about:")


def test_schema_round_trip() -> None:
    """The stored document (with contacts) decodes back to the same insights."""
    result = analyse(english_call())
    assert from_dict(result.tenant, to_dict(result, contacts=True)) == result
    assert tuple(to_dict(result)) == TOP_KEYS


def test_only_words_reach_the_core() -> None:
    """The inputs carry text, timings and the leg only (no audio or acoustic feature), and so does the output."""
    allowed = {"leg", "start", "end", "text", "display", "words"}
    assert {f.name for f in dataclasses.fields(Utterance)} == allowed
    assert {f.name for f in dataclasses.fields(Word)} == {"word", "start", "end", "probability"}
    call_fields = {f.name: typing.get_type_hints(CallTranscript)[f.name] for f in dataclasses.fields(CallTranscript)}
    assert set(call_fields) == {
        "tenant",
        "call_id",
        "language",
        "started_at",
        "legs",
        "utterances",
        "purposes",
        "consent",
        "agent_leg",
        "timezone",
    }
    sentiment = to_dict(analyse(dutch_call()))["sentiment"]
    assert set(sentiment["utterances"][0]) == {"index", "leg", "start", "end", "label", "score"}
    assert set(sentiment["call"]) == {"score", "label", "start", "end", "trend"}


def test_bad_transcript_is_a_typed_error() -> None:
    """An unknown language or an utterance on an undeclared leg raises InsightsError."""
    with pytest.raises(InsightsError, match="language"):
        CallTranscript("t", "c", "fr", STARTED, ("agent",), ())
    with pytest.raises(InsightsError, match="legs"):
        CallTranscript("t", "c", "nl", STARTED, ("agent",), (Utterance("caller", 0, 1, "x", "x"),))
