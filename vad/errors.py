"""The package's exception hierarchy.

VadError                    root: anything this package raises on purpose
├── VadConfigError          a VadConfig field is out of range (also a ValueError)
├── VadModelError           the silero ONNX file is missing or cannot be loaded
└── TimelineError           audio/probabilities fed out of order (also a ValueError): a caller bug
"""

from __future__ import annotations


class VadError(Exception):
    """Root of the errors raised by `vad`."""


class VadConfigError(VadError, ValueError):
    """A `VadConfig` field is out of range or inconsistent with another field."""


class VadModelError(VadError):
    """The silero VAD model file is missing, unreadable, or not the expected model."""


class TimelineError(VadError, ValueError):
    """Samples or windows were fed out of order (a jump backwards, or a gap the callee cannot bridge)."""
