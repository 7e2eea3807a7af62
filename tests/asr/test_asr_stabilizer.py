"""Partial stabilisation: committed prefixes by agreement, never retracted while the utterance is open."""

from __future__ import annotations

from asr.stabilizer import PartialStabilizer, StablePartial


def test_first_hypothesis_is_shown_with_nothing_committed() -> None:
    """A single hypothesis is shown as is, with no stable prefix yet."""
    s = PartialStabilizer()
    assert s.update("and so my") == StablePartial("and so my", 0)
    assert s.committed == ""


def test_agreeing_words_become_committed() -> None:
    """Words two consecutive hypotheses agree on, from the start, become the stable prefix."""
    s = PartialStabilizer()
    s.update("and so my fellow")
    out = s.update("and so my fellow Americans")
    assert out == StablePartial("and so my fellow Americans", len("and so my fellow"))
    assert s.committed == "and so my fellow"


def test_agreement_ignores_case_and_punctuation() -> None:
    """Hypotheses that differ only in case and punctuation agree."""
    s = PartialStabilizer()
    s.update("And so, my fellow")
    out = s.update("and so my fellow Americans.")
    assert out is not None
    assert out.stable_chars == len("and so my fellow")


def test_committed_prefix_is_never_retracted() -> None:
    """A later hypothesis that disagrees cannot rewrite committed words; its extra words are appended."""
    s = PartialStabilizer()
    s.update("ask not what your")
    s.update("ask not what your country")
    out = s.update("ask knot watt you're country can do")
    assert out is not None
    assert out.text == "ask not what your country can do"
    assert out.text[: out.stable_chars] == "ask not what your"
    assert s.committed == "ask not what your"


def test_shown_text_always_starts_with_the_committed_prefix() -> None:
    """Through a run of wavering hypotheses, every shown text starts with every earlier stable prefix."""
    s = PartialStabilizer()
    hypotheses = [
        "ask",
        "ask not",
        "ask not what",
        "ass not what you",
        "ask not what your country",
        "ask not what your country can",
        "as not",
        "ask not what your country can do for you",
    ]
    prefixes: list[str] = []
    for h in hypotheses:
        out = s.update(h)
        if out is None:
            continue
        assert all(out.text.startswith(p) for p in prefixes)
        assert out.stable_chars <= len(out.text)
        prefixes.append(out.text[: out.stable_chars])
    assert prefixes[-1] == "ask not what your country"


def test_unchanged_text_sends_nothing() -> None:
    """A hypothesis that changes neither the shown text nor the prefix yields None."""
    s = PartialStabilizer()
    assert s.update("hello world") == StablePartial("hello world", 0)
    assert s.update("hello world") == StablePartial("hello world", len("hello world"))
    assert s.update("hello world") is None
    assert s.update("Hello, world!") is None  # the committed words are kept as they were


def test_committed_words_keep_their_first_spelling() -> None:
    """Once committed, a word keeps its text even when later hypotheses change its case or punctuation."""
    s = PartialStabilizer()
    s.update("and so my")
    first = s.update("And so, my fellow")
    assert first is not None
    committed = first.text[: first.stable_chars]
    assert committed == "And so, my"
    later = s.update("and so my fellow Americans")
    assert later is not None
    assert later.text.startswith(committed)
    assert later.text == "And so, my fellow Americans"
    assert later.stable_chars == len("And so, my fellow")
