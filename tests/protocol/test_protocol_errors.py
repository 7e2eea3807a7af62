"""Error classes carry the wire codes and close codes of PROTOCOL.md."""

from __future__ import annotations

import pytest

from protocol.errors import (
    BadAudio,
    BadMessage,
    InternalError,
    Overloaded,
    ProtocolError,
    TooLarge,
    Unsupported,
)
from protocol.messages import ErrorMessage


@pytest.mark.parametrize(
    ("cls", "code", "close_code"),
    [
        (BadMessage, "bad_message", 1008),
        (BadAudio, "bad_audio", 1007),
        (Unsupported, "unsupported", 1003),
        (TooLarge, "too_large", 1009),
        (Overloaded, "overloaded", 1013),
    ],
)
def test_protocol_error_codes(cls: type[ProtocolError], code: str, close_code: int) -> None:
    """Each peer error has the error code and close code the protocol table assigns to it."""
    exc = cls("something is wrong")
    assert isinstance(exc, ProtocolError)
    assert (exc.code, exc.close_code, exc.message) == (code, close_code, "something is wrong")


def test_bad_message_close_code_override_is_per_instance() -> None:
    """BadMessage(close_code=1007) changes that instance only, not the class default."""
    undecodable = BadMessage("not JSON", close_code=1007)
    assert undecodable.close_code == 1007
    assert BadMessage("missing field").close_code == 1008
    assert BadMessage.close_code == 1008


def test_internal_error_is_a_separate_root() -> None:
    """Our own bugs are not ProtocolErrors, so they can never be blamed on the peer."""
    assert not issubclass(InternalError, ProtocolError)
    assert (InternalError.code, InternalError.close_code) == ("internal", 1011)


def test_error_message_from_exception() -> None:
    """The error message mirrors a peer error but hides the text of an internal error."""
    assert ErrorMessage.from_exception(TooLarge("frame over 64 KiB")) == ErrorMessage("too_large", "frame over 64 KiB")
    assert ErrorMessage.from_exception(InternalError("index 3 out of range")) == ErrorMessage(
        "internal", "internal error"
    )
