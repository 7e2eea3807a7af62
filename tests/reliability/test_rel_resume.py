"""A native client that drops mid-utterance keeps that utterance (finding 8), and a `resume_from`
reconnect takes over a frozen connection at once (finding 7)."""

from __future__ import annotations

import asyncio
import json

from tests.conftest import Gateway
from tests.reliability.conftest import JFK, SHORT, connect, stored, until_dropped


async def test_a_drop_mid_utterance_finalises_it(stored_gw: Gateway) -> None:
    """The open utterance of a client that vanishes after 2 s of speech is finalised: its final is stored
    and replayed to the `resume_from: 0` reconnect, which continues the numbering after it."""
    gw = stored_gw
    first = await connect(gw, "drop-mid")
    await first.until("ready")
    await first.send_clip(JFK, seconds=2.0)
    await first.ws.close()
    assert first.of_type("final") == []  # nothing was final when the client went away
    await until_dropped(gw, "tenant-a", "drop-mid")
    kept = (await stored(gw, "drop-mid")).json()["transcript"]
    assert [f["seq"] for f in kept] == [1] and kept[0]["text"].strip()
    resumed = await connect(gw, "drop-mid", resume_from=0)
    await resumed.send_clip(SHORT)
    await resumed.ws.send(json.dumps({"type": "stop"}))
    await resumed.closed()
    finals = resumed.of_type("final")
    assert finals[0]["seq"] == 1 and finals[0]["text"] == kept[0]["text"]
    assert [f["seq"] for f in finals] == list(range(1, len(finals) + 1)) and len(finals) >= 2


async def test_resume_takes_over_a_frozen_connection(stored_gw: Gateway) -> None:
    """While the first connection is still open (its network frozen), a `resume_from` reconnect of the same
    tenant gets `ready` instead of 'already streaming'; the old socket is closed 4001 "taken over" after its
    open utterance was finalised, and the reconnect replays that final."""
    gw = stored_gw
    old = await connect(gw, "frozen")
    await old.until("ready")
    await old.send_clip(JFK, seconds=2.0)
    await asyncio.sleep(0.3)  # the audio is in; the client now sends nothing more
    new = await connect(gw, "frozen", resume_from=0)
    await new.until("ready", within_s=15)
    await old.closed()
    assert (old.ws.close_code, old.ws.close_reason) == (4001, "taken over")
    assert new.of_type("error") == []
    await new.until("final")
    assert new.of_type("final")[0]["seq"] == 1
    await new.ws.send(json.dumps({"type": "stop"}))
    await new.closed()
    assert new.of_type("closed")
