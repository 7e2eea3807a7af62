"""Exceptions raised by the protocol core.

Two separate roots tell apart "the peer misbehaved" from "we have a bug"::

    Exception
     ├── ProtocolError          the peer sent something we cannot accept
     │    ├── BadMessage        "bad_message"  1008 (1007 for undecodable JSON/msgpack)
     │    ├── BadAudio          "bad_audio"    1007
     │    ├── Unsupported       "unsupported"  1003
     │    ├── TooLarge          "too_large"    1009
     │    └── Overloaded        "overloaded"   1013
     └── InternalError          "internal"     1011 (our own fault, never the peer's)

Every error carries the wire ``code`` of the ``error`` message and the WebSocket ``close_code``
the gateway closes with. Messages are written for humans and never echo audio or transcript
content (they may name a field, a type or a number).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadAudio",
    "BadMessage",
    "InternalError",
    "Overloaded",
    "ProtocolError",
    "TooLarge",
    "Unsupported",
]


class ProtocolError(Exception):
    """The peer violated the protocol; the gateway sends ``error`` and closes with ``close_code``.

    ``close_code`` is a class-level default that an instance may override (see ``BadMessage``).
    """

    code: ClassVar[str] = "bad_message"
    close_code: int = 1008

    def __init__(self, message: str, *, close_code: int | None = None) -> None:
        super().__init__(message)
        if close_code is not None:
            self.close_code = close_code

    @property
    def message(self) -> str:
        """The human-readable message (safe to send to the peer)."""
        return str(self.args[0]) if self.args else ""


class BadMessage(ProtocolError):
    """Malformed message: wrong or missing field, unknown ``type``, message out of order.

    Use ``BadMessage(msg, close_code=1007)`` for payloads that are not valid JSON/msgpack/UTF-8.
    """

    code: ClassVar[str] = "bad_message"
    close_code: int = 1008


class BadAudio(ProtocolError):
    """An audio frame is not a whole number of sample frames, or longer than allowed."""

    code: ClassVar[str] = "bad_audio"
    close_code: int = 1007


class Unsupported(ProtocolError):
    """Well-formed but unsupported request: encoding, sample rate or channel count."""

    code: ClassVar[str] = "unsupported"
    close_code: int = 1003


class TooLarge(ProtocolError):
    """A frame exceeds the size limit."""

    code: ClassVar[str] = "too_large"
    close_code: int = 1009


class Overloaded(ProtocolError):
    """The gateway cannot take another call now; the client should try again later."""

    code: ClassVar[str] = "overloaded"
    close_code: int = 1013


class InternalError(Exception):
    """A bug on our side (e.g. an invalid server message was built); never the peer's fault."""

    code: ClassVar[str] = "internal"
    close_code: ClassVar[int] = 1011
