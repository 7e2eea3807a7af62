"""Spoken-number normalisation: words become digits, offsets map back to the original text."""

from __future__ import annotations

import pytest

from privacy.numbers import is_number_word, nl_cardinal, normalise


@pytest.mark.parametrize(
    ("spoken", "digits"),
    [
        ("oh six one two three four five six seven eight", "0612345678"),
        ("nul zes twaalf vierendertig zesenvijftig achtenzeventig", "0612345678"),
        ("double oh four four", "0044"),
        ("nineteen eighty-five", "1985"),
        ("two thousand and five", "2005"),
        ("negentienhonderd vijfentachtig", "1985"),
        ("tweeduizend één", "2001"),
        ("four hundred and twelve", "412"),
        ("drieënveertig", "43"),
    ],
)
def test_spoken_numbers_become_digits(spoken: str, digits: str) -> None:
    """A run of English or Dutch number words is rewritten as the digits a reader would write."""
    assert normalise(spoken).text == digits


@pytest.mark.parametrize(
    "text",
    ["I have one question", "ik heb een vraag", "oh really", "the first name", "one of them, oh well"],
)
def test_ambiguous_words_alone_stay_words(text: str) -> None:
    """Ambiguous words (one, een, oh) and ordinals outside a number run or date stay words."""
    assert normalise(text).text == text


def test_ordinal_next_to_month_becomes_digits() -> None:
    """An ordinal beside a month name becomes its number ("the twenty-first of March")."""
    assert normalise("the twenty-first of March").text == "the 21 of March"
    assert normalise("de twaalfde mei").text == "de 12 mei"


def test_offsets_map_back_to_the_original_words() -> None:
    """A range in the normalised text maps to the exact original characters it came from."""
    text = "call oh six, one two now"
    norm = normalise(text)
    start = norm.text.index("06")
    begin, end = norm.original(start, start + 2)
    assert text[begin:end] == "oh six"
    start = norm.text.index("12")
    begin, end = norm.original(start, start + 2)
    assert text[begin:end] == "one two"


def test_plus_and_dash_words_join_numbers() -> None:
    """The word plus before a number is "+", and a spoken dash between digits does not split the run."""
    assert normalise("plus three one six").text == "+316"
    assert normalise("zero six dash four eight").text == "0648"


def test_number_word_lookup() -> None:
    """Dutch compounds and English words are recognised as number words; ordinary words are not."""
    assert nl_cardinal("vierentwintig") == 24
    assert nl_cardinal("negentienhonderdvijfentachtig") == 1985
    assert nl_cardinal("kerk") is None
    assert is_number_word("twaalf") and is_number_word("oh") and not is_number_word("bank")
