"""G.711 mu-law and A-law tables and encoders match the ITU-T algorithm."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from protocol.g711 import ALAW_TABLE, ULAW_TABLE, alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (0xFF, 0),
        (0x7F, 0),
        (0x00, -32124),
        (0x80, 32124),
        (0xF0, 120),
        (0x70, -120),
        (0xEF, 132),
        (0x81, 31100),
        (0x8F, 16764),
    ],
)
def test_ulaw_known_values(code: int, value: int) -> None:
    """mu-law codes decode to the values of the G.711 table scaled to 16 bits."""
    assert ulaw_decode(bytes([code])).tolist() == [value]


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (0xD5, 8),
        (0x55, -8),
        (0x2A, -32256),
        (0xAA, 32256),
        (0xD4, 24),
        (0xC5, 264),
        (0xF5, 528),
        (0xE5, 1056),
    ],
)
def test_alaw_known_values(code: int, value: int) -> None:
    """A-law codes decode to the values of the G.711 table scaled to 16 bits."""
    assert alaw_decode(bytes([code])).tolist() == [value]


def test_tables_are_odd_symmetric_and_monotonic() -> None:
    """Each positive code has a negative twin, and larger codes within a sign mean larger values."""
    ulaw, alaw = ULAW_TABLE.astype(np.int32), ALAW_TABLE.astype(np.int32)
    assert np.array_equal(ulaw[:128], -ulaw[128:])
    assert np.array_equal(alaw[:128], -alaw[128:])
    assert np.all(np.diff(ulaw[128:]) < 0)  # mu-law codes are inverted: 0x80 is the largest
    assert np.all(np.diff(alaw[128:][np.argsort(np.arange(128) ^ 0x55)]) > 0)
    assert ulaw_decode(ALL_CODES).dtype == np.int16


def test_decoders_match_python_audioop() -> None:
    """Both tables equal CPython's independent audioop implementation (where it still exists)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    assert np.array_equal(ULAW_TABLE, np.frombuffer(audioop.ulaw2lin(ALL_CODES, 2), dtype="<i2"))
    assert np.array_equal(ALAW_TABLE, np.frombuffer(audioop.alaw2lin(ALL_CODES, 2), dtype="<i2"))


def test_encoders_invert_the_tables() -> None:
    """Encoding a decoded code gives the code back (mu-law's negative zero becomes zero)."""
    ulaw = np.frombuffer(ulaw_encode(ULAW_TABLE), dtype=np.uint8)
    alaw = np.frombuffer(alaw_encode(ALAW_TABLE), dtype=np.uint8)
    expected_ulaw = np.arange(256)
    expected_ulaw[0x7F] = 0xFF
    assert np.array_equal(ulaw, expected_ulaw)
    assert np.array_equal(alaw, np.arange(256))


def test_ulaw_round_trip_error_bound() -> None:
    """For every int16, mu-law round-trip error is within half a step: (|x| + 132) / 32."""
    x = ALL_INT16.astype(np.int64)
    error = np.abs(ulaw_decode(ulaw_encode(ALL_INT16)).astype(np.int64) - x)
    assert np.all(error <= (np.abs(x) + 132) / 32)
    assert error[np.abs(x) < 100].max() <= 4


def test_alaw_round_trip_error_bound() -> None:
    """For every int16, A-law round-trip error is within half a step: max(8, |x| / 32)."""
    x = ALL_INT16.astype(np.int64)
    error = np.abs(alaw_decode(alaw_encode(ALL_INT16)).astype(np.int64) - x)
    assert np.all(error <= np.maximum(8, np.abs(x) / 32))


def test_encoders_are_monotonic_and_keep_sign() -> None:
    """Decoded values never decrease as the input grows, and never flip sign."""
    for encode, decode in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        y = decode(encode(ALL_INT16)).astype(np.int64)
        assert np.all(np.diff(y) >= 0)
        assert np.all(y * ALL_INT16 >= 0)


def test_encoders_accept_any_shape() -> None:
    """Multi-dimensional input is flattened in C order (interleaved frames stay interleaved)."""
    frames = np.array([[100, -100], [2000, -2000]], dtype=np.int16)
    assert ulaw_encode(frames) == ulaw_encode(frames.ravel())
    assert len(alaw_encode(frames)) == 4
