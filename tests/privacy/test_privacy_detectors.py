"""Each PII detector on known positive and negative examples, checksums included."""

from __future__ import annotations

import re

import pytest

from privacy import NumberRule, Redactor


def _found(text: str, language: str, numbers: NumberRule | None = None) -> list[tuple[str, str]]:
    result = Redactor(language, numbers=numbers).redact(text)
    return [(s.kind, text[s.start : s.end]) for s in result.original_spans]


@pytest.mark.parametrize(
    ("language", "text", "kind", "value"),
    [
        (
            "en",
            "Call me on oh seven nine one one, one two three four five six.",
            "phone",
            "oh seven nine one one, one two three four five six",
        ),
        ("en", "It's +44 20 7946 0958.", "phone", "+44 20 7946 0958"),
        (
            "nl",
            "Mijn nummer is nul zes, twaalf, vierendertig, zesenvijftig, achtenzeventig.",
            "phone",
            "nul zes, twaalf, vierendertig, zesenvijftig, achtenzeventig",
        ),
        ("nl", "Bel 06-48231957 maar.", "phone", "06-48231957"),
        # The "oh" of "reach me on oh six" swallowed into one misheard word (Whisper tiny.en on an 8 kHz
        # espeak-ng caller, seen on an Intel CI runner): nine digits, still a Dutch mobile number.
        (
            "en",
            "You can reach Miano six, one two three four, five six seven eight.",
            "phone",
            "six, one two three four, five six seven eight",
        ),
        (
            "nl",
            "Je kunt me bereiken op zes, twaalf, vierendertig, zesenvijftig, achtenzeventig.",
            "phone",
            "zes, twaalf, vierendertig, zesenvijftig, achtenzeventig",
        ),
        ("en", "Email me at sarah dot johnson at gmail dot com please.", "email", "sarah dot johnson at gmail dot com"),
        ("nl", "Het is pietje apenstaartje hotmail punt com.", "email", "pietje apenstaartje hotmail punt com"),
        ("en", "Write to m.vandenberg@outlook.com today.", "email", "m.vandenberg@outlook.com"),
        ("en", "My IBAN is NL84 ABNA 5260 1815 90.", "iban", "NL84 ABNA 5260 1815 90"),
        (
            "nl",
            "Het is N L vijftig K N A B negenenzeventig vijfenzeventig drieënveertig drieëntwintig negentien.",
            "iban",
            "N L vijftig K N A B negenenzeventig vijfenzeventig drieënveertig drieëntwintig negentien",
        ),
        ("nl", "Mijn BSN is 326502014.", "bsn", "326502014"),
        (
            "nl",
            "Burgerservicenummer vier vier negen, negen twee nul, zeven nul zeven.",
            "bsn",
            "vier vier negen, negen twee nul, zeven nul zeven",
        ),
        ("en", "Card number 4562 4180 5788 9145, thanks.", "card", "4562 4180 5788 9145"),
        ("nl", "Mijn postcode is 1234 AB, huisnummer 12.", "postcode", "1234 AB, huisnummer 12"),
        ("nl", "Ik woon op 3511 LK 4.", "postcode", "3511 LK 4"),
        (
            "en",
            "My date of birth is the twelfth of March nineteen eighty five.",
            "dob",
            "twelfth of March nineteen eighty five",
        ),
        ("nl", "Geboortedatum 22/11/1964.", "dob", "22/11/1964"),
        ("nl", "Goedemiddag, u spreekt met Sanne van Dijk.", "name", "Sanne van Dijk"),
        ("nl", "Goedemorgen, met Bakker.", "name", "Bakker"),
        ("en", "Hi, my name is james.", "name", "james"),
        ("en", "Can I speak to Mrs. Patel?", "name", "Patel"),
        ("en", "I spoke with Olivia yesterday.", "name", "Olivia"),
    ],
)
def test_detector_finds_positive(language: str, text: str, kind: str, value: str) -> None:
    """A known piece of PII is found with its kind and exact original extent."""
    assert (kind, value) in _found(text, language)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "The order number is 163726516."),  # a valid BSN, but an order number
        ("nl", "Het ticketnummer is nul zes een twee drie vier vijf zes zeven acht."),
        ("en", "It came to forty five pounds ninety nine."),
        ("en", "I called at ten thirty and again at 14:00."),
        ("nl", "Het kost 1.250,00 euro en de afspraak is op 12 maart."),
        ("en", "I'm at work at the moment."),
        ("nl", "Op dat punt ben ik het met u eens."),
        ("en", "Will that be all? May I ask why?"),
        ("nl", "Ben je er nog? Wil je dat ik terugbel?"),
        ("nl", "Hallo, met de administratie."),
        ("en", "We drove 1000 km in 2019."),
        ("en", "My other card ends in four four four eight."),
    ],
)
def test_detector_ignores_negative(language: str, text: str) -> None:
    """The checksum detectors leave amounts, times, order numbers, ordinary words and non-birth dates
    alone; the fail-safe masks the long order/ticket numbers only, as `number`."""
    assert _found(text, language, NumberRule(0)) == []
    assert all(kind == "number" for kind, _ in _found(text, language))


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "I think it's NL84 ABNA 5260 1815 91."),  # IBAN check digits wrong
        ("nl", "Mijn BSN is 326502015."),  # fails the 11-check
        ("en", "The card number 4562 4180 5788 9146 didn't work."),  # fails Luhn
    ],
)
def test_checksum_failures_are_masked_by_the_fail_safe(language: str, text: str) -> None:
    """A number that fails its checksum is not typed by the checksum detectors, yet the fail-safe masks
    it: `[IBAN]` for the IBAN shape (country code and check digits), `[NUMBER]` for the rest."""
    assert Redactor(language, numbers=NumberRule(0)).redact(text).text == text
    masked = Redactor(language).redact(text).text
    assert not re.search(r"\d{4}", masked.replace(" ", ""))
    assert ("[IBAN]" if "NL84" in text else "[NUMBER]") in masked


def test_date_without_birth_keyword_is_kept() -> None:
    """A delivery date is not a date of birth; the same date after "born" is."""
    assert _found("It arrives on 3 June 1990.", "en") == []
    assert _found("I was born on 3 June 1990.", "en") == [("dob", "3 June 1990")]


def test_email_wins_over_name_inside_it() -> None:
    """A first name inside an e-mail address is redacted as part of the address, not separately."""
    assert _found("It's emma at familie-de-vries dot nl.", "en") == [("email", "emma at familie-de-vries dot nl")]
