"""Message dataclasses validate themselves: peer data raises ProtocolError, our bugs InternalError."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from protocol.codec import server_to_dict
from protocol.errors import BadMessage, InternalError, Unsupported
from protocol.messages import (
    AudioChunk,
    AudioFormat,
    CallEnded,
    Closed,
    ConsentState,
    Dtmf,
    ErrorMessage,
    Final,
    Partial,
    Ready,
    Redaction,
    Start,
    Word,
    default_legs,
)


@pytest.mark.parametrize(
    ("fmt", "bytes_per_sample", "frame_bytes"),
    [
        (AudioFormat("pcm_s16le", 16000, 1), 2, 2),
        (AudioFormat("pcm_s16le", 8000, 2), 2, 4),
        (AudioFormat("mulaw", 8000, 2), 1, 2),
        (AudioFormat("alaw", 48000, 1), 1, 1),
    ],
)
def test_audio_format_sizes(fmt: AudioFormat, bytes_per_sample: int, frame_bytes: int) -> None:
    """Sample and frame sizes follow from encoding and channel count."""
    assert (fmt.bytes_per_sample, fmt.frame_bytes) == (bytes_per_sample, frame_bytes)


def test_audio_format_rejects_unsupported_and_mistyped_values() -> None:
    """Unknown values are Unsupported; values of the wrong type are BadMessage."""
    with pytest.raises(Unsupported):
        AudioFormat("pcm_f32le", 16000, 1)  # type: ignore[arg-type]
    with pytest.raises(Unsupported):
        AudioFormat("mulaw", 11025, 1)
    with pytest.raises(BadMessage):
        AudioFormat("mulaw", 8000, 1.0)  # type: ignore[arg-type]


def test_messages_are_frozen_and_slotted() -> None:
    """Messages cannot be changed after validation and carry no per-instance dict."""
    msg = Dtmf("1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        msg.digit = "2"  # type: ignore[misc]
    assert not hasattr(msg, "__dict__")


def test_start_validates_direct_construction() -> None:
    """Adapters that build Start directly get the same checks as the codec (legs per channel)."""
    fmt = AudioFormat("mulaw", 8000, 2)
    assert Start("c", fmt, default_legs(2)).legs == ("agent", "caller")
    with pytest.raises(BadMessage, match="one leg name per audio channel"):
        Start("c", fmt, ("caller",))
    with pytest.raises(BadMessage, match="expected a list"):
        Start("c", fmt, ["agent", "caller"])  # type: ignore[arg-type]
    with pytest.raises(BadMessage, match="language"):
        Start("c", fmt, default_legs(2), language="")


def test_audio_chunk_requires_bytes() -> None:
    """Audio data must be bytes, so nothing mutable or textual reaches the decoder."""
    with pytest.raises(BadMessage):
        AudioChunk(bytearray(b"ab"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Ready("", "c", "pending", "m", ()),
        lambda: Ready("s", "c", "unknown", "m", ()),
        lambda: Ready("s", "c", "active", "m", ["en"]),  # type: ignore[arg-type]
        lambda: ConsentState("active", -0.1),
        lambda: ConsentState("active", math.nan),
        lambda: ConsentState("granted", 1.0),  # type: ignore[arg-type]
        lambda: Word("hi", 2.0, 1.0, 0.5),
        lambda: Word("hi", 1.0, 2.0, 1.5),
        lambda: Redaction("phone", 5, 5),
        lambda: Redaction("phone", -1, 3),
        lambda: Partial("caller", "u", "abc", 0.0, 1.0, stable_chars=4),
        lambda: Partial("caller", "u", "abc", 0.0, math.inf),
        lambda: Final(0, "caller", "u", "abc", 0.0, 1.0, "en"),
        lambda: Final(1, "caller", "u", "abc", 0.0, 1.0, "en", redactions=(Redaction("x", 1, 4),)),
        lambda: Final(True, "caller", "u", "abc", 0.0, 1.0, "en"),
        lambda: ErrorMessage("", "x"),
        lambda: Closed(-1, {}),
        lambda: Closed(0, {"caller": -1.0}),
        lambda: CallEnded("c", -1),
    ],
)
def test_invalid_server_messages_are_internal_errors(build: object) -> None:
    """A server message with impossible values is our bug (InternalError), caught before sending."""
    assert callable(build)
    with pytest.raises(InternalError):
        build()


def test_server_messages_accept_numpy_numbers() -> None:
    """Numpy scalars from the engine are accepted and serialised as plain floats."""
    word = Word("hi", np.float32(0.25), np.float32(0.5), np.float32(0.875))  # type: ignore[arg-type]
    out = server_to_dict(Final(1, "caller", "u", "hi", 0.25, 0.5, "en", words=(word,)))
    assert out["words"] == [{"word": "hi", "start": 0.25, "end": 0.5, "probability": 0.875}]
    assert type(out["start"]) is float


def test_closed_copies_its_dict() -> None:
    """Closed keeps its own copy of audio_seconds, so later edits by the caller do not leak in."""
    seconds = {"caller": 1.0}
    msg = Closed(1, seconds)
    seconds["caller"] = 99.0
    assert msg.audio_seconds == {"caller": 1.0}
