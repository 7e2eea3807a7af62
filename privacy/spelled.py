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

* A written domain ("outlook.nl") anywhere, and a dotted name ("reek.hendris") or a mail provider's
  name ("outlook", "ziggo") after an e-mail cue in the same sentence, are ``email`` too; an all-caps
  word right after a name cue ("surname ... Bos, BOS") is a ``name``: the spelled letters heard as
  one word.

All run on the original text.  Nothing here logs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.detectors import TLD
from privacy.model import Finding, Span

__all__ = ["find_domains", "find_email_fragments", "find_spelled", "find_spelled_caps"]

_LETTER = r"[A-Za-zÀ-ÿ]"
_SEP = r"(?:[ \t]*[,.\-][ \t]*|[ \t]+)"
_SPELLED = re.compile(rf"(?<![\w'\u2019]){_LETTER}(?:{_SEP}{_LETTER}(?![\w'\u2019])){{2,}}\.?")
_COMMON = frozenset({"i", "a", "o", "e"})
_AT = r"(?:@\s*|\b(?:at|apenstaartje|apestaartje|at-sign)\s+)"
_DOT = r"(?:\.|\s+(?:dot|punt)\s+)"
_DOMAIN = r"[A-Za-z0-9][A-Za-z0-9\-]*"
_FRAGMENT = re.compile(rf"{_AT}{_DOMAIN}(?:{_DOT}{_DOMAIN})*{_DOT}{TLD}\b", re.IGNORECASE)
_DOMAIN_WORD = re.compile(rf"(?<![\w@.])(?:[A-Za-z0-9][\w\-]*\.)+{TLD}(?![\w.]|\.\w)", re.IGNORECASE)
_DOTTED_WORD = re.compile(r"(?<![\w@.])[A-Za-z][\w\-]*(?:\.[A-Za-z][\w\-]*)+(?![\w])")
_EMAIL_CUE = re.compile(r"\b(?:e-?mail\w*|mail\w*|mailadres\w*)\b", re.IGNORECASE)
_PROVIDER = re.compile(
    r"(?<![\w@.])(?:gmail|googlemail|outlook|hotmail|icloud|yahoo|ziggo|kpn|kpnmail|hetnet|xs4all|"
    r"telenet|protonmail|casema|chello|quicknet)(?![\w])",
    re.IGNORECASE,
)
_NAME_CUE = re.compile(r"\b(?:name|naam|achternaam|voornaam|surname|spell\w*|spel\w*)\b", re.IGNORECASE)
_CAPS_WORD = re.compile(r"(?<![\w'\u2019])(?:([A-Za-z]+)[ ,]+)?([A-Z]{3,12})(?![\w'\u2019])")
_CUE_WINDOW = 60
_SPELT_WORD = re.compile(r"([^\W\d_]+)[\s,:;\-]+$")
_SPELLED_TAIL = re.compile(rf"(?<![\w'\u2019]){_LETTER}(?:{_SEP}{_LETTER}(?![\w'\u2019]))+\s*$")


def find_spelled(text: str) -> Iterator[Finding]:
    """Runs of three or more single letters ("M A R I E K E") as ``name`` findings."""
    for match in _SPELLED.finditer(text):
        letters = [c.lower() for c in match.group() if c.isalpha()]
        if len(set(letters) - _COMMON) == 0:
            continue  # "a, I, o": words, not spelling
        end = match.end() - (1 if match.group().endswith(".") else 0)
        key = "".join(letters)
        spelt = _SPELT_WORD.search(text[max(0, match.start() - 40) : match.start()])
        if spelt is not None and spelt.group(1).lower() == key:  # "Bakker, B A K K E R"
            yield Finding(Span("name", max(0, match.start() - 40) + spelt.start(1), end), key)
        else:
            yield Finding(Span("name", match.start(), end), key)


def _same_sentence(text: str, at: int) -> str:
    """The up to ``_CUE_WINDOW`` characters before ``at`` that belong to its sentence."""
    window = text[max(0, at - _CUE_WINDOW) : at]
    ends = [m.end() for m in re.finditer(r"[.!?](?:\s|$)", window)]
    return window[ends[-1] :] if ends else window


def find_domains(text: str) -> Iterator[Finding]:
    """Written domains ("outlook.nl", "www.acme.com") anywhere, and dotted names ("reek.hendris") within a few
    words after an e-mail cue, as ``email``: what is left of an address whose "at" was not heard."""
    for match in _DOMAIN_WORD.finditer(text):
        yield Finding(Span("email", match.start(), match.end()), match.group().lower())
    for match in _DOTTED_WORD.finditer(text):
        if _EMAIL_CUE.search(_same_sentence(text, match.start())):
            yield Finding(Span("email", match.start(), match.end()), match.group().lower())
    for match in _PROVIDER.finditer(text):  # "... at outlook", the rest of the address unheard
        if _EMAIL_CUE.search(_same_sentence(text, match.start())):
            yield Finding(Span("email", match.start(), match.end()), match.group().lower())


def find_spelled_caps(text: str) -> Iterator[Finding]:
    """An all-caps word within a few words after a name cue ("my surname is Bos, BOS": the spelled letters
    heard as one word) as ``name``, with the word before it when that starts with the same letter."""
    for match in _CAPS_WORD.finditer(text):
        caps = match.group(2)
        if not _NAME_CUE.search(_same_sentence(text, match.start())):
            continue
        word = match.group(1)
        start = match.start(1) if word and word[0].lower() == caps[0].lower() else match.start(2)
        yield Finding(Span("name", start, match.end(2)), caps.lower())


def find_email_fragments(text: str) -> Iterator[Finding]:
    """A spoken or written "@domain.tld" whose local part was not recognised, as ``email``."""
    for match in _FRAGMENT.finditer(text):
        start = match.start()
        tail = _SPELLED_TAIL.search(text[max(0, start - 60) : start])
        if tail is not None:
            start = max(0, start - 60) + tail.start()
        key = re.sub(r"\s+", "", match.group()).lower()
        yield Finding(Span("email", start, match.end()), key)
