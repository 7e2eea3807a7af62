"""Digit-by-digit dictation: "one" (and "een", "oh") count as digits inside a dictated digit chain."""

from __future__ import annotations

import pytest

from privacy import Redactor
from privacy.numbers import normalise


@pytest.mark.parametrize(
    ("spoken", "normalised"),
    [
        ("zero six, four, seven, three, eight, nine, five, one, six", "06, 4, 7, 3, 8, 9, 5, 1, 6"),
        ("one 3 6 1 6 1 8 6 8", "1 3 6 1 6 1 8 6 8"),
        ("een 3 6 1 6 1 8 6 8", "1 3 6 1 6 1 8 6 8"),
        ("five, one, six", "5, 1, 6"),
        ("4-one-2", "4-1-2"),
        ("oh 6 1 2", "0 6 1 2"),
    ],
)
def test_ambiguous_word_in_dictated_chain_becomes_digit(spoken: str, normalised: str) -> None:
    """An ambiguous digit word joined to at least two dictated digits by spaces, commas or hyphens is a digit."""
    assert normalise(spoken).text == normalised


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("that one", "that one"),
        ("no one knows", "no one knows"),
        ("no one 5", "no one 5"),
        ("at 5, one of them", "at 5, one of them"),
        ("option one, 2 or 3", "option one, 2 or 3"),
        ("one one one", "one one one"),
        ("mijn nummer is een 06 12 34 56 78", "mijn nummer is een 06 12 34 56 78"),
        ("R A B O, eight three", "R A B O, 83"),
    ],
)
def test_ambiguous_word_outside_dictation_stays_word(text: str, normalised: str) -> None:
    """ "one"/"een"/the letter "o" stay words unless in a chain of three or more single digits, one plain."""
    assert normalise(text).text == normalised


def test_offsets_of_dictated_one_map_back() -> None:
    """The digit written for a dictated "one" maps back to exactly the word "one" in the original."""
    text = "it is five, one, six"
    norm = normalise(text)
    at = norm.text.index("1")
    assert norm.original(at, at + 1) == (text.index("one"), text.index("one") + 3)


def test_comma_dictated_phone_number_is_redacted_whole() -> None:
    """A phone number dictated digit by digit with commas is masked entirely, its "one" included."""
    text = "my number is zero six, four, seven, three, eight, nine, five, one, six"
    result = Redactor("en").redact(text)
    assert [r.kind for r in result.redactions] == ["phone"]
    assert "one" not in result.text and "six" not in result.text


def test_bsn_starting_with_spoken_one_is_found() -> None:
    """A BSN dictated as "one" followed by written digits is recognised and masked as a BSN."""
    for language, text in (("en", "my bsn is one 3 6 1 6 1 8 6 8"), ("nl", "mijn bsn is een 3 6 1 6 1 8 6 8")):
        result = Redactor(language).redact(text)
        assert [r.kind for r in result.redactions] == ["bsn"]
        assert not any(ch.isdigit() for ch in result.text)
        assert "one" not in result.text.split() and "een" not in result.text.split()
