"""Validation helpers shared by the message classes and the codec (private).

Client-side checks raise ``BadMessage`` (the peer sent it); server-side checks raise
``InternalError`` (we built it). Error messages name the field, never echo its content.
"""

from __future__ import annotations

import math
import numbers

from protocol.errors import BadMessage, InternalError


def type_name(value: object) -> str:
    """Wire-level name of a value's type, for error messages."""
    names = {bool: "boolean", int: "integer", float: "number", str: "string", bytes: "binary"}
    names |= {list: "list", tuple: "list", dict: "object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def client_text(value: object, field: str, *, max_len: int, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a valid UTF-8 string of at most ``max_len`` characters."""
    if not isinstance(value, str):
        raise BadMessage(f"{field}: expected a string, got {type_name(value)}")
    if not value and not allow_empty:
        raise BadMessage(f"{field}: must not be empty")
    if len(value) > max_len:
        raise BadMessage(f"{field}: longer than {max_len} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadMessage(f"{field}: not valid Unicode text", close_code=1007) from None
    return value


def client_int(value: object, field: str) -> int:
    """Return ``value`` if it is an integer (booleans are not integers on the wire)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadMessage(f"{field}: expected an integer, got {type_name(value)}")
    return value


def client_bool(value: object, field: str) -> bool:
    """Return ``value`` if it is a boolean."""
    if not isinstance(value, bool):
        raise BadMessage(f"{field}: expected a boolean, got {type_name(value)}")
    return value


def client_choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices`` (a string outside them is a BadMessage)."""
    text = client_text(value, field, max_len=64)
    if text not in choices:
        raise BadMessage(f"{field}: must be one of {', '.join(choices)}")
    return text


def client_text_tuple(value: object, field: str, *, max_items: int, max_len: int) -> tuple[str, ...]:
    """Return ``value`` if it is a tuple of non-empty, unique strings."""
    if not isinstance(value, tuple):
        raise BadMessage(f"{field}: expected a list, got {type_name(value)}")
    if len(value) > max_items:
        raise BadMessage(f"{field}: more than {max_items} items")
    items = tuple(client_text(v, f"{field}[{i}]", max_len=max_len) for i, v in enumerate(value))
    if len(set(items)) != len(items):
        raise BadMessage(f"{field}: items must be unique")
    return items


def server_check(condition: bool, message: str) -> None:
    """Raise InternalError(message) unless ``condition`` holds."""
    if not condition:
        raise InternalError(message)


def server_text(value: object, field: str, *, allow_empty: bool = True) -> None:
    """Check that a server message field is a (non-empty, if required) string."""
    server_check(isinstance(value, str), f"{field}: expected str, got {type(value).__name__}")
    server_check(allow_empty or bool(value), f"{field}: must not be empty")


def server_int(value: object, field: str, *, minimum: int = 0) -> None:
    """Check that a server message field is an integer >= ``minimum``."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    server_check(ok, f"{field}: expected int, got {type(value).__name__}")
    assert isinstance(value, int)
    server_check(value >= minimum, f"{field}: must be >= {minimum}")


def server_time(value: object, field: str) -> float:
    """Check that a server message field is a finite, non-negative number of seconds."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    server_check(ok, f"{field}: expected a number, got {type(value).__name__}")
    seconds = float(value)  # type: ignore[arg-type]  # checked just above
    server_check(math.isfinite(seconds) and seconds >= 0, f"{field}: must be finite and >= 0")
    return seconds


def server_span(start: object, end: object, owner: str) -> None:
    """Check a (start, end) pair of audio times: both valid and ``start <= end``."""
    first = server_time(start, f"{owner}.start")
    last = server_time(end, f"{owner}.end")
    server_check(first <= last, f"{owner}: start must not be after end")
