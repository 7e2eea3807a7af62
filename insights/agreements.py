"""Agreements and action items: who committed to what, and by when (rules over each sentence).

A sentence is a commitment when it carries a commitment cue ("I'll send", "we komen", "could you
upload", "u ontvangt") and either an action verb or a due time. The owner is the speaker for a
first-person cue, the other party for a request ("kunt u ... sturen"), and the agent for the company's
third parties ("the engineer will", "de monteur komt", "u ontvangt").
"""

from __future__ import annotations

import re
from datetime import datetime

from insights.model import Agreement, Role
from insights.when import due

_SENTENCE = re.compile(
    r"(?<=[.!?])\s+|,\s+(?=(?:please|could you|can you|kunt u|wilt u|zou u)\b)|"
    r",\s+(?:and|but|so|en|maar|dus)\s+(?=(?:i|i'll|we|we'll|ik|we|wij)\b)",
    re.IGNORECASE,
)
_CUES = {
    "en": {
        "self": re.compile(
            r"\b(i'll|i will|i'm going to|i am going to|we'll|we will|we're going to|we are going to|"
            r"i promise to|i can)\b"
        ),
        "company": re.compile(
            r"\b(the|our|a|an|my) (engineer|technician|courier|mechanic|colleague|specialist|"
            r"team|driver|assessor|adviser|advisor|manager|supervisor) "
            r"(will|is going to|comes|can come)\b|"
            r"\bsomeone (will|from)\b|"
            r"\byou('ll| will| should) (receive|get|have)\b"
        ),
        "other": re.compile(
            r"\b(could you|can you|would you|will you|you need to|you'll need to|you have to|"
            r"make sure you|if you could|please|don't forget to|you can)\b"
        ),
    },
    "nl": {
        # Dutch puts the finite verb second: "ik stuur", but also "dan stuur ik", "die upload ik vanavond";
        # any verb is accepted here because a commitment also needs an action verb or a due time
        "self": re.compile(
            r"^(?:\w+ )?(ik|we|wij) \w+\b|\b(\w+) (ik|we|wij)\b(?!.*\?$)|\b(ik|we|wij) "
            r"(stuur|sturen|zal|zullen|ga|gaan|bel|bellen|mail|mailen|zorg|zorgen|regel|regelen|"
            r"maak|maken|kom|komen|plan|plannen|zet|zetten|neem|nemen|stort|storten|start|vraag|"
            r"boek|boeken|verstuur|versturen|laat|laten|geef|geven|beloof|kan)\b"
        ),
        "company": re.compile(
            r"\b(de|onze|een|mijn) (monteur|bezorger|koerier|collega|specialist|technicus|"
            r"afdeling|adviseur|expert|leidinggevende|manager) (komt|zal|gaat|belt|neemt|kan)\b|"
            r"\b(komt|belt|neemt|stuurt) (de|een|onze) (monteur|collega|specialist|expert|adviseur|"
            r"bezorger)\b|\bu (ontvangt|krijgt|hoort)\b|"
            r"\ber komt\b"
        ),
        "other": re.compile(
            r"^(stuurt|belt|mailt) u\b|\b(kunt u|wilt u|zou u|u moet|u kunt|vergeet u niet|"
            r"kun je|wil je|zou je|moet u|mag u)\b"
        ),
    },
}
_ACTIONS = {
    "en": re.compile(
        r"\b(send|sent|call|ring|email|e-mail|mail|post|refund|credit|come|visit|check|arrange|"
        r"schedule|book|cancel|transfer|pay|upload|fill|sign|return|ship|deliver|install|replace|"
        r"forward|confirm|reset|activate|update|change|process|escalate|text|pick|collect|repair|"
        r"fix|follow up|get back|reply|order|submit|look into|receive|get)\b"
    ),
    "nl": re.compile(
        r"\b(stuur|sturen|opsturen|toesturen|doorsturen|stuurt|bel|bellen|belt|terugbellen|terug|mail|"
        r"mailen|mailt|storten|stort|terugstorten|komt|komen|langs|langskomen|regel|regelen|plan|"
        r"plannen|inplannen|boek|boeken|annuleer|annuleren|opzeggen|betalen|overmaken|uploaden|"
        r"invullen|ondertekenen|terugsturen|versturen|verstuur|leveren|installeren|vervangen|"
        r"controleren|aanpassen|wijzigen|verwerken|doorgeven|ontvangt|krijgt|ophalen|repareren|"
        r"nakijken|uitzoeken|zoeken|zoek|onderzoek|contact|opnemen|neem|ruilen|crediteren|sms|"
        r"whatsapp|doorzetten|upload|pas|haal|start|vraag)\b"
    ),
}
_IN_CALL = {  # things done while the call is on ("let me check", "ik kijk even"): not agreements
    "en": re.compile(
        r"\b(i'm calling|i am calling|calling about|let me|bear with me|one moment|hold on|i'll just|"
        r"i will just|i can see|i can hear|i can help|i can check that now|i'll put you)\b"
    ),
    "nl": re.compile(
        r"\b(ik bel (omdat|over|in verband met|vanwege|namens|voor|u over)|even kijken|ik kijk even|"
        r"momentje|een moment|ik zie|ik hoor|ik kan u helpen|kan ik u|ik zet u even|ik heb|heb ik|ik ben|"
        r"ben ik|ik weet|ik snap|ik begrijp|ik hoop|hoop ik|ik denk|ik vind|ik wil|wil ik|ik zou graag|"
        r"ik wou|ik ga even)\b"
    ),
}
_NEGATED = {
    "en": re.compile(
        r"\b(i|we) (won't|will not|can't|cannot|am not going to|are not going to)\b|"
        r"\bwon't be able\b"
    ),
    "nl": re.compile(r"\b(ik|we|wij) (zal|zullen|kan|kunnen|ga|gaan) (dat |het |u )?(niet|nooit)\b"),
}


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text.strip()) if s]


def owner_of(sentence: str, language: str, speaker: Role) -> tuple[Role, bool] | None:
    """(owner, is a request to the other party) of the commitment a sentence makes, or None."""
    lowered = " ".join(sentence.lower().replace("\u2019", "'").split())
    cues = _CUES[language]
    if _IN_CALL[language].search(lowered) or _NEGATED[language].search(lowered):
        return None
    other: Role = "agent" if speaker == "caller" else "caller"
    if cues["company"].search(lowered):
        return "agent", False
    if cues["self"].search(lowered) and not lowered.endswith("?"):  # "shall I ...?" asks, it does not commit
        return speaker, False
    if cues["other"].search(lowered):
        return other, True
    return None


def extract(
    index: int, text: str, display: str, language: str, speaker: Role, now: datetime
) -> list[tuple[Agreement, bool]]:
    """(agreement, is a request) made in one utterance (`text` unredacted, `display` redacted), said at `now`."""
    found: list[tuple[Agreement, bool]] = []
    spoken, shown = sentences(text), sentences(display)
    for i, sentence in enumerate(spoken):
        cue = owner_of(sentence, language, speaker)
        if cue is None:
            continue
        when = due(sentence, language, now)
        if when is None and not _ACTIONS[language].search(sentence.lower()):
            continue
        what = shown[i] if len(shown) == len(spoken) else display
        found.append((Agreement(owner=cue[0], what=what.strip(), due=when, utterance=index), cue[1]))
    return found


def merge(items: list[tuple[Agreement, bool]]) -> list[Agreement]:
    """Drop a request ("could you send ...?") that its owner accepts within the next two utterances ("I'll
    send it tonight"): the acceptance is the agreement, with its own time."""
    kept: list[Agreement] = []
    for i, (item, request) in enumerate(items):
        accepted = request and any(
            not later_request and later.owner == item.owner and 0 < later.utterance - item.utterance <= 2
            for later, later_request in items[i + 1 :]
        )
        if not accepted:
            kept.append(item)
    return kept
