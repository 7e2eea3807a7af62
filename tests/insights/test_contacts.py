"""Contact details from unredacted text: written and spelled-out e-mail, phone numbers in E.164, names."""

from __future__ import annotations

import pytest

from insights.contacts import extract
from insights.core import DEFAULT_REGIONS


def found(text: str, language: str) -> set[tuple[str, str]]:
    return {(c.kind, c.value) for c in extract(0, text, language, "caller", DEFAULT_REGIONS)}


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Mijn e-mailadres is jan punt de vries apenstaartje voorbeeld punt nl.",
            "nl",
            {("email", "jan.devries@voorbeeld.nl")},
        ),
        ("My email is mark dot jones at outlook dot com", "en", {("email", "mark.jones@outlook.com")}),
        ("Mail it to sarah.t@greenfield.co.uk please.", "en", {("email", "sarah.t@greenfield.co.uk")}),
        ("Mijn nummer is nul zes een twee drie vier vijf zes zeven acht.", "nl", {("phone", "+31612345678")}),
        ("U kunt mij bereiken op +31 20 123 4567.", "nl", {("phone", "+31201234567")}),
        ("Call me on 020 7946 0958.", "en", {("phone", "+442079460958")}),
        ("Met Petra van Dam.", "nl", {("person", "Petra van Dam")}),
        (
            "Hi, this is Sarah Thompson from Greenfield Logistics.",
            "en",
            {("person", "Sarah Thompson"), ("company", "Greenfield Logistics")},
        ),
        (
            "Ik bel namens Van Dijk Installatietechniek B.V. over de factuur.",
            "nl",
            {("company", "Van Dijk Installatietechniek B.V.")},
        ),
        ("I'm calling from Baker Logistics about an order.", "en", {("company", "Baker Logistics")}),
    ],
)
def test_contact_details(text: str, language: str, expected: set[tuple[str, str]]) -> None:
    """Each utterance yields exactly the contact details it contains."""
    assert found(text, language) == expected


def test_no_false_contacts_in_plain_speech() -> None:
    """Ordinary sentences, an account number and a greeting yield no contact details."""
    assert found("Goedemorgen, ik bel over mijn factuur van vorige maand.", "nl") == set()
    assert found("My account number is 4 5 7 2 9 1 and I'm at home now.", "en") == set()


def test_spelled_address_after_email_me_at() -> None:
    """In "email me at tom dot baker at gmail dot com" the first "at" is a cue, not part of the address."""
    assert found("You can email me at tom dot baker at gmail dot com.", "en") == {("email", "tom.baker@gmail.com")}
