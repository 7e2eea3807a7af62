"""The benchmark's one exception root.

BenchError
 ├── ManifestError   the manifest or a turn file is missing, malformed or selects nothing
 ├── PeerError       a peer could not be installed or prepared (the message says why)
 └── ServerError     a system did not start (its log file is named in the message)
"""

from __future__ import annotations


class BenchError(Exception):
    """Anything that stops the benchmark from measuring a system."""


class ManifestError(BenchError, ValueError):
    """The manifest or a turn file is missing, malformed or selects nothing."""


class PeerError(BenchError):
    """A peer could not be installed or prepared; the message says why."""


class ServerError(BenchError):
    """A system did not start (its log file is named in the message)."""
