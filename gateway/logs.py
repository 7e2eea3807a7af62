"""structlog set-up: one JSON object per line on stderr, key-value events, never transcript text.

Third-party loggers (uvicorn's `"WebSocket /v1/stream?token=..." [accepted]` lines, h11 warnings) go
through the stdlib root handler; `NoQueryStrings` strips every query string (and any `token=` value)
from those lines before they are written, so a token passed as `?token=` never reaches a log.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

_QUERY = re.compile(r"\?[^\s\"']*")
_TOKEN = re.compile(r"(?i)(token|authorization|bearer)([=: ]+)[^\s\"'&]+")
SCRUBBED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "websockets", "websockets.server")
"""Loggers whose lines can carry a request target; each gets a `NoQueryStrings` filter."""


def scrub(text: str) -> str:
    """`text` without query strings and without the value of anything that looks like a credential."""
    return _TOKEN.sub(r"\1\2[redacted]", _QUERY.sub("", text))


class NoQueryStrings(logging.Filter):
    """Rewrite a record's message without query strings or credential values (never drops the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep only its format string
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        return True


def install_scrubber() -> None:
    """Attach `NoQueryStrings` to the loggers that print request targets and to every root handler."""
    scrubber = NoQueryStrings()
    for name in SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
            logger.addFilter(scrubber)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, NoQueryStrings) for f in handler.filters):
            handler.addFilter(scrubber)


def configure(level: str = "info", json: bool = True) -> None:
    """Configure structlog (and route stdlib logging, e.g. uvicorn's errors, through the same level)."""
    logging.basicConfig(stream=sys.stderr, level=level.upper(), format="%(message)s")
    install_scrubber()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
