"""Spelled-out words and e-mail fragments: what a caller spells letter by letter, and the parts of a
spoken address the full e-mail pattern misses.

Theory of operation
-------------------
* A *spelled run* is three or more single letters joined by spaces, commas, dots or hyphens
  ("M A R I E K E", "j-a-n", "V. D. B."): callers spell names, streets and e-mail local parts this
  way, so the run is a ``name`` (an IBAN's bank code is found earlier, as part of its IBAN).
  "I", "a" and "o" count only inside a run of at least one other letter, and the whole run must
  hold at least three letters.  The word the run spells, when it comes right before ("Bakker,
  B A K K E R"), is part of the finding.
* An *e-mail fragment* is what is left of an address when recognition garbled its local part: an
  at-marker ("@", "at", "apenstaartje") followed by a domain with a known top-level domain
  ("at voorbeeld punt nl", "@example.com").  The fragment, marker included, is an ``email``;
  a spelled run right before it is taken in.

Both run on the original text.  Nothing here logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.detectors import TLD
from privacy.model import Finding, Span

__all__ = ["find_email_fragments", "find_spelled"]

_LETTER = r"[A-Za-zÀ-ÿ]"
_SEP = r"(?:[ \t]*[,.\-][ \t]*|[ \t]+)"
_SPELLED = re.compile(rf"(?<![\w'’]){_LETTER}(?:{_SEP}{_LETTER}(?![\w'’])){{2,}}\.?")
_COMMON = frozenset({"i", "a", "o", "e"})
_AT = r"(?:@\s*|\b(?:at|apenstaartje|apestaartje|at-sign)\s+)"
_DOT = r"(?:\.|\s+(?:dot|punt)\s+)"
_DOMAIN = r"[A-Za-z0-9][A-Za-z0-9\-]*"
_FRAGMENT = re.compile(rf"{_AT}{_DOMAIN}(?:{_DOT}{_DOMAIN})*{_DOT}{TLD}\b", re.IGNORECASE)
_SPELT_WORD = re.compile(r"([^\W\d_]+)[\s,:;\-]+$")
_SPELLED_TAIL = re.compile(rf"{_LETTER}(?:{_SEP}{_LETTER}){{1,}}\s*$")


def find_spelled(text: str) -> Iterator[Finding]:
    """Runs of three or more single letters ("M A R I E K E") as ``name`` findings."""
    for match in _SPELLED.finditer(text):
        letters = [c.lower() for c in match.group() if c.isalpha()]
        if len(set(letters) - _COMMON) == 0:
            continue  # "a, I, o": words, not spelling
        end = match.end() - (1 if match.group().endswith(".") else 0)
        key = "".join(letters)
        spelt = _SPELT_WORD.search(text[max(0, match.start() - 40): match.start()])
        if spelt is not None and spelt.group(1).lower() == key:  # "Bakker, B A K K E R"
            yield Finding(Span("name", max(0, match.start() - 40) + spelt.start(1), end), key)
        else:
            yield Finding(Span("name", match.start(), end), key)


def find_email_fragments(text: str) -> Iterator[Finding]:
    """A spoken or written "@domain.tld" whose local part was not recognised, as ``email``."""
    for match in _FRAGMENT.finditer(text):
        start = match.start()
        tail = _SPELLED_TAIL.search(text[max(0, start - 60): start])
        if tail is not None:
            start = max(0, start - 60) + tail.start()
        key = re.sub(r"\s+", "", match.group()).lower()
        yield Finding(Span("email", start, match.end()), key)
