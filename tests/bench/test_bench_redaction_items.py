"""The recognised-speech redaction bench: its labelled set is large, valid and fully masked on the script text,
and its leak check sees digit runs however they are written."""

from __future__ import annotations

from collections import Counter

import pytest
from stdnum import iban, luhn
from stdnum.nl import bsn

from bench.redaction_items import KINDS, TOKENS, items
from bench.redaction_speech import clear_in, digit_leak, masked_words
from privacy import Redactor


@pytest.mark.parametrize("language", ["en", "nl"])
def test_set_is_large_and_its_identifiers_valid(language: str) -> None:
    """At least 60 identifier items per language, ten of every kind, plus 20 clean ones; the numbers pass
    their checksums (so a miss on speech is the recogniser's, not the set's)."""
    labelled = items(language)
    counts = Counter(i.kind for i in labelled)
    assert sum(counts[k] for k in KINDS) >= 60 and all(counts[k] >= 10 for k in KINDS) and counts["clean"] >= 20
    for item in labelled:
        if item.kind == "iban":
            assert iban.is_valid(item.secrets[1]) and item.secrets[1].endswith(item.secrets[0])
        if item.kind == "bsn":
            assert bsn.is_valid(item.secrets[0])
        if item.kind == "card":
            assert luhn.is_valid(item.secrets[0])


@pytest.mark.parametrize("language", ["en", "nl"])
def test_script_text_is_masked_and_typed_and_clean_text_untouched(language: str) -> None:
    """With perfect recognition every identifier item is masked with its own kind and shows nothing in
    clear, and the clean items lose no word (oh/double/hundred, vierendertig and spelled names included)."""
    for item in items(language):
        out = Redactor(language).redact(item.text).text
        if item.kind == "clean":
            assert out == item.text and masked_words(item.text, language)[1] == 0
        else:
            assert TOKENS[item.kind] in out and not clear_in(out, item), (item.text, out)


def test_leak_check_sees_every_way_of_writing_digits() -> None:
    """Written, grouped, comma-separated and spoken runs of four digits count; three do not; tokens do not."""
    for text in ("06 1234", "0,417,164", "4-4-7-1", "oh six one two", "nul zes twaalf", "[NUMBER] 1234"):
        assert digit_leak(text) is not None, text
    for text in ("06 1", "at 10:30", "[NUMBER] and [PHONE]", "one of them"):
        assert digit_leak(text) is None, text
