"""The call registry: one live connection per call, finals kept for resumption, expiry, erasure."""

from __future__ import annotations

import pytest

from gateway.core.registry import CallEndedError, CallRegistry
from protocol.messages import Final


class Clock:
    """A settable clock (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def final(seq: int) -> Final:
    return Final(seq, "caller", f"caller-{seq}", "hello", 0.0, 1.0, "en")


def test_a_live_call_cannot_be_opened_twice() -> None:
    """A second connection for a call that is still streaming is refused; another tenant's same id is not."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    assert reg.open("t1", "call-1") is None
    assert reg.open("t2", "call-1") is not None
    assert reg.live == 2


def test_dropped_call_resumes_with_its_finals_and_seq() -> None:
    """Reopening a dropped call returns the same record: finals so far and the next seq number."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    assert record.next_seq == 1
    record.finals += [final(1), final(2)]
    reg.drop(record)
    assert reg.live == 0
    again = reg.open("t1", "call-1")
    assert again is record
    assert again.next_seq == 3
    assert again.connections == 2
    assert again.live and again.ended_at is None


def test_closed_call_refuses_its_id_until_the_tombstone_expires() -> None:
    """A call closed for good (stop, hang-up) is never continued: its id is refused within `ttl_s`, and
    afterwards a call with that id starts over with nothing of the old one."""
    clock = Clock()
    reg = CallRegistry(ttl_s=10, clock=clock)
    record = reg.open("t1", "call-1")
    assert record is not None
    record.finals.append(final(1))
    reg.close(record)
    assert record.finals == []
    with pytest.raises(CallEndedError):
        reg.open("t1", "call-1")
    assert reg.expire(20.5) == []  # a closed call is not closed again
    fresh = reg.open("t1", "call-1")
    assert fresh is not None and fresh is not record
    assert fresh.next_seq == 1 and fresh.connections == 1


def test_dropped_calls_expire_after_ttl_exactly_once() -> None:
    """A dropped call stays resumable for `ttl_s`; then `expire` returns it once (to be closed) and forgets it."""
    clock = Clock()
    reg = CallRegistry(ttl_s=10, clock=clock)
    record = reg.open("t1", "call-1")
    assert record is not None
    record.finals.append(final(1))
    reg.drop(record)
    clock.now = 10.0
    assert reg.expire() == []
    assert reg.open("t1", "call-1") is record
    reg.drop(record)
    clock.now = 20.5
    assert reg.expire() == [record] and record.phase == "closed"
    assert reg.expire() == []
    fresh = reg.open("t1", "call-1")
    assert fresh is not None and fresh is not record and fresh.next_seq == 1


def test_live_calls_never_expire() -> None:
    """A call still streaming is kept however long it runs."""
    clock = Clock()
    reg = CallRegistry(ttl_s=1, clock=clock)
    record = reg.open("t1", "call-1")
    clock.now = 1000.0
    assert reg.expire() == []
    reg.open("t1", "other")
    assert reg.get("t1", "call-1") is record


def test_forgotten_call_is_dropped_at_once() -> None:
    """Closing with `forget` (a declined call) drops the record and its finals immediately."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    record.finals.append(final(1))
    reg.close(record, forget=True)
    assert reg.get("t1", "call-1") is None
    fresh = reg.open("t1", "call-1")
    assert fresh is not None and fresh.finals == []


def test_erase_forgets_the_finals_but_keeps_the_numbering() -> None:
    """An erasure request clears the retained finals (nothing to replay on resume); new finals continue
    after the last seq so that no number is reused."""
    reg = CallRegistry(ttl_s=60)
    record = reg.open("t1", "call-1")
    assert record is not None
    record.finals += [final(1), final(2)]
    assert reg.erase("t1", "call-1") and not reg.erase("t1", "other")
    assert record.finals == [] and record.next_seq == 3
