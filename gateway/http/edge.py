"""The HTTP/1.1 protocol the server runs: uvicorn's h11 protocol plus a request-header deadline.

uvicorn bounds the size of incomplete headers with h11 (`h11_max_incomplete_event_size`; its default
`httptools` parser has no bound at all, so the server pins h11) but has no timeout for headers that
arrive slowly: its keep-alive timer is re-armed by every byte. `HeaderDeadlineH11` closes a connection
whose first request line and headers are not complete `header_timeout_s` after it opened, whatever
trickles in meanwhile (a slowloris peer).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderDeadlineH11(H11Protocol):
    """`H11Protocol` with a deadline for the first request's headers (see the module doc)."""

    header_timeout_s = 10.0
    """Set per server by `header_protocol(timeout)`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._deadline is not None and self.conn.their_state is not h11.IDLE:
            self._cancel_deadline()  # the request line and headers are complete (or the request failed)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def header_protocol(timeout_s: float) -> type[HeaderDeadlineH11]:
    """A `HeaderDeadlineH11` subclass with this deadline (uvicorn instantiates the class per connection)."""
    return type("HeaderDeadlineH11", (HeaderDeadlineH11,), {"header_timeout_s": timeout_s})
