"""Hold-back for streaming partials: never show the beginning of PII before its end has arrived.

Theory of operation
-------------------
A partial is redacted like a final, but the redactor can only recognise PII that is complete: the
partial "call me on oh six one two" holds four digits of a phone number that are no phone number
yet, and the next partial would reveal four more.  :meth:`PartialGuard.hold_back` therefore cuts
off the trailing stretch of the partial that could still grow into PII, working back over
whitespace-separated chunks from the end:

* number chunks: digits, spoken number words ("oh", "zes", "twaalf", "double", "plus"), separators;
* letter chunks an IBAN or postcode is spelled with: single letters and short all-caps words
  ("N L", "ABNA", "AB");
* e-mail chunks: anything holding "@" or a dotted name ("jan.jansen"), the spoken markers
  ("at", "dot", "apenstaartje", "punt") and the words on either side of a marker; a last word right
  after "email"/"mail"/"adres" (it may be the local part of an address still being spoken).

The final is never held back: it is complete, and the redactor sees all of it.  Use:
``redactor.redact(guard.hold_back(partial_text))``.
"""

from __future__ import annotations

import re

from privacy.numbers import is_number_word

__all__ = ["PartialGuard"]

_CHUNK = re.compile(r"\S+")
_EDGE_PUNCT = ",.;:!?\"'()"
_MARKERS = frozenset({"at", "dot", "punt", "apenstaartje", "apestaartje", "underscore", "streepje", "@"})
_CUES = frozenset(
    {
        "email",
        "e-mail",
        "mail",
        "mailadres",
        "e-mailadres",
        "emailadres",
        "address",
        "adres",
        "e-mail-adres",
        "email-adres",
        "mailen",
    }
)
_DOTTED = re.compile(r"\w+(?:[._\-]\w+)+")
_LETTERS = re.compile(r"[A-Z]{2,4}|[A-Za-z]")
_CUE_WINDOW = 4


def _core(chunk: str) -> str:
    return chunk.strip(_EDGE_PUNCT).lower()


def _is_numberish(chunk: str) -> bool:
    core = chunk.strip(_EDGE_PUNCT)
    if not core or any(c.isdigit() for c in core) or core in "+-/":
        return True
    return all(part and is_number_word(part) for part in core.split("-"))


def _is_marker(chunk: str) -> bool:
    return _core(chunk) in _MARKERS


def _is_held(chunks: list[str], i: int, held_right: bool) -> bool:
    """Whether chunk ``i`` may be the start of PII continuing to the end of the partial."""
    chunk = chunks[i]
    core = chunk.strip(_EDGE_PUNCT)
    if _is_numberish(chunk) or _is_marker(chunk) or "@" in chunk:
        return True
    if _LETTERS.fullmatch(core) or _DOTTED.fullmatch(core):
        return True
    right_marker = held_right and i + 1 < len(chunks) and _is_marker(chunks[i + 1])
    left_marker = i > 0 and _is_marker(chunks[i - 1])
    if right_marker or left_marker:
        return True
    last = i == len(chunks) - 1
    return last and any(_core(c) in _CUES for c in chunks[max(0, i - _CUE_WINDOW) : i])


class PartialGuard:
    """Decides how much of a streaming partial is safe to show now (see the module docstring)."""

    __slots__ = ()

    def hold_back(self, text: str) -> str:
        """Return the prefix of ``text`` that is safe to show: a trailing stretch that could still
        become PII when more words arrive is withheld (until a later partial or the final)."""
        matches = list(_CHUNK.finditer(text))
        chunks = [m.group() for m in matches]
        cut = len(text)
        held_right = False
        for i in range(len(chunks) - 1, -1, -1):
            if not _is_held(chunks, i, held_right or i == len(chunks) - 1):
                break
            cut = matches[i].start()
            held_right = True
        return text[:cut].rstrip()
