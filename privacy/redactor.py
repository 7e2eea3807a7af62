"""The per-call redactor: runs every detector, resolves overlaps and applies the policy.

Theory of operation
-------------------
``redact`` normalises spoken numbers once (:mod:`privacy.numbers`), asks every detector for
findings in original-text offsets, and keeps a non-overlapping subset: kinds earlier in
:data:`privacy.model.KINDS` win (an e-mail beats the name inside it, an IBAN beats the digits inside
it), then longer spans.  Then the fail-safe (:mod:`privacy.failsafe`) masks the digit runs that are
still in clear and long enough to be part of an identifier, per the redactor's
:class:`~privacy.failsafe.NumberRule`, as ``[NUMBER]`` (or the kind they validate as).  The kept
findings are replaced right to left by ``[KIND]`` (MASK) or by a pseudonym ``[KIND_n]``
(PSEUDONYMISE) whose number is fixed per (kind, canonical value) for the life of the redactor, i.e. one
call.  Nothing here logs: the text never reaches a log line.
"""

from __future__ import annotations

from collections.abc import Iterable

from privacy.dates import find_birth_dates
from privacy.detectors import find_emails, find_ibans, find_number_kinds, find_postcodes
from privacy.failsafe import NumberRule, find_unvalidated_numbers, promote_ibans
from privacy.model import KINDS, Finding, Policy, PrivacyError, RedactionResult, Span
from privacy.names import find_names
from privacy.numbers import normalise
from privacy.spelled import find_domains, find_email_fragments, find_spelled, find_spelled_caps

__all__ = ["LANGUAGES", "NumberRule", "Policy", "RedactionResult", "Redactor", "Span", "detect"]

#: Languages with tuned rules; any other code (or "auto") uses the rules of both.
LANGUAGES = frozenset({"nl", "en", "auto"})
_PRIORITY = {kind: rank for rank, kind in enumerate(KINDS)}


def detect(text: str, language: str, numbers: NumberRule | None = None) -> tuple[Finding, ...]:
    r"""All PII findings in ``text``, non-overlapping, sorted by start offset.

    ``numbers`` is the fail-safe rule for digit runs no checksum recognised (default
    :class:`NumberRule`\ (); ``NumberRule(0)`` gives the checksum detectors alone).
    """
    norm = normalise(text)
    candidates: list[Finding] = [
        *find_emails(text),
        *find_email_fragments(text),
        *find_ibans(norm),
        *find_birth_dates(norm),
        *find_number_kinds(norm, language),
        *find_postcodes(norm),
        *find_names(text),
        *find_spelled(text),
        *find_spelled_caps(text),
        *find_domains(text),
    ]
    kept = _resolve(candidates)
    rule = NumberRule() if numbers is None else numbers
    if rule.min_digits == 0:
        return kept
    kept = _resolve(promote_ibans(norm, kept))
    extra = list(find_unvalidated_numbers(norm, kept, language, rule))
    return _resolve([*extra, *kept]) if extra else kept


def _resolve(candidates: Iterable[Finding]) -> tuple[Finding, ...]:
    ranked = sorted(candidates, key=lambda f: (_PRIORITY[f.span.kind], f.span.start - f.span.end))
    kept: list[Finding] = []
    for finding in ranked:
        span = finding.span
        if all(span.end <= k.span.start or span.start >= k.span.end for k in kept):
            kept.append(finding)
    return tuple(sorted(kept, key=lambda f: f.span.start))


class Redactor:
    """Redacts PII from the transcripts of one call; create one per call.

    ``language`` is the call's language ("nl", "en"; anything else uses both rule sets); ``numbers``
    the fail-safe rule for unrecognised digit runs (:class:`NumberRule`, default: 4 digits).  With
    :attr:`Policy.PSEUDONYMISE` the redactor remembers which pseudonym each value got, so the same
    phone number is ``[PHONE_1]`` in every partial and final of the call.
    """

    __slots__ = ("_counters", "_language", "_numbers", "_policy", "_pseudonyms")

    def __init__(self, language: str, policy: Policy = Policy.MASK, numbers: NumberRule | None = None) -> None:
        if not isinstance(policy, Policy):
            raise PrivacyError(f"policy must be a Policy, not {type(policy).__name__}")
        if not isinstance(language, str) or not language:
            raise PrivacyError("language must be a non-empty string")
        self._language = language if language in LANGUAGES else "auto"
        self._policy = policy
        self._numbers = NumberRule() if numbers is None else numbers
        self._pseudonyms: dict[tuple[str, str], str] = {}
        self._counters: dict[str, int] = {}

    @property
    def policy(self) -> Policy:
        """The policy this redactor applies."""
        return self._policy

    def redact(self, text: str) -> RedactionResult:
        """Return ``text`` with every finding replaced, plus the spans before and after."""
        if self._policy is Policy.OFF or not text:
            return RedactionResult(text, (), ())
        findings = detect(text, self._language, self._numbers)
        pieces: list[str] = []
        redactions: list[Span] = []
        pos = 0
        length = 0
        for finding in findings:
            span = finding.span
            token = self._token(finding)
            pieces.append(text[pos : span.start])
            length += span.start - pos
            pieces.append(token)
            redactions.append(Span(span.kind, length, length + len(token)))
            length += len(token)
            pos = span.end
        pieces.append(text[pos:])
        return RedactionResult("".join(pieces), tuple(redactions), tuple(f.span for f in findings))

    def _token(self, finding: Finding) -> str:
        kind = finding.span.kind.upper()
        if self._policy is Policy.MASK:
            return f"[{kind}]"
        key = (finding.span.kind, finding.key)
        token = self._pseudonyms.get(key)
        if token is None:
            number = self._counters.get(kind, 0) + 1
            self._counters[kind] = number
            token = self._pseudonyms[key] = f"[{kind}_{number}]"
        return token
