"""PII redaction and special-category detection for call transcripts (English and Dutch).

Every transcript text (partials and finals) passes a per-call :class:`Redactor` before it leaves
the gateway; any digit run long enough to be part of an identifier is masked even when no
checksum recognises it (:class:`NumberRule`, :mod:`privacy.failsafe`); partials first pass
:meth:`PartialGuard.hold_back`, so a phone number spoken across two partials never shows in either.
:func:`detect_special` reports GDPR art. 9 mentions (health, religion, ...) for the caller to act on.
Nothing in this package logs: text never reaches a log.

Exceptions: :class:`PrivacyError` is the root of everything raised here (always an API misuse).
"""

from privacy.failsafe import KEEP_CLASSES, NumberRule
from privacy.model import KINDS, Policy, PrivacyError, RedactionResult, Span
from privacy.redactor import Redactor
from privacy.special import CATEGORIES, Category, SpecialHit, detect_special, detect_special_partial
from privacy.stream import PartialGuard

__all__ = [
    "CATEGORIES",
    "KEEP_CLASSES",
    "KINDS",
    "Category",
    "NumberRule",
    "PartialGuard",
    "Policy",
    "PrivacyError",
    "RedactionResult",
    "Redactor",
    "Span",
    "SpecialHit",
    "detect_special",
    "detect_special_partial",
]
