"""The labelled utterances of the recognised-speech redaction bench (pure: text only, seeded).

Each :class:`Item` is one caller turn carrying one identifier, written the way people *say* it (digits
as words, in groups, "oh"/"double"/"nul"/"apenstaartje", letters spelled), so espeak-ng reads it as
speech rather than as a written number.  ``secrets`` are the strings that must not show in clear in
any partial or final: the digits of a numeric identifier, the labels of an e-mail address, a name.
Clean items (``kind == "clean"``) carry amounts, times, dates and years and no identifier: they
measure over-masking.  Everything is generated from a seed, so a run is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers
from stdnum import iban, luhn
from stdnum.nl import bsn

from bench.wer import EN_UNITS, NL_TENS, NL_UNITS

__all__ = ["KINDS", "TOKENS", "Item", "items"]

KINDS = ("iban", "phone", "bsn", "card", "email", "name")
TOKENS = {"iban": "[IBAN]", "phone": "[PHONE]", "bsn": "[BSN]", "card": "[CARD]", "email": "[EMAIL]", "name": "[NAME]"}
_EN = EN_UNITS[:10]  # the digit and number words the WER normaliser uses (bench.wer), one source
_NL = NL_UNITS[:10]
_NL_TENS = dict(enumerate(NL_TENS))
_NL_TEENS = NL_UNITS[10:20]
_BANKS = ("ABNA", "RABO", "INGB", "SNSB", "TRIO", "KNAB")
_FIRST = ("marieke", "sanne", "pieter", "daan", "emma", "lucas", "sophie", "thomas", "julia", "bram")
_LAST = ("jansen", "dekker", "bakker", "visser", "smit", "meijer", "mulder", "bos", "peters", "hendriks")
_DOMAINS = ("example", "voorbeeld", "kpn", "ziggo", "outlook", "gmail", "hetnet", "acme")


@dataclass(frozen=True, slots=True)
class Item:
    """One utterance: its language, kind, spoken text and what must never show in clear."""

    id: str
    language: str
    kind: str
    text: str
    secrets: tuple[str, ...]


def _nl_pair(n: int) -> str:
    """A two-digit group the Dutch way: 34 -> "vierendertig", 12 -> "twaalf", 07 -> "nul zeven"."""
    if n < 10:
        return f"nul {_NL[n]}"
    if n < 20:
        return _NL_TEENS[n - 10]
    unit, tens = n % 10, _NL_TENS[n // 10]
    return tens if unit == 0 else f"{_NL[unit]}{'ën' if _NL[unit].endswith('e') else 'en'}{tens}"


def _spoken_digits(digits: str, lang: str, groups: int, rng: random.Random) -> str:
    """Digits in groups of ``groups`` spoken one by one ("oh" or "zero" at random in English)."""
    words = _NL if lang == "nl" else _EN
    chunks = [digits[i : i + groups] for i in range(0, len(digits), groups)]
    out = []
    for chunk in chunks:
        said = [words[int(c)] for c in chunk]
        if lang == "en":
            said = ["oh" if w == "zero" and rng.random() < 0.6 else w for w in said]
        out.append(" ".join(said))
    return ", ".join(out)


def _iban(rng: random.Random) -> str:
    bank = rng.choice(_BANKS)
    account = "".join(rng.choice("0123456789") for _ in range(10))
    check = iban.calc_check_digits(f"NL00{bank}{account}")
    return f"NL{check}{bank}{account}"


def _phone(lang: str, rng: random.Random) -> str:
    while True:
        digits = (
            ("06" + "".join(rng.choice("0123456789") for _ in range(8)))
            if lang == "nl"
            else ("07" + rng.choice("45789") + "".join(rng.choice("0123456789") for _ in range(8)))
        )
        if phonenumbers.is_valid_number(phonenumbers.parse(digits, "NL" if lang == "nl" else "GB")):
            return digits


def _bsn(rng: random.Random) -> str:
    while True:
        digits = str(rng.randint(100_000_000, 999_999_999))
        if bsn.is_valid(digits):
            return digits


def _card(rng: random.Random) -> str:
    body = "4" + "".join(rng.choice("0123456789") for _ in range(14))
    return body + luhn.calc_check_digit(body)


def _say(kind: str, lang: str, rng: random.Random) -> tuple[str, tuple[str, ...]]:
    """The spoken sentence for one identifier of ``kind`` and its secrets."""
    nl = lang == "nl"
    if kind == "iban":
        value = _iban(rng)
        check = _nl_pair(int(value[2:4])) if nl else _spoken_digits(value[2:4], lang, 2, rng)
        said = f"N L {check}, {' '.join(value[4:8])}, {_spoken_digits(value[8:], lang, 4, rng)}"
        return (f"Mijn IBAN is {said}." if nl else f"My IBAN is {said}."), (value[8:], value)
    if kind == "phone":
        value = _phone(lang, rng)
        if nl:
            said = "nul zes, " + ", ".join(_nl_pair(int(value[i : i + 2])) for i in range(2, 10, 2))
            return f"U kunt me bellen op {said}.", (value,)
        said = _spoken_digits(value, lang, rng.choice((3, 4)), rng)
        if rng.random() < 0.5:  # "double seven"
            said = said.replace("seven seven", "double seven").replace("one one", "double one")
        return f"You can call me on {said}.", (value,)
    if kind == "bsn":
        value = _bsn(rng)
        said = _spoken_digits(value, lang, 3, rng)
        return (f"Mijn burgerservicenummer is {said}." if nl else f"My citizen service number is {said}."), (value,)
    if kind == "card":
        value = _card(rng)
        said = _spoken_digits(value, lang, 4, rng)
        return (f"Mijn creditcardnummer is {said}." if nl else f"My card number is {said}."), (value,)
    first, last, domain = rng.choice(_FIRST), rng.choice(_LAST).replace(" ", ""), rng.choice(_DOMAINS)
    if kind == "email":
        sep = rng.choice(("punt", "laag streepje") if nl else ("dot", "underscore"))
        tld = rng.choice(("nl", "com"))
        dot = "punt" if nl else "dot"
        said = f"{first} {sep} {last} {'apenstaartje' if nl else 'at'} {domain} {dot} {tld}"
        return (f"Mijn e-mailadres is {said}." if nl else f"My email address is {said}."), (first, last, domain)
    spelled = " ".join(last.upper())
    return (
        f"Mijn achternaam is {last.capitalize()}, {spelled}."
        if nl
        else f"My surname is {last.capitalize()}, {spelled}."
    ), (last,)


_CLEAN = {
    "en": [
        "The meeting is at ten thirty on the third of May.",
        "It costs twenty five euros a month.",
        "We have been customers since two thousand nineteen.",
        "Can you call me back at four o'clock?",
        "The delivery comes on Tuesday the fourteenth of June.",
        "I paid one hundred and fifty pounds.",
        "My router has been slow for about two weeks.",
        "The new price is nineteen ninety nine a month.",
        "We have about twelve hundred customers in the region.",
        "Thank you, that was very helpful.",
        "I would like to change my subscription to the cheaper plan.",
        "It happened in nineteen ninety eight.",
        "Please send the letter before the first of April.",
        "We drove two hundred kilometres yesterday.",
        "The invoice was paid last Friday morning.",
        "Your appointment is at half past nine tomorrow.",
        "I have three children and two dogs at home.",
        "Can I speak to someone in the sales team?",
        "The shop opens at nine and closes at six.",
        "That is fine, goodbye and have a nice day.",
    ],
    "nl": [
        "De afspraak is om half elf op drie mei.",
        "Het kost vijfentwintig euro per maand.",
        "We zijn al klant sinds tweeduizend negentien.",
        "Kunt u mij om vier uur terugbellen?",
        "De levering komt op dinsdag veertien juni.",
        "Ik heb honderdvijftig euro betaald.",
        "Mijn router is al twee weken traag.",
        "De nieuwe prijs is negentien euro negenennegentig.",
        "We hebben ongeveer twaalfhonderd klanten in de regio.",
        "Dank u wel, dat was heel duidelijk.",
        "Ik wil mijn abonnement veranderen naar het goedkopere pakket.",
        "Het gebeurde in negentienhonderd achtennegentig.",
        "Stuur de brief voor een april op.",
        "We hebben gisteren tweehonderd kilometer gereden.",
        "De factuur is vorige week vrijdag betaald.",
        "Uw afspraak is morgen om half tien.",
        "Ik heb drie kinderen en twee honden.",
        "Kan ik iemand van de verkoopafdeling spreken?",
        "De winkel gaat om negen uur open en om zes uur dicht.",
        "Dat is goed, fijne dag nog.",
    ],
}


def items(language: str, per_kind: int = 10, seed: int = 11) -> list[Item]:
    """``per_kind`` identifier items of every kind, then the clean items, for ``language`` ("en"/"nl")."""
    rng = random.Random(f"{seed}-{language}")
    out = []
    for kind in KINDS:
        for n in range(per_kind):
            text, secrets = _say(kind, language, rng)
            out.append(Item(f"{language}-{kind}-{n:02d}", language, kind, text, secrets))
    out.extend(
        Item(f"{language}-clean-{n:02d}", language, "clean", text, ()) for n, text in enumerate(_CLEAN[language])
    )
    return out
