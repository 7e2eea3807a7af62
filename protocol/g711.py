"""ITU-T G.711 mu-law and A-law, between 8-bit codes and 16-bit linear PCM.

Theory of operation: G.711 is a piecewise-linear logarithmic code. A code byte holds a sign bit,
a 3-bit segment (exponent) ``e`` and a 4-bit step (mantissa) ``m``; each segment doubles the step
size of the previous one. Decoders return the middle of the quantisation interval, scaled to
16 bits (mu-law is defined on 14-bit samples, A-law on 13-bit samples):

* mu-law: codes are sent inverted; ``|x| = ((2m + 33) << e) * 4 - 132``; range +-32124.
* A-law: codes are sent with the even bits inverted (xor 0x55); the sign bit set means positive;
  ``|x| = (2m + 1) * 8`` for ``e == 0`` else ``(2m + 33) << (e + 2)``; range +-32256.

Decoding is a lookup in a 256-entry table computed from those formulas. Encoders quantise by
truncation inside the segment, so ``decode(encode(x))`` is off by at most half a step: a
relative error of about 1/32 (3 %), never more than 8 LSB near zero for A-law or 4 for mu-law
(clipping above the largest code aside). Both encoders invert their decoder exactly:
``encode(decode(c)) == c`` for every code except mu-law's negative zero 0x7F.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["ALAW_TABLE", "ULAW_TABLE", "alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]

Int16Array = npt.NDArray[np.int16]

_ULAW_BIAS = 0x84  # 132 = 33 << 2: mu-law magnitudes are offset so segments start at powers of 2
_ULAW_CLIP = 32635  # largest magnitude that still fits segment 7 once biased
_SEGMENT_STARTS = np.array([1 << (8 + e) for e in range(7)], dtype=np.int32)  # 256 ... 16384


def _ulaw_table() -> Int16Array:
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _ULAW_BIAS) << exponent) - _ULAW_BIAS
    return np.where(code & 0x80, -magnitude, magnitude).astype(np.int16)


def _alaw_table() -> Int16Array:
    code = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    step = (mantissa << 4) + 0x108
    magnitude = np.where(exponent == 0, (mantissa << 4) + 8, step << np.maximum(exponent - 1, 0))
    return np.where(code & 0x80, magnitude, -magnitude).astype(np.int16)


ULAW_TABLE: Int16Array = _ulaw_table()
"""``ULAW_TABLE[code]`` is the 16-bit linear value of a mu-law code (read-only)."""
ALAW_TABLE: Int16Array = _alaw_table()
"""``ALAW_TABLE[code]`` is the 16-bit linear value of an A-law code (read-only)."""
ULAW_TABLE.flags.writeable = False
ALAW_TABLE.flags.writeable = False


def ulaw_decode(data: bytes | npt.NDArray[np.uint8]) -> Int16Array:
    """Decode mu-law code bytes to int16 samples (one sample per byte)."""
    return ULAW_TABLE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes | npt.NDArray[np.uint8]) -> Int16Array:
    """Decode A-law code bytes to int16 samples (one sample per byte)."""
    return ALAW_TABLE[np.frombuffer(data, dtype=np.uint8)]


def _segment(magnitude: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Segment number 0..7 of 16-bit magnitudes: segment ``e >= 1`` starts at ``2 ** (e + 7)``."""
    return np.searchsorted(_SEGMENT_STARTS, magnitude, side="right").astype(np.int32)


def ulaw_encode(samples: npt.ArrayLike) -> bytes:
    """Encode int16 samples (any shape, flattened in C order) to mu-law code bytes."""
    x = np.asarray(samples, dtype=np.int16).astype(np.int32).ravel()
    negative = x < 0
    magnitude = np.minimum(np.abs(x), _ULAW_CLIP) + _ULAW_BIAS
    exponent = _segment(magnitude)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    code = (negative.astype(np.int32) << 7) | (exponent << 4) | mantissa
    return bytes((~code & 0xFF).astype(np.uint8))


def alaw_encode(samples: npt.ArrayLike) -> bytes:
    """Encode int16 samples (any shape, flattened in C order) to A-law code bytes."""
    x = np.asarray(samples, dtype=np.int16).astype(np.int32).ravel()
    negative = x < 0
    magnitude = np.where(negative, -x - 1, x)  # one's complement, as G.711 A-law specifies
    exponent = _segment(magnitude)
    shift = np.maximum(exponent, 1) + 3  # segments 0 and 1 share the same step
    mantissa = (magnitude >> shift) & 0x0F
    code = (np.where(negative, 0, 0x80) | (exponent << 4) | mantissa) ^ 0x55
    return bytes(code.astype(np.uint8))
