"""PartialGuard: streaming partials never show PII whose end has not arrived yet."""

from __future__ import annotations

import pytest

from privacy import PartialGuard, Redactor


def _shown(partials: list[str], language: str) -> list[str]:
    guard = PartialGuard()
    redactor = Redactor(language)
    return [redactor.redact(guard.hold_back(p)).text for p in partials]


@pytest.mark.parametrize(
    ("language", "partials", "secret"),
    [
        (
            "en",
            ["my number is oh six four eight", "my number is oh six four eight two three one nine five seven"],
            ["six", "four", "eight", "two", "nine"],
        ),
        (
            "nl",
            ["Mijn nummer is nul zes", "Mijn nummer is nul zes achtenveertig drieëntwintig negentien"],
            ["zes", "achtenveertig", "negentien"],
        ),
        ("en", ["Call me on 06-4823", "Call me on 06-4823 1957"], ["4823", "1957"]),
        (
            "en",
            ["my email is jan", "my email is jan at gmail dot", "my email is jan at gmail dot com"],
            ["jan", "gmail"],
        ),
        ("nl", ["mijn IBAN is NL84", "mijn IBAN is NL84 ABNA 5260"], ["NL84", "ABNA", "5260"]),
    ],
)
def test_pii_spoken_across_partials_does_not_leak(language: str, partials: list[str], secret: list[str]) -> None:
    """No partial, after hold-back and redaction, shows any piece of the PII being spoken."""
    for shown in _shown(partials, language):
        assert not any(piece in shown for piece in secret), shown


def test_final_redacts_what_partials_held_back() -> None:
    """Once the final arrives, the whole number is redacted and the rest of the sentence shown."""
    final = Redactor("en").redact("my number is oh six four eight two three one nine five seven thanks")
    assert final.text == "my number is [PHONE] thanks"


@pytest.mark.parametrize(
    "text",
    ["Hello, how are you?", "I live in Amsterdam.", "Ik heb een vraag over mijn rekening", "Goedemorgen."],
)
def test_ordinary_partials_pass_unchanged(text: str) -> None:
    """A partial that ends in an ordinary word is shown in full."""
    assert PartialGuard().hold_back(text) == text


def test_hold_back_returns_a_prefix() -> None:
    """The safe part is always a prefix of the partial, cut before the trailing number run."""
    text = "Please call oh six, four eight"
    shown = PartialGuard().hold_back(text)
    assert text.startswith(shown)
    assert shown == "Please call"
