"""How a WebRTC call ends: the peer vanishing, and the gateway shutting down, never lose a final."""

from __future__ import annotations

import asyncio

from protocol.messages import CallEnded, Final, ServerMessage, Start
from tests.call_events import wire_listener
from tests.conftest import TOKEN, Gateway
from tests.webrtc.helpers import ASK_NOT, ScriptTrack, clip48k, dial, silence, words

SPEED = 4.0  # the tracks send audio four times faster than real time (the sample clock is unaffected)


def _record(gateway: Gateway, call_id: str) -> tuple[list[Final], asyncio.Event]:
    finals: list[Final] = []
    ended = asyncio.Event()

    def listener(tenant: str, cid: str, msg: ServerMessage | Start) -> None:
        if cid == call_id and isinstance(msg, Final):
            finals.append(msg)
        elif cid == call_id and isinstance(msg, CallEnded):
            ended.set()

    gateway.runtime.bus.subscribe(wire_listener(listener))
    return finals, ended


async def test_a_peer_that_hangs_up_without_stop_still_gets_its_finals_recorded(gateway: Gateway) -> None:
    """When the browser closes its peer connection abruptly, the call is flushed and released in the registry."""
    finals, ended = _record(gateway, "rtc-vanish")
    track = ScriptTrack([clip48k(span=ASK_NOT), silence(0.3)], [None, None], SPEED)
    phone = await dial(gateway.http, TOKEN, [track], call_id="rtc-vanish", language="en", consent="granted")
    await track.played[1].wait()
    await phone.pc.close()
    await ended.wait()
    assert "country can do for you" in words(" ".join(f.text for f in finals))
    assert gateway.runtime.registry.live == 0
    assert not gateway.runtime.connections


async def test_shutdown_drains_a_webrtc_call(gateway: Gateway) -> None:
    """A graceful shutdown flushes the call's finals and sends `closed` on the data channel before closing."""
    track = ScriptTrack([clip48k(span=ASK_NOT), silence(0.3)], [None, None], SPEED)
    phone = await dial(gateway.http, TOKEN, [track], call_id="rtc-drain", language="en", consent="granted")
    await track.played[1].wait()
    shutdown = asyncio.create_task(gateway.server.shutdown_gracefully())
    await phone.closed.wait()
    await phone.pc.close()  # as the softphone page does on `closed`
    await shutdown
    assert "country can do for you" in words(" ".join(str(f["text"]) for f in phone.finals()))
    assert phone.messages[-1]["type"] == "closed"
    assert not gateway.runtime.connections
