"""Logs are key-value events that never carry transcript text, DTMF digits or tokens."""

from __future__ import annotations

import structlog

from bench.audio import read_wav
from bench.client import Action, StreamOptions, stream_call
from protocol.messages import Dtmf
from tests.conftest import AUDIO, TOKEN, Gateway


async def test_a_call_logs_events_without_text(gateway: Gateway) -> None:
    """A whole call (with a non-opt-out DTMF key) logs call_started/call_ended with counters, and no
    logged value contains a word of the transcript, the digit or the bearer token."""
    clip = read_wav(AUDIO / "real" / "jfk.wav")
    with structlog.testing.capture_logs() as logs:
        run = await stream_call(
            gateway.url,
            TOKEN,
            clip,
            StreamOptions(call_id="log-call", pace=0, actions=[Action(1.0, Dtmf("7", "caller"))]),
        )
    assert run.finals
    events = [e["event"] for e in logs]
    assert "call_started" in events and "call_ended" in events
    ended = next(e for e in logs if e["event"] == "call_ended")
    assert ended["finals"] == len(run.finals)
    logged = " ".join(f"{k}={v}" for e in logs for k, v in e.items()).lower()
    words = {w.strip(".,!?").lower() for f in run.finals for w in f["text"].split()}
    leaked = {w for w in words if len(w) > 3 and w in logged}
    assert not leaked
    assert TOKEN not in logged and "digit" not in logged
