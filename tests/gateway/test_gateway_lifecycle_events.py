"""`CallClosed` fires exactly once per call, over real sockets with the real model: after a normal stop,
after a drop and a resume, when the resume window of a drop expires (injected clock), and after a decline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bench.audio import read_wav
from bench.client import Action, StreamOptions, stream_call
from gateway.core.events import CallClosed, CallErased, CallEvent, CloseReason, ConnectionClosed, EraseReason
from protocol.messages import ConsentEvent
from tests.conftest import AUDIO, TOKEN, Gateway, make_config, start_gateway
from tests.e2e.test_lifecycle import drop_after_finals

JFK = AUDIO / "real" / "jfk.wav"


class Clock:
    """The registry's clock, moved by the test (monotonic seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    """Every bus event, in order."""

    events: list[CallEvent] = field(default_factory=list)

    def __call__(self, event: CallEvent) -> None:
        self.events.append(event)

    def closed(self, call_id: str) -> list[CallClosed]:
        return [e for e in self.events if isinstance(e, CallClosed) and e.call_id == call_id]


@dataclass
class Setup:
    gw: Gateway
    clock: Clock
    seen: Recorder


@pytest.fixture
async def setup(engines: Any, vad_model: Any) -> AsyncIterator[Setup]:
    clock = Clock()
    gw, task = await start_gateway(make_config(resume_ttl_s=60.0), engines, vad_model, clock)
    seen = Recorder()
    gw.runtime.bus.subscribe(seen)
    yield Setup(gw, clock, seen)
    gw.server.should_exit = True
    await task


async def test_a_normal_stop_closes_the_call_once_with_its_transcript(setup: Setup) -> None:
    """After `stop`, one `CallClosed(stopped)` carries exactly the finals the client received."""
    run = await stream_call(setup.gw.url, TOKEN, read_wav(JFK), StreamOptions(call_id="plain", pace=0))
    closed = setup.seen.closed("plain")
    assert len(closed) == 1 and closed[0].reason is CloseReason.STOPPED
    assert [f.text for f in closed[0].finals] == [f["text"] for f in run.finals] and run.finals
    assert closed[0].consent == "active" and closed[0].start.call_id == "plain"
    assert len(closed[0].raw_texts) == len(closed[0].finals)  # the text before redaction, for in-process use
    assert all(raw is not None and raw.strip() for raw in closed[0].raw_texts)
    setup.clock.now += 3600
    assert setup.gw.runtime.sweep() == 0 and len(setup.seen.closed("plain")) == 1


async def test_a_drop_then_resume_closes_once_after_the_resumed_connection(setup: Setup) -> None:
    """A dropped connection does not close the call; the resumed one's stop does, once, with every final."""
    first = await drop_after_finals(setup.gw, "dropped", read_wav(JFK), 2)
    assert setup.seen.closed("dropped") == []
    conns = [e for e in setup.seen.events if isinstance(e, ConnectionClosed) and e.call_id == "dropped"]
    assert len(conns) == 1 and conns[0].resumable
    clip = read_wav(AUDIO / "real" / "cmu_arctic_us_aew_a0003.wav")
    second = await stream_call(setup.gw.url, TOKEN, clip, StreamOptions(call_id="dropped", pace=0, resume_from=0))
    closed = setup.seen.closed("dropped")
    assert len(closed) == 1 and closed[0].reason is CloseReason.STOPPED
    assert [f.seq for f in closed[0].finals] == [f["seq"] for f in second.finals]
    assert len(closed[0].finals) > len(first)
    setup.clock.now += 3600
    assert setup.gw.runtime.sweep() == 0 and len(setup.seen.closed("dropped")) == 1


async def test_a_drop_without_resume_closes_when_the_window_expires(setup: Setup) -> None:
    """A dropped call closes (`expired`) only once its resume window has passed on the registry's clock."""
    first = await drop_after_finals(setup.gw, "gone", read_wav(JFK), 2)
    rt = setup.gw.runtime
    setup.clock.now += 59.0
    assert rt.sweep() == 0 and setup.seen.closed("gone") == []
    setup.clock.now += 2.0
    assert rt.sweep() == 1
    closed = setup.seen.closed("gone")
    assert len(closed) == 1 and closed[0].reason is CloseReason.EXPIRED
    assert [f.text for f in closed[0].finals][: len(first)] == [f["text"] for f in first]
    assert rt.sweep() == 0 and len(setup.seen.closed("gone")) == 1


async def test_a_decline_erases_then_closes_once_with_nothing_kept(setup: Setup) -> None:
    """`declined` publishes `CallErased(declined)` and then one `CallClosed(declined)` with no finals."""
    options = StreamOptions(call_id="no", pace=0, actions=[Action(4.0, ConsentEvent("declined"))])
    run = await stream_call(setup.gw.url, TOKEN, read_wav(JFK), options)
    assert run.of_type("consent")[-1]["state"] == "declined"
    erased = [e for e in setup.seen.events if isinstance(e, CallErased) and e.call_id == "no"]
    closed = setup.seen.closed("no")
    assert [e.reason for e in erased] == [EraseReason.DECLINED]
    assert len(closed) == 1 and closed[0].reason is CloseReason.DECLINED and closed[0].finals == ()
    assert setup.seen.events.index(erased[0]) < setup.seen.events.index(closed[0])
    assert setup.gw.runtime.registry.get("tenant-a", "no") is None
