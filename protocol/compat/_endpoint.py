"""The endpoint silence a compatible client may ask for (Deepgram `endpointing`, OpenAI `silence_duration_ms`)."""

from __future__ import annotations

__all__ = ["MAX_ENDPOINT_MS", "MIN_ENDPOINT_MS", "endpoint_ms"]

MIN_ENDPOINT_MS = 300
"""Shorter asks are raised to this: Whisper needs whole phrases, and a Deepgram `Finalize` is told from an
endpointed final by the gap an endpoint leaves (``deepgram.FLUSH_SLACK_S``)."""
MAX_ENDPOINT_MS = 5000
"""Longer asks are lowered to this (`gateway.runtime.ENDPOINT_MAX_MS`)."""


def endpoint_ms(asked: int) -> int:
    """The endpoint silence the call gets for `asked` milliseconds."""
    return min(max(asked, MIN_ENDPOINT_MS), MAX_ENDPOINT_MS)
