"""Typed errors of file transcription: each names its HTTP status and a stable machine-readable code."""

from __future__ import annotations


class FileError(Exception):
    """A request the gateway refuses; `status` is the HTTP status, `code` the documented error code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(FileError):
    """A missing or invalid form field (`file`, `model`, `response_format`, ...)."""


class EmptyFile(FileError):
    code = "empty_file"


class NoAudio(FileError):
    """The file decodes but holds no audio stream or no samples."""

    code = "no_audio"


class CorruptAudio(FileError):
    """The decoder failed on the file's content."""

    code = "corrupt_audio"


class TruncatedAudio(FileError):
    """The file holds less audio than its header declares (cut off in transfer)."""

    code = "truncated_audio"


class UnsupportedFormat(FileError):
    """Neither the extension nor the content names a supported format."""

    status = 415
    code = "unsupported_format"


class TooLarge(FileError):
    """The upload is larger than `max_upload_bytes`."""

    status = 413
    code = "too_large"


class TooLong(FileError):
    """The decoded audio is longer than `max_audio_seconds`."""

    status = 413
    code = "too_long"


class Unauthorized(FileError):
    status = 401
    code = "unauthorized"


class ConsentBasisRefused(FileError):
    """No consent basis given, or one the operator has not configured: nothing is processed."""

    status = 403
    code = "consent_basis_not_accepted"


class NotFound(FileError):
    status = 404
    code = "not_found"


class Busy(FileError):
    """Too many recording jobs are queued (`max_jobs`)."""

    status = 503
    code = "overloaded"


class NeedsLocalEngine(FileError):
    """The model runs on a remote backend (`[remote]`, e.g. Ray): files are decoded in Whisper's 30 s windows
    by a local faster-whisper model, which a remote backend does not expose."""

    status = 501
    code = "needs_local_engine"


class InternalError(FileError):
    """Anything unexpected (logged with the exception); the gateway keeps serving."""

    status = 500
    code = "internal_error"
