"""Person names: introductions ("my name is X", "mijn naam is X", "met X", "Mr X") and list names.

Theory of operation
-------------------
Names are found on the original text, token by token.  Two routes lead to a name:

* a *trigger* followed by a word.  Strong triggers ("my name is", "ik heet", "u spreekt met", a
  title such as "Mr" or "mevrouw") accept any capitalised word, or a lowercase word that is a
  listed first name.  Weak triggers ("this is", "I'm", "ik ben", "met") need a capitalised word that
  is a listed name or is followed by a surname; "met" at the start of a clause (the Dutch phone
  greeting "Goedemiddag, met Bakker") counts as strong.
* a capitalised word from the shipped first-name list (``data/first_names.txt``).  Names that are
  also ordinary words ("Will", "May", Dutch "Ben") count only after a trigger or before a surname.

A found first name is extended with what follows it in the same clause: surname particles
("van", "de", "van der", "ter") and capitalised words ("Jan van der Berg", "Sarah Johnson").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

from privacy.model import Finding, Span
from privacy.numbers import MONTHS

__all__ = ["find_names", "first_names"]

_APOSTROPHE = "\u2019"
_TOKEN = re.compile(rf"[^\W\d_]+(?:['{_APOSTROPHE}][^\W\d_]+)?|\d+|\S")
_STRONG = (
    "my name is",
    "my name's",
    "the name is",
    "name's",
    "mijn naam is",
    "de naam is",
    "ik heet",
    "u spreekt met",
    "je spreekt met",
    "spreek ik met",
    "you're speaking with",
    "you are speaking with",
    "you're speaking to",
    "speaking with",
    "speaking to",
    "call me",
    "ask for",
    "vraag naar",
    "surname is",
    "last name is",
    "first name is",
    "first name",
    "surname",
    "achternaam is",
    "voornaam is",
    "achternaam",
    "voornaam",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mister",
    "dr",
    "meneer",
    "mevrouw",
    "dhr",
    "mevr",
    "juffrouw",
)
_EN_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mister", "dr"})  # only as "Mr", never "MS" or "ms"
_WEAK = ("this is", "i'm", "i am", "it's", "ik ben", "hier is", "dit is", "met")
_TRIGGERS = sorted(((t.split(), t in _STRONG) for t in _STRONG + _WEAK), key=lambda t: -len(t[0]))
_PARTICLES = frozenset(
    {"van", "de", "der", "den", "'t", "ter", "ten", "te", "von", "le", "la", "da", "di", "du", "el", "al"}
)
_GREETINGS = frozenset(("goedemorgen", "goedemiddag", "goedenavond", "hallo", "hoi", "dag", "ja", "hi", "hello"))
_STOP = (
    frozenset(
        (
            "i",
            "the",
            "a",
            "an",
            "and",
            "or",
            "but",
            "yes",
            "no",
            "ja",
            "nee",
            "thank",
            "thanks",
            "dank",
            "bedankt",
            "okay",
            "ok",
            "oké",
            "sorry",
            "please",
            "graag",
            "from",
            "speaking",
            "here",
            "hier",
            "calling",
            "en",
            "of",
            "maar",
            "dus",
            "het",
            "een",
            "ik",
            "je",
            "u",
            "we",
            "wij",
            "jij",
            "zij",
            "hij",
            "what",
            "how",
            "wat",
            "hoe",
            "i'm",
            "i'll",
            "it's",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "maandag",
            "dinsdag",
            "woensdag",
            "donderdag",
            "vrijdag",
            "zaterdag",
            "zondag",
            "customer",
            "service",
            "klantenservice",
            "support",
            "helpdesk",
            "team",
        )
    )
    | _GREETINGS
    | frozenset(MONTHS)
)
_CLAUSE_PUNCT = frozenset(",.!?;:")
_MAX_SURNAMES = 2


@cache
def first_names() -> tuple[frozenset[str], frozenset[str]]:
    """The shipped first-name list as (plain names, ambiguous names), lowercased."""
    text = resources.files("privacy").joinpath("data/first_names.txt").read_text(encoding="utf-8")
    plain: set[str] = set()
    ambiguous: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        (ambiguous if line.startswith("?") else plain).add(line.lstrip("?").lower())
    return frozenset(plain), frozenset(ambiguous)


def _norm(token: str) -> str:
    return token.lower().replace(_APOSTROPHE, "'")


def _is_cap(token: str) -> bool:
    return token[:1].isupper() and token[:1].isalpha() and _norm(token) not in _STOP


def find_names(text: str) -> Iterator[Finding]:
    """Person names introduced by a trigger or taken from the first-name list."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    plain, ambiguous = first_names()
    covered = -1
    for i in range(len(tokens)):
        if tokens[i][1] < covered:
            continue
        j, strong = _trigger_at(tokens, i)
        first = j if j is not None else i
        if first >= len(tokens) or (j is None and not _is_cap(tokens[i][0])):
            continue
        name = _norm(tokens[first][0])
        cap = _is_cap(tokens[first][0])
        end = _extend(text, tokens, first)
        has_surname = end > first + 1
        if j is None:
            ok = name in plain or (name in ambiguous and has_surname)
        elif strong:
            ok = cap or name in plain or name in ambiguous
        else:
            ok = cap and (name in plain or name in ambiguous or has_surname)
        if ok:
            start, stop = tokens[first][1], tokens[end - 1][2]
            covered = stop
            yield Finding(Span("name", start, stop), " ".join(text[start:stop].lower().split()))


def _trigger_at(tokens: list[tuple[str, int, int]], i: int) -> tuple[int | None, bool]:
    """Index of the word after a trigger starting at token ``i`` and whether it is strong."""
    for words, strong in _TRIGGERS:
        n = len(words)
        if [_norm(t[0]) for t in tokens[i : i + n]] != words:
            continue
        if words[0] in _EN_TITLES and tokens[i][0] != tokens[i][0].capitalize():
            continue
        j = i + n
        if j < len(tokens) and tokens[j][0] == "." and len(words) == 1:
            j += 1  # "Mr. Smith"
        if words == ["met"] and _clause_start(tokens, i):
            strong = True
        return j, strong
    return None, False


def _clause_start(tokens: list[tuple[str, int, int]], i: int) -> bool:
    return i == 0 or tokens[i - 1][0] in _CLAUSE_PUNCT or _norm(tokens[i - 1][0]) in _GREETINGS


def _extend(text: str, tokens: list[tuple[str, int, int]], first: int) -> int:
    """Index just past the name that starts at ``first``: particles and up to two capitalised
    surname words ("Sarah Jane Johnson", "Jan van der Berg"); all-caps words only after an all-caps
    first name."""
    end = first + 1
    k = end
    surnames = 0
    shouting = tokens[first][0].isupper()
    while k < len(tokens) and surnames < _MAX_SURNAMES:
        gap = text[tokens[k - 1][2] : tokens[k][1]]
        if gap.strip(" -"):
            break
        word = tokens[k][0]
        if _norm(word) in _PARTICLES:
            k += 1
            continue
        if word == "-" and k + 1 < len(tokens) and tokens[k + 1][1] == tokens[k][2]:
            k += 1  # "Anna-Lena", "Jansen-de Vries"
            continue
        if not _is_cap(word) or (word.isupper() and len(word) > 1 and not shouting):
            break
        k += 1
        end = k
        surnames += 1
    return end
