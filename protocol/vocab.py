"""The closed vocabularies of callscribe, one ``StrEnum`` each (sans-I/O, the lowest layer).

Each vocabulary is spelled here once; the wire messages, the consent machine, the privacy package,
the typed server configuration and the command line all use these enums. A ``StrEnum`` member *is*
its wire string (``RedactionPolicy.MASK == "mask"``, ``json.dumps`` writes ``"mask"``), so parsing
into members changes nothing on the wire.
"""

from __future__ import annotations

import enum

__all__ = [
    "WIRE_CONSENT_EVENTS",
    "ConsentEventKind",
    "ConsentStatus",
    "InitialConsent",
    "RedactionPolicy",
    "SpecialPolicy",
]


class RedactionPolicy(enum.StrEnum):
    """What happens to PII in a transcript (``start.redaction``, ``ServerConfig.redaction``)."""

    MASK = "mask"
    """Replace with ``[KIND]``, e.g. ``[PHONE]`` (the default)."""
    PSEUDONYMISE = "pseudonymise"
    """Replace with a stable per-call pseudonym, e.g. ``[NAME_1]``; equal values get equal tokens."""
    OFF = "off"
    """Leave the text unchanged and report nothing (only where a purpose legally needs the raw text)."""


class SpecialPolicy(enum.StrEnum):
    """What a GDPR art. 9 mention does (``start.special_categories``, ``ServerConfig.special_categories``)."""

    FLAG = "flag"
    """Name the categories in ``final.special`` (the default)."""
    MASK = "mask"
    """Also replace each sentence holding one by ``[SPECIAL:<category>]``."""
    STOP = "stop"
    """Mask that final and transcribe nothing more of the call."""
    OFF = "off"
    """Do not look."""


class ConsentStatus(enum.StrEnum):
    """The consent state of a call (``ready.consent``, ``consent.state``; PROTOCOL.md "Consent states")."""

    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    DECLINED = "declined"


class InitialConsent(enum.StrEnum):
    """The consent a call starts with (``start.consent``)."""

    PENDING = "pending"
    GRANTED = "granted"


class ConsentEventKind(enum.StrEnum):
    """What happens to a call's consent: the five wire events (``consent.event``) and three the gateway
    raises itself (``opt_out``: the opt-out DTMF key; ``window_elapsed``: the opt-out window ended;
    ``halt``: a special-category stop, after which nothing more of the call is processed)."""

    ANNOUNCED = "announced"
    GRANTED = "granted"
    DECLINED = "declined"
    PAUSED = "paused"
    RESUMED = "resumed"
    OPT_OUT = "opt_out"
    WINDOW_ELAPSED = "window_elapsed"
    HALT = "halt"


#: The consent events a client may send (``consent.event``), in wire order.
WIRE_CONSENT_EVENTS: tuple[ConsentEventKind, ...] = tuple(ConsentEventKind)[:5]
