"""`gateway.core.early` alone: which early decode becomes a final, which one waits, and which one is dropped
(the session-level behaviour on real speech is in test_gateway_early_final.py)."""

from __future__ import annotations

import numpy as np

from asr.context import Context
from asr.types import DecodeResult
from gateway.core.early import EarlyFinals
from gateway.core.effects import Ticket

AUDIO = np.zeros(1600, np.float32)
CTX = Context(np.zeros(800, np.float32), "Before.")


def early(uid: str = "caller-1", start: int = 0, end: int = 1600) -> Ticket:
    return Ticket("caller", uid, "early", start, end)


def final(uid: str = "caller-1", start: int = 0, end: int = 1600) -> Ticket:
    return Ticket("caller", uid, "final", start, end)


def test_a_finished_early_decode_on_the_same_span_and_context_is_the_final() -> None:
    e = EarlyFinals()
    e.started(early(), CTX)
    assert e.came_back(early(), DecodeResult("hello", "en")) is None  # kept for the open utterance
    served = e.ended(e.take("caller-1"), final(), AUDIO, CTX)
    assert served is not None and served.done and served.result is not None and served.result.text == "hello"
    assert not e.promoted


def test_a_running_early_decode_makes_the_final_wait_and_is_handed_over() -> None:
    e = EarlyFinals()
    e.started(early(), CTX)
    served = e.ended(e.take("caller-1"), final(), AUDIO, CTX)
    assert served is not None and not served.done
    waiting = e.came_back(early(), DecodeResult("hello", "en"))
    assert waiting is not None and waiting.ticket == final() and waiting.context is CTX
    assert not e.promoted and e.came_back(early(), None) is None  # handed over once


def test_speech_that_resumed_or_a_changed_context_drops_the_early_decode() -> None:
    e = EarlyFinals()
    e.started(early(end=1600), CTX)
    assert e.ended(e.take("caller-1"), final(end=3200), AUDIO, CTX) is None  # the utterance went on
    e.started(early("caller-2"), CTX)
    other = Context(np.zeros(800, np.float32), "Something else.")
    assert e.ended(e.take("caller-2"), final("caller-2"), AUDIO, other) is None
    assert not e.promoted


def test_a_newer_pause_replaces_the_older_decode_and_a_failed_one_serves_nothing() -> None:
    e = EarlyFinals()
    e.started(early(end=800), CTX)
    e.started(early(end=1600), CTX)  # speech resumed, then paused again
    assert e.came_back(early(end=800), DecodeResult("old", "en")) is None
    e.came_back(early(end=1600), None)  # this one failed
    assert e.ended(e.take("caller-1"), final(), AUDIO, CTX) is None  # so the final is requested as usual


def test_take_gives_only_the_ended_utterances_decode() -> None:
    e = EarlyFinals()
    e.started(early("caller-1"), CTX)
    taken = e.take("caller-1")
    assert taken is not None and taken.ticket == early("caller-1")
    assert e.take("caller-1") is None  # taken once
    e.started(early("caller-1"), CTX)  # a stale decode (its utterance was discarded) serves no other one
    assert e.take("caller-2") is None
