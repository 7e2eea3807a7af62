"""Pattern detectors for e-mail addresses, phone numbers, IBANs, BSNs, payment cards and postcodes.

Theory of operation
-------------------
E-mail runs on the original text (spoken "at"/"dot"/"apenstaartje"/"punt" included).  The numeric
kinds run on the :mod:`privacy.numbers` normalised text, where spoken numbers are digits.  A *number
run* is a stretch of digit groups joined by spaces, hyphens, dots, commas or slashes
("06-12 34 56 78", "+31 6 1234 5678").  The whole run is checked first (card: Luhn; phone:
``phonenumbers`` validity; BSN: 11-check); if it fails, contiguous sub-runs of its written groups are
tried, longest first, so a number followed by an unrelated one is still found.  A run preceded by an
order/invoice/reference word is not PII unless the kind's own keyword is there as well.  Checksums
are what keep precision up: a number that fails its checksum is never reported.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban, luhn
from stdnum.nl import bsn

from privacy.model import Finding, Span
from privacy.numbers import Normalised

__all__ = ["TLD", "find_emails", "find_ibans", "find_number_kinds", "find_postcodes", "number_kind"]

# Local-part words hold no "_" or "-": those are separators, so every text has one parse (no backtracking
# blow-up on a recognition loop such as "L-I-I-I-I-..."); domain labels may hold inner hyphens.
_WORD = r"[A-Za-z0-9][A-Za-z0-9+]*"
_LABEL = r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*"
_DOT = r"(?:\s*\.(?=[A-Za-z0-9])|\s+(?:dot|punt)\s+)"
_SPOKEN_SEP = r"underscore|streepje|liggend\s+streepje|laag\s+streepje|lage\s+streep|dash|hyphen|min"
_LOCAL_SEP = rf"(?:{_DOT}|\s+(?:{_SPOKEN_SEP})\s+|[_\-])"
_AT = r"(?:\s*@\s*|\s+(?:at|apenstaartje|apestaartje|at-sign)\s+)"
TLD = r"(?:com|nl|org|net|be|eu|de|uk|co|io|info|nu|biz|fr|edu|gov|ai|app|dev|me|email|online)"
_NOT_MARKER = r"(?!(?:at|dot|punt|apenstaartje|apestaartje)\b)"
_EMAIL = re.compile(
    rf"(?<![A-Za-z0-9_.@]){_NOT_MARKER}{_WORD}"
    rf"(?:{_LOCAL_SEP}{_WORD}(?:\s+{_NOT_MARKER}{_WORD})?)*{_AT}"  # "s punt de boer at"
    rf"{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}{TLD}\b",
    re.IGNORECASE,
)
_RUN = re.compile(r"(?<![\w+])(?:\+\s?)?\d+(?:[ \t]{0,2}[\-.,/]?[ \t]{0,2}\d+)*")
_GROUP = re.compile(r"\+?\d+")
_DATE = re.compile(r"\d{1,2}([-/.])\d{1,2}\1\d{2,4}|\d{4}([-/.])\d{1,2}\2\d{1,2}")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][ .\-]?[A-Za-z][ .\-]?\d[ .\-]?\d")
_IBAN_CHAR = re.compile(r"[ .,\-]{0,3}([A-Za-z0-9])")
_IBAN_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-Z] ?[A-Z] ?\d ?\d(?:[ .,\-]{0,2}[A-Z0-9]){10,32}")
_POSTCODE = re.compile(
    r"(?<![\w])([1-9]\d{3}) ?([A-Za-z]) ?([A-Za-z])(?![A-Za-z])"
    r"(?:(?:[ ,]+(?:huisnummer|huis nummer|house number|nummer|number|nr\.?|no\.?)?[ ]*)"
    r"(\d{1,5})(?:[ -]?[A-Z](?![A-Za-z])|[a-z](?![A-Za-z]))?)?"
)
_NEGATIVE_CONTEXT = re.compile(
    r"\b(?:order|orders|ordernummer|bestel\w*|invoice|factuur\w*|reference|referentie\w*|ticket\w*|"
    r"tracking|track|dossier\w*|case|zaaknummer|klantnummer|customer|contract\w*|polis\w*|policy|"
    r"pakket\w*|parcel|artikel\w*|item|serial|serienummer|bedrag|amount|euro|euros|pounds|prijs|price)\b",
    re.IGNORECASE,
)
_KIND_CONTEXT = {
    "phone": re.compile(r"\b(?:phone|call|bel\w*|telefoon\w*|mobiel\w*|mobile|06)\b", re.IGNORECASE),
    "bsn": re.compile(
        r"\b(?:bsn|burgerservice\w*|burger service\w*|sofi\w*|social security|citizen service)\b", re.IGNORECASE
    ),
    "card": re.compile(r"\b(?:card|kaart\w*|creditcard\w*|visa|mastercard|amex)\b", re.IGNORECASE),
}
#: Words before a nine-digit number starting with 6 that make it a Dutch mobile number whose leading
#: nul went unsaid or was swallowed by the word before ("reach me on oh six" heard as "reach Miano six").
_MOBILE_CONTEXT = re.compile(
    r"\b(?:nummer|number|mobiel|mobile|bel\w*|call|ring|reach\w*|bereik\w*|contact\w*|sms|whatsapp|app)\b",
    re.IGNORECASE,
)
_MAX_DIGITS = 20
_REGIONS = {"nl": ("NL", "BE"), "en": ("GB", "NL", "US", "IE")}
_POSTCODE_CONTEXT = re.compile(r"\b(?:postcode|post code|zip|postal code|adres|address)\b", re.IGNORECASE)


def find_emails(text: str) -> Iterator[Finding]:
    """E-mail addresses, written ("jan@x.nl") or spoken ("jan at x dot nl", "jan apenstaartje x punt nl")."""
    for match in _EMAIL.finditer(text):
        key = re.sub(r"\s+(?:at|apenstaartje|apestaartje|at-sign)\s+", "@", match.group(), flags=re.I)
        key = re.sub(r"\s+(?:dot|punt)\s+", ".", key, flags=re.I)
        yield Finding(Span("email", match.start(), match.end()), re.sub(r"\s+", "", key).lower())


def find_ibans(norm: Normalised) -> Iterator[Finding]:
    """IBANs (checksum-validated), written in groups or spelled out letter by letter."""
    text = norm.text
    pos = 0
    while (start := _IBAN_START.search(text, pos)) is not None:
        chars: list[tuple[str, int]] = []
        cursor = start.start()
        while len(chars) < 34 and (char := _IBAN_CHAR.match(text, cursor)) is not None:
            chars.append((char.group(1).upper(), char.start(1)))
            cursor = char.end()
        found = _longest_valid_iban(chars)
        if found is None:
            pos = start.start() + 1
            continue
        compact, last = found
        begin, end = norm.original(start.start(), last + 1)
        yield Finding(Span("iban", begin, end), compact)
        pos = last + 1


def _longest_valid_iban(chars: list[tuple[str, int]]) -> tuple[str, int] | None:
    compact = "".join(c for c, _ in chars)
    for length in range(len(compact), 14, -1):
        if iban.is_valid(compact[:length]):
            return compact[:length], chars[length - 1][1]
    return None


def find_postcodes(norm: Normalised) -> Iterator[Finding]:
    """Dutch postcodes ("1234 AB"), with the house number that follows when there is one."""
    for match in _POSTCODE.finditer(norm.text):
        letters = (match.group(2) + match.group(3)).upper()
        if letters in ("SA", "SD", "SS"):
            continue
        upper = match.group(2).isupper() and match.group(3).isupper()
        window = norm.text[max(0, match.start() - 60) : match.start()]
        if not upper and not _POSTCODE_CONTEXT.search(window):
            continue
        begin, end = norm.original(match.start(), match.end())
        yield Finding(Span("postcode", begin, end), match.group(1) + letters + (match.group(4) or ""))


def find_number_kinds(norm: Normalised, language: str) -> Iterator[Finding]:
    """Phone numbers, payment card numbers and BSNs in the number runs of the normalised text."""
    text = norm.text
    shapes = [(m.start(), m.end()) for m in _IBAN_SHAPE.finditer(text)]
    for run in _RUN.finditer(text):
        if _DATE.fullmatch(run.group()) or any(a < run.end() and run.start() < b for a, b in shapes):
            continue  # a date, or the digits of an (invalid) IBAN
        window = text[max(0, run.start() - 50) : run.start()]
        groups = [(g.group(), run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run.group())]
        ranks = [2 if "," in text[a[2] : b[1]] else 1 for a, b in itertools.pairwise(groups)]
        for kind, lo, hi, key in _classify_groups(groups, ranks, 0, len(groups), (window, language)):
            begin, end = norm.original(groups[lo][1], groups[hi - 1][2])
            yield Finding(Span(kind, begin, end), key)


def _classify_groups(
    groups: list[tuple[str, int, int]], ranks: list[int], lo: int, hi: int, context: tuple[str, str]
) -> Iterator[tuple[str, int, int, str]]:
    """Best (longest) valid slice of ``groups[lo:hi]``, then recurse on what lies either side.

    ``ranks[i]`` is the strength of the separator after group ``i`` (2: a comma, 1: a space or
    hyphen).  A slice shorter than the whole run must be set off by separators stronger than any
    inside it ("06 4823 1957, 12" yields the phone number; "1, 2, 3, 4" yields no concatenation);
    a phone number at the very start of a run is also accepted ("06 4823 1957 12").
    Only slices of at most :data:`_MAX_DIGITS` digits are tried, which keeps long lists linear.
    """
    slices: list[tuple[int, int, str, bool]] = []
    for first in range(lo, hi):
        digits = ""
        for last in range(first, hi):
            digits += groups[last][0]
            if len(digits) > _MAX_DIGITS:
                break
            if _set_off(ranks, first, last + 1, len(groups)):
                slices.append((first, last + 1, digits, False))
            elif first == 0 and digits[0] in "0+" and len(groups[0][0]) > 1:  # "06 4823 1957 12"
                slices.append((first, last + 1, digits, True))
    slices.sort(key=lambda s: s[0] - s[1])
    for first, stop, digits, phone_only in slices:
        kind = number_kind(digits, *context)
        if kind is not None and (kind == "phone" or not phone_only):
            yield from _classify_groups(groups, ranks, lo, first, context)
            yield kind, first, stop, digits
            yield from _classify_groups(groups, ranks, stop, hi, context)
            return


def _set_off(ranks: list[int], first: int, stop: int, count: int) -> bool:
    """Whether groups ``[first, stop)`` are separated from their neighbours more than from each other."""
    inner = max(ranks[first : stop - 1], default=0)
    left = ranks[first - 1] if first > 0 else 3
    right = ranks[stop - 1] if stop < count else 3
    return inner < min(left, right)


def number_kind(digits: str, window: str, language: str) -> str | None:
    """Which numeric PII kind ``digits`` ("+" allowed first) is, checksum-validated, or None."""
    negative = _NEGATIVE_CONTEXT.search(window) is not None
    order = (("card", _is_card), ("phone", _is_phone), ("bsn", _is_bsn))
    if _KIND_CONTEXT["bsn"].search(window):  # "citizen service number 642419322" is no phone number
        order = (order[2], order[0], order[1])
    for kind, check in order:
        if negative and not _KIND_CONTEXT[kind].search(window):
            continue
        if check(digits, window, language):
            return kind
    return None


def _is_card(digits: str, window: str, language: str) -> bool:
    if not (digits.isdigit() and 13 <= len(digits) <= 19 and digits[0] in "23456"):
        return False
    years = [digits[i : i + 4] for i in range(0, len(digits) - 3, 4)]
    if len(digits) % 4 == 0 and all(y[:2] in ("19", "20") for y in years):
        return False  # "2011, 2013, 2018, 2022": a list of years, not a card
    return luhn.is_valid(digits)


def _is_bsn(digits: str, window: str, language: str) -> bool:
    keyword = _KIND_CONTEXT["bsn"].search(window) is not None
    if not digits.isdigit() or not (len(digits) == 9 or (keyword and len(digits) == 8)):
        return False
    return (keyword or digits[0] != "0") and bsn.is_valid(digits)


def _is_phone(digits: str, window: str, language: str) -> bool:
    national = digits.lstrip("+")
    if not national.isdigit() or not 8 <= len(national) <= 15:
        return False
    if len(digits) == 9 and digits[0] == "6" and _MOBILE_CONTEXT.search(window):
        digits = "0" + digits  # "zes, twaalf vierendertig ...": the leading nul left unsaid
    if digits[0] not in "+0" and not (language == "en" and len(digits) in (10, 11)):
        return False
    for region in _REGIONS.get(language, ("NL", "GB", "BE", "US")):
        if digits[0] not in "+0" and region != "US":
            continue
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False
