"""The fail-safe: long digit runs are masked whether or not a checksum validates them, by an explicit,
configurable rule; spelled names and spoken e-mail addresses are masked in both languages."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from gateway.config import ServerConfig
from privacy import NumberRule, PrivacyError, Redactor


def masked(text: str, language: str = "en", rule: NumberRule | None = None) -> str:
    return Redactor(language, numbers=rule).redact(text).text


@pytest.mark.parametrize(
    ("language", "text", "token"),
    [
        ("en", "Call me on oh seven seven hundred, nine hundred, four five six.", "[NUMBER]"),  # invalid range
        ("en", "It's 0,417,164,300 I think.", "[PHONE]"),  # commas between the groups
        ("en", "The code is 4471-2290.", "[NUMBER]"),
        ("en", "My reference is 12.34.56.78.", "[NUMBER]"),
        ("en", "My BSN is 1234 5678 9.", "[NUMBER]"),  # fails the 11-check
        ("en", "NL91 Abner 0417 1643 00", "[IBAN]"),  # misheard bank code, digits pass as a phone number
        ("en", "My IBAN is N L nine one, a b n a, oh four one seven, one six four three, oh oh.", "[IBAN]"),
        ("nl", "Mijn nummer is nul zes twaalf vierendertig zesenvijftig achtenzeventig.", "[PHONE]"),
        ("nl", "Het is vier vijf zes zeven, dubbel acht.", "[NUMBER]"),
        ("nl", "De rekening is NL ninety one rabo 0123456789.", "[IBAN]"),
    ],
)
def test_unvalidated_digit_runs_are_masked(language: str, text: str, token: str) -> None:
    """Every run of four or more digits, spoken or written, leaves masked, typed when it validates."""
    out = masked(text, language)
    assert token in out, out
    assert not re.search(r"\d(?:[ ,.\-]*\d){3,}", out), out


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "It costs 2,500 euros, or € 1.250 with the discount."),
        ("en", "I called at ten thirty and again at 14.30."),
        ("en", "It came on 12-03-2024, the 3rd of May."),
        ("en", "We have been customers since two thousand nineteen."),
        ("en", "We drove 1500 km with 1200 visitors."),
        ("nl", "Het kost 1.250,00 euro en de afspraak is om 10.30 uur."),
        ("nl", "Sinds negentienhonderd achtennegentig."),
    ],
)
def test_amounts_times_dates_years_and_quantities_stay_readable(language: str, text: str) -> None:
    """The business numbers the default rule keeps are not touched."""
    assert masked(text, language) == text


def test_the_rule_is_configurable() -> None:
    """`keep` decides which classes stay readable, `min_digits` the length, 0 turns the fail-safe off."""
    assert masked("We met in 2019.", rule=NumberRule(4, frozenset())) == "We met in [NUMBER]."
    assert masked("Order 123 please.", rule=NumberRule(3)) == "Order [NUMBER] please."
    assert masked("Order 4471 2290 please.", rule=NumberRule(0)) == "Order 4471 2290 please."
    assert NumberRule.parse(5, "amounts, times") == NumberRule(5, frozenset({"amounts", "times"}))
    with pytest.raises(PrivacyError, match="unknown classes"):
        NumberRule(4, frozenset({"money"}))
    with pytest.raises(PrivacyError, match="min_digits"):
        NumberRule(1)
    with pytest.raises(ValueError, match=r"mask_digit_runs, readable_numbers: .*unknown classes"):
        ServerConfig(readable_numbers="amounts,money")


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "My name is M A R I E K E.", "My name is [NAME]."),
        ("en", "It's Bakker, B A K K E R.", "It's [NAME]."),
        ("en", "My surname is Bos, BOS.", "My surname is [NAME]."),
        ("en", "Mail marieke underscore jansen at example dot com.", "Mail [EMAIL]."),
        ("nl", "Mijn mail is marieke laag streepje jansen apenstaartje voorbeeld punt nl.", "Mijn mail is [EMAIL]."),
        ("nl", "Het is j a n apenstaartje voorbeeld punt nl.", "Het is [EMAIL]."),
        ("en", "My email is reek.hendris and Outlook.nl.", "My email is [EMAIL] and [EMAIL]."),
    ],
)
def test_spelled_names_and_spoken_addresses(language: str, text: str, expected: str) -> None:
    """Letters spelled one by one, and addresses spoken with at/apenstaartje, dot/punt, underscore/laag
    streepje, or heard only as a domain, are masked."""
    assert masked(text, language) == expected


def test_recognition_loops_do_not_hang_the_redactor() -> None:
    """A decoder loop ("L-I-I-I-...", hundreds of times) is redacted at once instead of backtracking for
    minutes on the event loop (run in a child process so a regression fails instead of hanging)."""
    code = (
        "from privacy import Redactor; from gateway.core.redaction import CallRedaction; from privacy import Policy\n"
        "for t in ['L-' + 'I-' * 400, 'a_' * 400 + ' x', 'x' + ' - x' * 300 + ' at y', 'jan' + '.jan' * 300]:\n"
        "    Redactor('en').redact(t); CallRedaction('en', Policy.MASK, 'mask').partial(t)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=120, check=False)
    assert done.returncode == 0


def test_cardinals_and_historical_years() -> None:
    """ "One thousand seven hundred and seventy-five" is 1775 (not 100775), a year after "the year of"; a
    bare 1775 is still masked."""
    text = "It was the year of Our Lord one thousand seven hundred and seventy-five."
    assert masked(text) == text
    assert masked("My code is 1775.") == "My code is [NUMBER]."


def test_mail_provider_after_an_email_cue() -> None:
    """A provider's name heard after an e-mail cue is masked (the rest of the address garbled); the same
    word outside an e-mail sentence is not."""
    assert masked("My email address is usually a not can set an outlook.") == (
        "My email address is usually a not can set an [EMAIL]."
    )
    assert masked("My email is fine. Check your Outlook calendar.") == "My email is fine. Check your Outlook calendar."


def test_digits_stay_masked_when_the_typed_finding_loses_an_overlap() -> None:
    """An IBAN-shaped run whose lead words overlap an e-mail address (which wins) still masks its digits."""
    assert masked("NL jan at voorbeeld dot nl 12345678") == "NL [EMAIL] [NUMBER]"
