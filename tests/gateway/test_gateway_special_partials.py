"""Partials are checked for special categories too: under `mask` and `stop` a health mention never shows in
clear in any partial, also when the partial misspells what the final will get right."""

from __future__ import annotations

import re

import pytest

from gateway.core.redaction import CallRedaction
from privacy import Policy
from protocol.messages import SpecialPolicy

# What a streaming model shows word by word, misheard forms included ("diagnose", "diabetis").
UTTERANCES = [
    ("en", "I was diagnose with diabetis last year and I take insuline", r"diagnos|diabet|insulin"),
    ("en", "my son has been in hospital with asthma since Monday", r"hospital|asthma"),
    ("en", "she suffers from chronic migraines and depression", r"chronic|migrain|depress"),
    ("nl", "ik ben vorig jaar gediagnosticeerd met diabetes en spuit insuline", r"diagnos|diabet|insuline"),
    ("nl", "mijn vrouw ligt in het ziekenhuis met kanker", r"ziekenhuis|kanker"),
]


@pytest.mark.parametrize("special", ["mask", "stop"])
@pytest.mark.parametrize(("language", "text", "clear"), UTTERANCES)
def test_health_mention_never_in_clear_in_a_partial(
    special: SpecialPolicy, language: str, text: str, clear: str
) -> None:
    """Every word-by-word partial of the utterance, under `mask` or `stop`, hides the health words."""
    redaction = CallRedaction(language, Policy.MASK, special)
    words = text.split()
    for n in range(1, len(words) + 1):
        shown = redaction.partial(" ".join(words[:n]))
        assert not re.search(clear, shown, re.IGNORECASE), shown


def test_flag_keeps_partials_readable_and_ordinary_words_pass() -> None:
    """`flag` does not mask partials (the final names the category), and an idiom is not masked."""
    assert "diabetes" in CallRedaction("en", Policy.MASK, "flag").partial("I have diabetes")
    assert CallRedaction("en", Policy.MASK, "mask").partial("I am sick of waiting") == "I am sick of waiting"
