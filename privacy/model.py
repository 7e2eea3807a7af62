"""Value types shared by the privacy package: spans, results, policies and the exception root."""

from __future__ import annotations

from dataclasses import dataclass

from protocol.vocab import RedactionPolicy

__all__ = ["KINDS", "Finding", "Policy", "PrivacyError", "RedactionResult", "Span"]

#: Every PII kind the redactor can emit, in priority order (earlier wins on overlap); ``number`` is
#: the fail-safe for digit runs no checksum recognised (:mod:`privacy.failsafe`).
KINDS: tuple[str, ...] = ("email", "iban", "dob", "card", "phone", "bsn", "postcode", "name", "number")


class PrivacyError(Exception):
    """Root of every exception raised by the privacy package (always an API misuse, never the text)."""


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` holding one piece of PII of ``kind``."""

    kind: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise PrivacyError(f"unknown PII kind {self.kind!r}")
        if not 0 <= self.start < self.end:
            raise PrivacyError(f"invalid span [{self.start}, {self.end})")


@dataclass(frozen=True, slots=True)
class RedactionResult:
    """Output of :meth:`privacy.Redactor.redact`.

    ``text`` is the redacted text; ``redactions`` are the spans of the replacement tokens inside
    ``text`` (what the wire ``final.redactions`` carries); ``original_spans`` are the same findings
    as offsets into the original text, in the same order.
    """

    text: str
    redactions: tuple[Span, ...]
    original_spans: tuple[Span, ...]

    def __post_init__(self) -> None:
        if len(self.redactions) != len(self.original_spans):
            raise PrivacyError("redactions and original_spans must pair up")
        for span in self.redactions:
            if span.end > len(self.text):
                raise PrivacyError("redaction span outside the redacted text")


Policy = RedactionPolicy
"""What the redactor does with a finding: the one redaction-policy vocabulary of ``protocol.vocab``."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector hit: where it is in the original text and a canonical value for pseudonyms."""

    span: Span
    key: str
