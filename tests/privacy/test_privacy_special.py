"""Special-category (GDPR art. 9) detection on positives, inflections, and near-misses."""

from __future__ import annotations

import pytest

from privacy import PrivacyError, SpecialHit, detect_special


def _hits(text: str, language: str) -> list[tuple[str, str]]:
    return [(h.category, text[h.start : h.end]) for h in detect_special(text, language)]


@pytest.mark.parametrize(
    ("language", "text", "category", "value"),
    [
        ("en", "I've been off work with depression.", "health", "depression"),
        ("en", "I was diagnosed last year.", "health", "diagnosed"),
        ("nl", "Ik ben zwanger.", "health", "zwanger"),
        ("nl", "Ik heb last van paniekaanvallen.", "health", "paniekaanvallen"),
        ("en", "During Ramadan please call after sunset.", "religion", "Ramadan"),
        ("nl", "Het is een christelijke school.", "religion", "christelijke"),
        ("en", "I'm of Moroccan descent.", "ethnicity", "Moroccan descent"),
        ("nl", "Ik heb een migratieachtergrond.", "ethnicity", "migratieachtergrond"),
        ("en", "I voted for Labour.", "political", "voted for Labour"),
        ("nl", "Ik heb op de PVV gestemd.", "political", "PVV"),
        ("en", "I'm a union rep.", "trade_union", "union rep"),
        ("nl", "Ik ben vakbondslid.", "trade_union", "vakbondslid"),
        ("en", "He was arrested last week.", "criminal", "arrested"),
        ("nl", "Hij heeft een strafblad.", "criminal", "strafblad"),
        ("en", "I'm bisexual.", "sexual_orientation", "bisexual"),
        ("nl", "Zij is lesbisch.", "sexual_orientation", "lesbisch"),
    ],
)
def test_special_category_positive(language: str, text: str, category: str, value: str) -> None:
    """A special-category mention (inflected forms included) is reported with its category and extent."""
    assert (category, value) in _hits(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I'm sick of waiting on hold."),
        ("en", "I work at the hospital."),
        ("en", "The shop is on Church Street."),
        ("en", "It's a European Union rule."),
        ("en", "We're having a birthday party."),
        ("en", "He had a stroke of luck."),
        ("nl", "Ik word er ziek van."),
        ("nl", "Het pand staat in de Kerkstraat."),
        ("nl", "Ik geloof dat de monteur morgen komt."),
        ("nl", "Ik doe een bod op het huis."),
    ],
)
def test_special_category_near_miss(language: str, text: str) -> None:
    """Idioms, compounds and look-alike words are not reported."""
    assert _hits(text, language) == []


def test_language_scopes_the_lexicon() -> None:
    """Dutch rules fire for Dutch, not English; an unknown language uses both."""
    assert _hits("Mijn broer zit in de gevangenis.", "en") == []
    assert _hits("Mijn broer zit in de gevangenis.", "auto") == [("criminal", "gevangenis")]


def test_overlapping_hits_merge() -> None:
    """Overlapping matches of one category become one hit."""
    hits = detect_special("I have a criminal record and a criminal conviction.", "en")
    assert [h.category for h in hits] == ["criminal", "criminal"]


def test_special_hit_validates() -> None:
    """A hit with an unknown category or an empty range cannot be constructed."""
    with pytest.raises(PrivacyError):
        SpecialHit("hobby", 0, 1)  # type: ignore[arg-type]
    with pytest.raises(PrivacyError):
        SpecialHit("health", 3, 3)
