"""One leg's finals decoded ahead of their endpoint (sans-I/O bookkeeping for `CallSession`).

When an utterance pauses (`vad` `UtterancePaused`) the session may decode its final at once, on the span the
utterance would end on and with the context `asr.context.LegContext.peek` gives (the one the endpoint would
give). This module decides what becomes of that decode:

- the utterance ends on exactly that span, with that context, and the decode has not failed: the decode *is*
  its final (`ended` returns it). If it is still running the final waits for it (`promoted`), and when it
  comes back `came_back` hands over the final's ticket, audio and context;
- speech resumed (another span), or the context changed: the decode is dropped and the final is requested as
  usual;
- an early decode that failed while its final waited for it: the session requests that final again.

The session owns the gate, the counters and the requests; nothing here sends or decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from asr.context import Context
from asr.types import DecodeResult
from gateway.core.effects import Ticket


@dataclass(slots=True)
class EarlyDecode:
    """A final decoded ahead of its endpoint, for an utterance that paused."""

    ticket: Ticket  # kind "early", the span the utterance would end on
    context: tuple[int, str]  # the context it was decoded with (its audio length, its prefix)
    done: bool = False
    result: DecodeResult | None = None

    def serves(self, final: Ticket, ctx: Context) -> bool:
        """Whether this decode is the final `final` would request with `ctx` (and has not failed)."""
        same_span = (self.ticket.start, self.ticket.end) == (final.start, final.end)
        return same_span and self.context == context_key(ctx) and not (self.done and self.result is None)


@dataclass(slots=True)
class Waiting:
    """A final whose early decode is still running."""

    ticket: Ticket  # the final's own ticket (kind "final")
    audio: np.ndarray
    context: Context


@dataclass(slots=True)
class EarlyFinals:
    """The early decode of a leg's open utterance, and the finals waiting for theirs."""

    open: EarlyDecode | None = None
    """The newest early decode of the open utterance (a newer one replaces it: speech resumed, then paused)."""
    promoted: dict[str, Waiting] = field(default_factory=dict)
    """Finals (uid -> what to request) whose early decode is still running."""

    def started(self, ticket: Ticket, ctx: Context) -> None:
        """An early decode of the open utterance went to the engine; an older one's result will match nothing."""
        self.open = EarlyDecode(ticket, context_key(ctx))

    def take(self, uid: str) -> EarlyDecode | None:
        """The utterance `uid` ended: its newest early decode, if any (it is no longer the open one's)."""
        early, self.open = self.open, None
        return early if early is not None and early.ticket.utterance_id == uid else None

    def ended(self, early: EarlyDecode | None, final: Ticket, audio: np.ndarray, ctx: Context) -> EarlyDecode | None:
        """The early decode that serves as the final `final` (requested with `ctx`), or None: request it.
        A decode still running is recorded, so that `came_back` hands the final over."""
        if early is None or not early.serves(final, ctx):
            return None
        if not early.done:
            self.promoted[final.utterance_id] = Waiting(final, audio, ctx)
        return early

    def came_back(self, ticket: Ticket, result: DecodeResult | None) -> Waiting | None:
        """An early decode's result: the final that waited for it, or None (kept for the open utterance, whose
        endpoint may still come on that span, or dropped: speech resumed)."""
        waiting = self.promoted.get(ticket.utterance_id)
        if waiting is not None and (waiting.ticket.start, waiting.ticket.end) == (ticket.start, ticket.end):
            return self.promoted.pop(ticket.utterance_id)
        if self.open is not None and self.open.ticket == ticket:
            self.open.done, self.open.result = True, result
        return None


def context_key(ctx: Context) -> tuple[int, str]:
    """What identifies a decode's context: the length of its audio and its text prefix."""
    return len(ctx.audio), ctx.prefix
