"""WER normalisation on known pairs, and the partial-stability measure built on it."""

from __future__ import annotations

import pytest

from bench.metrics import revised
from bench.wer import normalize, wer


@pytest.mark.parametrize(
    ("reference", "hypothesis", "language"),
    [
        ("Sure, it's four five seven two nine one.", "Sure it's 4 5 7 2 9 1", "en"),
        ("For the twentieth time that evening", "for the 20th time that evening", "en"),
        ("MISTER QUILTER IS THE APOSTLE", "Mr. Quilter is the apostle.", "en"),
        ("Ask not what your country can do for you", "ask not — what your country can do for you!", "en"),
        ("a twenty-one gun salute", "a 21 gun salute", "en"),
        ("De Straat van Gibraltar is een zee-engte", "de straat van Gibraltar is een zee engte", "nl"),
        ("vijfentwintig euro", "25 euro", "nl"),
        ("It costs 1,200 dollars", "it costs one thousand two hundred dollars", "en"),
    ],
)
def test_spelling_variants_normalise_to_zero_wer(reference: str, hypothesis: str, language: str) -> None:
    """Case, punctuation, titles, ordinals, digits and hyphens do not count as errors."""
    assert normalize(reference, language) == normalize(hypothesis, language)
    assert wer([reference], [hypothesis], language) == 0.0


def test_real_word_errors_still_count() -> None:
    """A substitution and a deletion over four reference words give WER 0.5, pooled over utterances."""
    assert wer(["a b c d"], ["a x c"]) == 0.5
    assert wer(["one two", "three four five six"], ["one two", "three"]) == pytest.approx(3 / 6)


def test_revised_counts_partial_words_the_final_did_not_keep() -> None:
    """Words a later final extends are kept; a changed or dropped word is revised; empties are safe."""
    assert revised("thank you for", "Thank you for calling Acme") == (0, 3)
    assert revised("thank you four calling", "thank you for calling") == (1, 4)
    assert revised("and so my fellow", "and so fellow Americans") == (1, 4)
    assert revised("", "anything") == (0, 0)
    assert revised("hello there", "") == (2, 2)
