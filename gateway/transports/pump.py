"""What every telephony transport does with its adapter: hand decoded messages to the call driver.

The adapters (``protocol.adapters``) turn a media server's protocol into the native client messages;
the shells only pump bytes in, these messages to the driver, and the adapter's frames out.
"""

from __future__ import annotations

from gateway.driver import CallDriver
from protocol.adapters.base import Adapter
from protocol.messages import ErrorMessage, Final, Partial, ServerMessage


async def deliver(adapter: Adapter, driver: CallDriver) -> bool:
    """Apply every message the adapter decoded so far; True once the call is complete (after ``Stop``)."""
    done = False
    for msg in adapter.events_received():
        if not done:
            done = await driver.handle(msg)
    return done


def frames_for(adapter: Adapter, msg: ServerMessage) -> list[str | bytes]:
    """The media server's frames for one server message of the call.

    Partials and finals go back where the protocol has a way (``send_transcript``); an error is
    announced by the adapter's own error frame, if its failure queued one; everything else (ready,
    consent, closed) has no equivalent in the media servers' protocols. An adapter that maps every server
    message itself (``server_frames``, the compatible APIs) decides alone.
    """
    own = adapter.server_frames(msg)
    if own is not None:
        return own
    if isinstance(msg, Partial | Final):
        return adapter.send_transcript(msg)
    if isinstance(msg, ErrorMessage):
        return adapter.data_to_send()
    return []
