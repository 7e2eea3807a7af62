"""An extractive, structured summary in the call's language: who called about what, what was resolved.

The reason is the caller's first sentence that states one ("I'm calling about", "ik bel over", "my
invoice is wrong"); the outcome is `resolved` when a resolution is said near the end, `follow_up`
when agreements remain, `open` otherwise. Only display (redacted) text is quoted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from insights.agreements import sentences
from insights.model import Agreement, CallTranscript, Outcome

_REASON = {
    "en": re.compile(
        r"\b(calling (about|because|regarding|to)|i'm ringing|ringing (about|because)|i'd like to|i would "
        r"like to|i want to|i need|i have a (question|problem|complaint)|problem with|question about|"
        r"(isn't|is not|doesn't|does not|hasn't|has not|won't|haven't) |still|wrong|broken|cancel)",
        re.IGNORECASE,
    ),
    "nl": re.compile(
        r"\b(ik bel (over|omdat|in verband met|vanwege|voor|namens)|ik wil|ik zou graag|ik wou|ik heb een "
        r"(vraag|probleem|klacht)|probleem met|vraag over|klacht over|doet het\b.*\bniet|werkt\b.*\bniet|"
        r"nog steeds|niet ontvangen|verkeerd|kapot|opzeggen)",
        re.IGNORECASE,
    ),
}
_RESOLVED = {
    "en": re.compile(
        r"\b(resolved|sorted|fixed|that's done|all done|i've (changed|updated|cancelled|processed|reset|"
        r"booked|refunded|credited|sent)|it works|it's working|working again|problem solved)\b",
        re.IGNORECASE,
    ),
    "nl": re.compile(
        r"\b(opgelost|geregeld|is gelukt|aangepast|verwerkt|doorgevoerd|gewijzigd|werkt weer|doet het "
        r"weer|heb ik (aangepast|gewijzigd|geannuleerd|verwerkt|teruggestort|ingepland|verstuurd))\b",
        re.IGNORECASE,
    ),
}
_UNRESOLVED = {
    "en": re.compile(r"\b(not (resolved|fixed|sorted)|still not)\b", re.IGNORECASE),
    "nl": re.compile(r"\b(niet opgelost|nog steeds niet|niet gelukt)\b", re.IGNORECASE),
}
_TEXT = {
    "en": {
        "caller": "The caller",
        "about": "called about",
        "unknown": "an unstated reason",
        "resolved": "Resolved during the call.",
        "follow_up": "Open, with follow-up agreed.",
        "open": "Not resolved.",
        "agreements": "Agreements",
        "agent": "agent",
        "by": "due",
    },
    "nl": {
        "caller": "De beller",
        "about": "belde over",
        "unknown": "een niet genoemde reden",
        "resolved": "Opgelost tijdens het gesprek.",
        "follow_up": "Nog open, met vervolgafspraken.",
        "open": "Niet opgelost.",
        "agreements": "Afspraken",
        "agent": "medewerker",
        "by": "uiterlijk",
    },
}


_GREETING = re.compile(
    r"^(hallo|hoi|goedemorgen|goedemiddag|goedenavond|dag|met|hi|hello|good (morning|afternoon)"
    r"|this is|my name|mijn naam|u spreekt)\b",
    re.IGNORECASE,
)


def reason(call: CallTranscript) -> str:
    """The caller's first sentence stating why they call (display text); else their first substantial
    sentence that is not a greeting; '' when the caller said nothing of the kind."""
    rx = _REASON[call.language]
    fallback = ""
    for u in call.utterances:
        if call.role(u.leg) != "caller":
            continue
        spoken, shown = sentences(u.text), sentences(u.display)
        for i, sentence in enumerate(spoken):
            quoted = (shown[i] if len(shown) == len(spoken) else u.display).strip()
            if rx.search(sentence):
                return quoted
            if not fallback and len(sentence.split()) >= 5 and not _GREETING.search(sentence):
                fallback = quoted
    return fallback


def outcome(call: CallTranscript, agreements: Sequence[Agreement]) -> Outcome:
    tail = call.utterances[-6:]
    language = call.language
    if any(_RESOLVED[language].search(u.text) and not _UNRESOLVED[language].search(u.text) for u in tail):
        return "resolved"
    return "follow_up" if agreements else "open"


def compose(call: CallTranscript, why: str, result: str, agreements: Sequence[Agreement]) -> str:
    """The summary text: reason, outcome, then one line per agreement (owner, what, due end)."""
    t = _TEXT[call.language]
    about = why.rstrip(".?!") if why else t["unknown"]
    lines = [f"{t['caller']} {t['about']}: {about}.", t[result]]
    if agreements:
        lines.append(f"{t['agreements']}:")
        for a in agreements:
            owner = t["agent"] if a.owner == "agent" else t["caller"].split()[-1].lower()
            due = f" ({t['by']} {a.due.end[:16].replace('T', ' ')})" if a.due else ""
            lines.append(f"- {owner}: {a.what}{due}")
    return "\n".join(lines)
