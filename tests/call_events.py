"""Test support: feed wire-shaped call histories to bus listeners, and watch the bus as wire messages.

The driver is what turns a call into `gateway.core.events` in production; these helpers let unit tests
of a listener (caption hub, store listener) write a call's history the way the client sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from gateway.core.caption_hub import CaptionHub
from gateway.core.events import (
    CallErased,
    CallEvent,
    CallOpened,
    ConnectionClosed,
    ConsentChanged,
    EraseReason,
    Listener,
    Sent,
)
from gateway.runtime import Runtime
from protocol.messages import CallEnded, ConsentState, ConsentStateName, Ready, ServerMessage, Start

Wire = ServerMessage | Start


def events_for(tenant: str, call_id: str, msg: Wire) -> list[CallEvent]:
    """The events the driver publishes for one message of a call (`CallEnded` stands for the connection's end)."""
    if isinstance(msg, Start):
        return [CallOpened(tenant, call_id, msg)]
    if isinstance(msg, CallEnded):
        return [ConnectionClosed(tenant, call_id, msg.finals, resumable=False)]
    out: list[CallEvent] = [Sent(tenant, call_id, msg)]
    if isinstance(msg, Ready):
        out.append(ConsentChanged(tenant, call_id, cast(ConsentStateName, msg.consent), 0.0, initial=True))
    elif isinstance(msg, ConsentState):
        out.append(ConsentChanged(tenant, call_id, msg.state, msg.at, msg.announcement))
        if msg.state == "declined":
            out.append(CallErased(tenant, call_id, EraseReason.DECLINED))
    return out


def publish_to(listener: Listener, tenant: str, call_id: str, msg: Wire) -> None:
    for event in events_for(tenant, call_id, msg):
        listener(event)


def publish_to_runtime(rt: Runtime, tenant: str, call_id: str, msg: Wire) -> None:
    for event in events_for(tenant, call_id, msg):
        rt.publish(event)


def as_wire(event: CallEvent) -> Wire | None:
    """The wire message an event stands for (None for events with no wire form)."""
    if isinstance(event, CallOpened):
        return event.start
    if isinstance(event, Sent):
        return event.message
    if isinstance(event, ConnectionClosed):
        return CallEnded(event.call_id, event.finals)
    return None


def wire_listener(fn: Callable[[str, str, Wire], None]) -> Listener:
    """A bus listener calling `fn(tenant, call_id, message)` for every event with a wire form."""

    def listener(event: CallEvent) -> None:
        msg = as_wire(event)
        if msg is not None:
            fn(event.tenant, event.call_id, msg)

    return listener


def feed_hub(hub: CaptionHub, tenant: str, call_id: str, msg: Wire, now: float) -> None:
    """Feed one wire-shaped message of a call to a caption hub at wall time `now`."""
    for event in events_for(tenant, call_id, msg):
        hub.on_event(event, now)
