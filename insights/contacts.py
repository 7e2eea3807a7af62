"""Contact details from the unredacted text: e-mail, phone (E.164 via `phonenumbers`), person, company.

Spoken forms are normalised first: "jan punt de vries apenstaartje voorbeeld punt nl" and
"jan dot smith at example dot com" become addresses; number words become digits (`text2num`) and
runs of single digits are joined before `phonenumbers` matches them. Names come from introductions
("mijn naam is", "u spreekt met", "my name is", "this is ... from"), companies from "van/bij/namens/
from/at/with" after a name or a legal-form suffix (B.V., N.V., Ltd). Results are personal data.
"""

from __future__ import annotations

import re

import phonenumbers

from insights.model import Contact, Role

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_AT = {"nl": ("apenstaartje", "at"), "en": ("at",)}
_DOT = {"nl": ("punt", "dot"), "en": ("dot",)}
_TLD = r"(?:nl|com|be|eu|org|net|de|uk|co|io|info)"
_NAME_TOKEN = r"[A-Z][a-zà-ÿ'-]+"
_PARTICLES = r"(?:van der|van den|van de|van 't|de|der|den|ter|ten|te|van|la|le|du)"
_NAME = _NAME_TOKEN + r"(?: " + _PARTICLES + r")?(?: " + _NAME_TOKEN + r"){0,2}"
_INTRO = {
    "nl": re.compile(
        r"(?i:mijn naam is|u spreekt met|je spreekt met|spreek ik met|ik ben|^met|, met|hier is|"
        r"op naam van|ten name van)\s+(?i:meneer |mevrouw |de heer )?(" + _NAME + ")"
    ),
    "en": re.compile(
        r"(?i:my name is|this is|you're speaking (?:to|with)|speaking with|i'm|name's|"
        r"in the name of|under the name)\s+(?i:mr\.? |mrs\.? |ms\.? |mister )?(" + _NAME + ")"
    ),
}
_COMPANY_AFTER = {
    "nl": r"\s+(?:van|bij|namens|vanuit)\s+(?:het bedrijf\s+|de firma\s+)?",
    "en": r"\s+(?:from|at|with|of)\s+",
}
_SUFFIX = re.compile(
    r"\b((?:[A-Z][\w&'-]*\s){0,3}[A-Z][\w&'-]*)\s+(B\.?V\.?|N\.?V\.?|Ltd\.?|Limited|Inc\.?|"
    r"GmbH|LLC|PLC|plc|VOF|V\.O\.F\.)(?=\W|$)"
)
_NOT_NAMES = frozenset(
    {
        "Ik",
        "Ja",
        "Nee",
        "Goedemorgen",
        "Goedemiddag",
        "Hallo",
        "Dag",
        "Hoi",
        "The",
        "I",
        "Hello",
        "Hi",
        "Yes",
        "No",
        "Good",
        "Thank",
        "Thanks",
        "Sorry",
        "Dank",
        "Oké",
        "Okay",
        "Even",
        "Bellen",
        "Calling",
        "Just",
        "Here",
        "Hier",
        "Klantenservice",
        "Customer",
    }
)


_LOCAL_STOP = frozenset(
    {
        "is",
        "mijn",
        "my",
        "email",
        "e-mail",
        "e-mailadres",
        "mailadres",
        "emailadres",
        "adres",
        "address",
        "naar",
        "to",
        "op",
        "on",
        "me",
        "mail",
        "send",
        "stuur",
        "it's",
        "het",
    }
)


def _spoken_email(text: str, language: str) -> str:
    """Turn a spelled-out address into a written one (only when an at-word is followed by a dot-word + TLD).

    The local part is the words before the at-word back to a cue ("mijn e-mailadres is", "email me at"),
    so that "jan punt de vries apenstaartje voorbeeld punt nl" becomes jan.devries@voorbeeld.nl."""
    at, dot = "|".join(_AT[language]), "|".join(_DOT[language])
    rx = re.compile(
        r"((?:[\w'-]+ ){1,6})(?:" + at + r") ([\w-]+(?: (?:" + dot + r") [\w-]+)*? (?:" + dot + r") " + _TLD + r")\b",
        re.IGNORECASE,
    )

    def join(m: re.Match[str]) -> str:
        tokens = m.group(1).split()
        stops = [i for i, t in enumerate(tokens) if t.lower().strip(",.:") in _LOCAL_STOP | set(_AT[language])]
        cut = stops[-1] + 1 if stops else max(0, len(tokens) - 3)
        kept, prefix = tokens[cut:], " ".join(tokens[:cut])
        local = re.sub(r" (?:" + dot + r") ", ".", " " + " ".join(kept) + " ", flags=re.IGNORECASE).strip()
        local = re.sub(r" (?:streepje|dash) ", "-", local).replace(" underscore ", "_").replace(" ", "")
        domain = re.sub(r" (?:" + dot + r") ", ".", m.group(2), flags=re.IGNORECASE).replace(" ", "")
        return f"{prefix} {local}@{domain}".lower() if prefix else f"{local}@{domain}".lower()

    return rx.sub(join, text)


def emails(text: str, language: str) -> list[str]:
    return [m.group(0).lower().rstrip(".") for m in _EMAIL.finditer(_spoken_email(text, language))]


def _digits_joined(text: str, language: str) -> str:
    from text_to_num import alpha2digit

    converted = str(alpha2digit(text, language))
    return re.sub(r"(?<![\w+])((?:\+|00)?\d[\d .-]{6,}\d)(?!\w)", lambda m: re.sub(r"[ .-]", "", m.group(1)), converted)


def phones(text: str, language: str, regions: tuple[str, ...]) -> list[str]:
    """Phone numbers in E.164, valid in one of `regions` (tried in order for national numbers)."""
    found: list[str] = []
    for candidate in (text, _digits_joined(text, language)):
        for match in (m for region in regions for m in phonenumbers.PhoneNumberMatcher(candidate, region)):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return found


_WORKPLACE = {
    "nl": re.compile(
        r"(?i:ik bel (?:namens|vanuit|van)|ik werk bij|werkzaam bij)\s+(?:het bedrijf\s+|de firma\s+)?"
        r"((?:[A-Z][\w&'-]*)(?: [A-Z][\w&'-]*){0,3})"
    ),
    "en": re.compile(
        r"(?i:calling from|ringing from|calling on behalf of|i work (?:at|for))\s+"
        r"((?:[A-Z][\w&'-]*)(?: [A-Z][\w&'-]*){0,3})"
    ),
}


def names(text: str, language: str) -> tuple[list[str], list[str]]:
    """(person names, company names) introduced in the text."""
    people: list[str] = []
    companies = [m.group(0).strip() for m in _SUFFIX.finditer(text)]
    for m in _WORKPLACE[language].finditer(text):
        if not any(m.group(1) in c for c in companies):
            companies.append(m.group(1))
    for m in _INTRO[language].finditer(text):
        name = m.group(1).strip()
        tokens = name.split()
        if tokens[0] in _NOT_NAMES or tokens[0][0].islower():
            continue
        company = re.match(_COMPANY_AFTER[language] + r"((?:[A-Z][\w&'-]*)(?: [A-Z][\w&'-]*){0,3})", text[m.end() :])
        if company and not any(company.group(1) in c for c in companies):
            companies.append(company.group(1))
        people.append(name)
    return people, companies


def extract(index: int, text: str, language: str, role: Role, regions: tuple[str, ...]) -> list[Contact]:
    """Every contact detail in one utterance, tagged with the utterance index and the speaker's role."""
    people, companies = names(text, language)
    found = [Contact("email", v, index, role) for v in emails(text, language)]
    found += [Contact("phone", v, index, role) for v in phones(text, language, regions)]
    found += [Contact("person", v, index, role) for v in people]
    found += [Contact("company", v, index, role) for v in companies]
    return found
