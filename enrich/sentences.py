"""Regex sentence splitting with character offsets.

A full NLP sentence splitter costs milliseconds per article; news prose is
regular enough that one regex plus an abbreviation list does the job at a
few microseconds: split after ``.``/``!``/``?`` (and closing quotes) followed
by whitespace and a capital, digit or quote, and at every line break
(paragraphs), but not after abbreviations like "U.S." or "Corp.".
"""

from __future__ import annotations

import re

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st jr sr inc corp co ltd plc llc bros no vs etc approx est
    jan feb mar apr jun jul aug sep sept oct nov dec gov sen rep gen col lt sgt
    dept univ assn fig mt ft mln bln pct""".split()
)


# Real sentences stay well under this; a run-on "sentence" of many kilobytes
# (a table, a page with no full stops) is cut into pieces of at most this size,
# because the grammar's work grows with the square of a sentence's length.
MAX_SENTENCE_CHARS = 1000


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, whitespace trimmed;
    none longer than :data:`MAX_SENTENCE_CHARS`."""
    spans = _split(text)
    if all(end - start <= MAX_SENTENCE_CHARS for start, end in spans):
        return spans
    return [piece for span in spans for piece in _cut(text, *span)]


def _cut(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long span in pieces, each ended at the last clause mark or space before the limit."""
    pieces = []
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        cut = max(text.rfind("; ", start, limit), text.rfind(", ", start, limit))
        if cut <= start + MAX_SENTENCE_CHARS // 2:
            cut = text.rfind(" ", start, limit)
        if cut <= start:
            cut = limit - 1
        pieces.append((start, cut + 1))
        start = cut + 1
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces


def _split(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    n = len(text)
    start = n - len(text.lstrip())
    for match in _BOUNDARY.finditer(text, start):
        end = match.end("close")
        if end < 0:  # a paragraph break: the sentence ends before it
            end = match.start()
            while end > start and text[end - 1] in " \t":
                end -= 1
        if end > start:
            spans.append((start, end))
        start = match.end()
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


def _abbreviation_lookbehinds() -> list[str]:
    """Lookbehinds that hold right before the full stop of an abbreviation: a
    listed word ("Corp.", "Dec."), a single capital ("J. P. Morgan") or
    initials ("U.S."), standing as a word of its own. Lookbehinds must be of
    fixed width, so the listed words go in one lookbehind per length."""
    opener = "[\\s(\"“'‘]"
    by_length: dict[int, list[str]] = {}
    for word in sorted(_ABBREVIATIONS):
        by_length.setdefault(len(word), []).append(word)
    behind = []
    for words in by_length.values():
        listed = "(?i:" + "|".join(words) + ")"
        behind += [f"(?<={opener}{listed})", f"(?<=\\A{listed})"]
    return behind + [f"(?<={opener}[A-Z])", "(?<=\\A[A-Z])", "(?<=[A-Z]\\.[A-Z])"]


def _boundary() -> re.Pattern:
    """A boundary: closing punctuation (with any closing quotes) and the
    whitespace after it when a capital, digit or quote follows; or a line
    break with the blank space around it. The whitespace is consumed, so
    sentence spans need no trimming. A lone full stop right after an
    abbreviation ("U.S.", "Corp.", "Dec.") is no boundary: the test is a
    set of negative lookbehinds, so it costs no Python call per sentence.

    The pattern opens with one fixed character class, which lets the regex
    engine skip ahead quickly: this runs over every character of the article
    (an alternation of two classes at the start made it scan ~3x slower)."""
    not_abbreviation = "".join("(?<!" + behind[4:-1] + "\\.)" for behind in _ABBREVIATION_LOOKBEHINDS)
    close = rf"""(?P<close>(?<=\.)(?=\s){not_abbreviation}|(?!(?<=\.)\s)[.!?]*["'”’)\]]*)"""
    return re.compile(rf"""[.!?\n](?:(?<=\n)\s*|{close}\s+(?=["'“‘(\[]?[A-Z0-9]))""")


_ABBREVIATION_LOOKBEHINDS = _abbreviation_lookbehinds()
_BOUNDARY = _boundary()
