"""Regex sentence splitting with character offsets.

A full NLP sentence splitter costs milliseconds per article; news prose is
regular enough that one regex plus an abbreviation list does the job at a
few microseconds: split after ``.``/``!``/``?`` (and closing quotes) followed
by whitespace and a capital, digit or quote, and at every line break
(paragraphs), but not after abbreviations like "U.S." or "Corp.".
"""

from __future__ import annotations

import re

# A boundary: closing punctuation (with any closing quotes) and the
# whitespace after it when a capital, digit or quote follows; or a line break
# with the blank space around it. The whitespace is consumed, so sentence
# spans need no trimming.
# (Both branches start with a fixed character class, which lets the regex
# engine skip ahead quickly: this runs over every character of the article.)
_BOUNDARY = re.compile(r"""(?P<stop>[.!?]+["'”’)\]]*)\s+(?=["'“‘(\[]?[A-Z0-9])|\n\s*""")

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr inc corp co ltd plc llc bros no vs etc approx est
    jan feb mar apr jun jul aug sep sept oct nov dec gov sen rep gen col lt sgt
    dept univ assn fig mt ft mln bln pct""".split()
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    start = n - len(text.lstrip())
    for match in _BOUNDARY.finditer(text, start):
        stop = match.end("stop")
        if stop > 0 and text[stop - 1] == "." and _is_abbreviation(text, stop - 1):
            continue
        end = stop if stop > 0 else match.start()
        while end > start and text[end - 1] in " \t":
            end -= 1
        if end > start:
            spans.append((start, end))
        start = match.end()
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


_INITIALS = re.compile(r"(?:[A-Z]\.)+[A-Z]")


def _is_abbreviation(text: str, dot: int) -> bool:
    space = text.rfind(" ", max(0, dot - 8), dot)
    if space < 0 and dot >= 8:
        return False  # a word of eight letters or more is no abbreviation
    word = text[space + 1 : dot].lstrip("(\"“'‘\n")
    if not word or len(word) > 6:
        return False
    # "U.S." / "U.K." / initials ("J. P. Morgan") end in a single capital letter.
    if len(word) == 1:
        return word.isupper()
    return word.lower() in _ABBREVIATIONS or bool(_INITIALS.fullmatch(word))
