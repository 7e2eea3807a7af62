"""What a call session asks its shell to do (sans-I/O): send a server message, or decode a request on the
shared scheduler, with the ticket that says where the result belongs."""

from __future__ import annotations

from dataclasses import dataclass, field

from asr.types import DecodeRequest
from protocol.messages import ServerMessage


@dataclass(frozen=True, slots=True)
class Send:
    message: ServerMessage
    raw_text: str | None = field(default=None, repr=False)
    """For a final: the recognised text before redaction, for in-process listeners only (post-call
    extraction of contact details); None when the final holds a special-category mention (then only the
    masked text exists anywhere). Never sent to a client, logged or stored."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """Identifies what a decode result belongs to."""

    leg: str
    utterance_id: str
    kind: str  # "partial", "final", or "early" (a final decoded ahead of its endpoint)
    start: int  # 16 kHz samples on the leg clock
    end: int


@dataclass(frozen=True, slots=True)
class Decode:
    ticket: Ticket
    request: DecodeRequest


Effect = Send | Decode
