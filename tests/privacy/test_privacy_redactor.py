"""The redactor's contract: offsets, policies, pseudonym stability, and silence in the logs."""

from __future__ import annotations

import itertools
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy import KINDS, Policy, PrivacyError, RedactionResult, Redactor, Span

_CALL = (
    "Hi, this is Sarah Johnson, my number is oh six one two three four five six seven eight "
    "and my email is sarah dot johnson at gmail dot com; IBAN NL84 ABNA 5260 1815 90."
)


def _check_offsets(original: str, result: RedactionResult, policy: Policy) -> None:
    """The text between redactions is the original text between findings, character for character."""
    orig_pos = red_pos = 0
    for span, orig in zip(result.redactions, result.original_spans, strict=True):
        token = result.text[span.start : span.end]
        assert token.startswith(f"[{span.kind.upper()}") and token.endswith("]")
        assert span.kind == orig.kind
        assert original[orig_pos : orig.start] == result.text[red_pos : span.start]
        orig_pos, red_pos = orig.end, span.end
    assert original[orig_pos:] == result.text[red_pos:]
    if policy is Policy.MASK:
        assert all(result.text[s.start : s.end] == f"[{s.kind.upper()}]" for s in result.redactions)


def test_redaction_spans_are_offsets_into_the_redacted_text() -> None:
    """Each redaction span covers exactly its "[KIND]" token in the redacted text, in order."""
    result = Redactor("en").redact(_CALL)
    assert [s.kind for s in result.redactions] == ["name", "phone", "email", "iban"]
    _check_offsets(_CALL, result, Policy.MASK)
    assert result.text == ("Hi, this is [NAME], my number is [PHONE] and my email is [EMAIL]; IBAN [IBAN].")


def test_original_spans_point_at_the_pii_in_the_original() -> None:
    """original_spans are offsets into the input text and cover the PII exactly."""
    result = Redactor("en").redact(_CALL)
    values = [_CALL[s.start : s.end] for s in result.original_spans]
    assert values == [
        "Sarah Johnson",
        "oh six one two three four five six seven eight",
        "sarah dot johnson at gmail dot com",
        "NL84 ABNA 5260 1815 90",
    ]


def test_pseudonyms_are_stable_within_a_call() -> None:
    """The same value gets the same pseudonym in every later text of the call; new values new ones."""
    redactor = Redactor("nl", Policy.PSEUDONYMISE)
    first = redactor.redact("Met Jan de Vries, mijn nummer is 06-48231957.")
    second = redactor.redact("Nogmaals: nul zes achtenveertig drieëntwintig negentien zevenenvijftig, Jan de Vries.")
    third = redactor.redact("Of bel Anouk op 06 28 47 19 30.")
    assert first.text == "Met [NAME_1], mijn nummer is [PHONE_1]."
    assert second.text == "Nogmaals: [PHONE_1], [NAME_1]."
    assert third.text == "Of bel [NAME_2] op [PHONE_2]."
    _check_offsets("Of bel Anouk op 06 28 47 19 30.", third, Policy.PSEUDONYMISE)


def test_pseudonyms_do_not_leak_across_calls() -> None:
    """A new redactor (a new call) starts numbering from 1 again."""
    Redactor("en", Policy.PSEUDONYMISE).redact("Call Olivia or Thomas.")
    result = Redactor("en", Policy.PSEUDONYMISE).redact("Call Thomas.")
    assert result.text == "Call [NAME_1]."


def test_policy_off_changes_nothing() -> None:
    """With Policy.OFF the text comes back unchanged and no span is reported."""
    result = Redactor("en", Policy.OFF).redact(_CALL)
    assert result == RedactionResult(_CALL, (), ())


def test_bad_arguments_raise_the_package_error() -> None:
    """Misuse (a policy given as a string, an empty language, a bad span) raises PrivacyError."""
    with pytest.raises(PrivacyError):
        Redactor("en", "mask")  # type: ignore[arg-type]
    with pytest.raises(PrivacyError):
        Redactor("")
    with pytest.raises(PrivacyError):
        Span("phone", 5, 5)
    with pytest.raises(PrivacyError):
        Span("ssn", 0, 3)


def test_redaction_never_logs_the_text(caplog: pytest.LogCaptureFixture) -> None:
    """Redacting emits no log record carrying any part of the transcript."""
    with caplog.at_level(logging.DEBUG):
        Redactor("en", Policy.PSEUDONYMISE).redact(_CALL)
    assert not any("Sarah" in r.getMessage() or "gmail" in r.getMessage() for r in caplog.records)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "oh",
                "six",
                "zes",
                "twaalf",
                "at",
                "dot",
                "punt",
                "Jan",
                "met",
                "06-48231957",
                "NL84",
                "ABNA",
                "5260",
                "1815",
                "90",
                ",",
                ".",
                "born",
                "12",
                "March",
                "1985",
                "my name is",
                "hello",
                "1234 AB",
            ]
        ),
        max_size=25,
    ).map(" ".join),
    st.sampled_from(list(Policy)),
)
def test_any_text_yields_consistent_spans(text: str, policy: Policy) -> None:
    """For any mix of tricky words the result is well-formed: spans in range, ordered, paired by kind."""
    result = Redactor("nl", policy).redact(text)
    spans = result.original_spans
    assert all(s.kind in KINDS and 0 <= s.start < s.end <= len(text) for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    _check_offsets(text, result, policy)
    if not spans:
        assert result.text == text
