"""Two scripted calls (Dutch and English) shared by the insights tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from insights.model import CallTranscript, Utterance

STARTED = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).timestamp()  # a Tuesday


def _utterances(turns: list[tuple[str, str, str]]) -> tuple[Utterance, ...]:
    return tuple(Utterance(leg, 6.0 * i, 6.0 * i + 5.0, text, display) for i, (leg, text, display) in enumerate(turns))


def dutch_call(
    tenant: str = "tenant-a",
    call_id: str = "call-nl",
    purposes: tuple[str, ...] = ("quality",),
    consent: str = "active",
) -> CallTranscript:
    turns = [
        ("agent", "Goedemorgen, u spreekt met Lisa van Voys.", "Goedemorgen, u spreekt met [NAME] van Voys."),
        (
            "caller",
            "Hallo, met Jan de Vries van Bakkerij Jansen. Mijn internet doet het al twee dagen niet, echt belachelijk.",
            "Hallo, met [NAME] van Bakkerij Jansen. Mijn internet doet het al twee dagen niet, echt belachelijk.",
        ),
        (
            "agent",
            "Dat spijt me. De monteur komt morgen tussen acht en tien bij u langs.",
            "Dat spijt me. De monteur komt morgen tussen acht en tien bij u langs.",
        ),
        (
            "caller",
            "Prima. Mijn e-mailadres is jan punt devries apenstaartje voorbeeld punt nl en mijn nummer is "
            "06 12 34 56 78.",
            "Prima. Mijn e-mailadres is [EMAIL] en mijn nummer is [PHONE].",
        ),
        (
            "agent",
            "Ik stuur u vandaag nog een bevestiging per mail.",
            "Ik stuur u vandaag nog een bevestiging per mail.",
        ),
        ("caller", "Top, heel erg bedankt voor de snelle hulp!", "Top, heel erg bedankt voor de snelle hulp!"),
    ]
    return CallTranscript(tenant, call_id, "nl", STARTED, ("agent", "caller"), _utterances(turns), purposes, consent)


def english_call(tenant: str = "tenant-a", call_id: str = "call-en") -> CallTranscript:
    turns = [
        ("agent", "Good morning, this is Emma from Brightline.", "Good morning, this is [NAME] from Brightline."),
        (
            "caller",
            "Hi, my name is Tom Baker. I was charged twice this month and I'm really annoyed.",
            "Hi, my name is [NAME]. I was charged twice this month and I'm really annoyed.",
        ),
        (
            "agent",
            "I'm sorry about that. I'll send the corrected invoice by Friday.",
            "I'm sorry about that. I'll send the corrected invoice by Friday.",
        ),
        (
            "agent",
            "Could you call us back on 020 7946 0958 if it's still wrong?",
            "Could you call us back on [PHONE] if it's still wrong?",
        ),
        (
            "caller",
            "Sure. Brilliant, thank you so much, that's really helpful.",
            "Sure. Brilliant, thank you so much, that's really helpful.",
        ),
    ]
    return CallTranscript(tenant, call_id, "en", STARTED, ("agent", "caller"), _utterances(turns), ("quality",))
