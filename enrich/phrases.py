"""One-pass phrase matching over an article (Aho-Corasick, pyahocorasick).

Every catalogue surface form (producer names and aliases, country names and
adjectives, commodity synonyms, source names) goes into one automaton keyed on
lower-cased text, so an 800-word article is scanned once whatever the size of
the catalogue. Case rules are checked per hit afterwards: all-caps forms and
abbreviations must match exactly ("US" is a country, "us" is not), and
capitalised names must be capitalised in the text ("Vale" the miner, not
"vale").
"""

from __future__ import annotations

from dataclasses import dataclass

import ahocorasick


@dataclass(frozen=True)
class Phrase:
    kind: str  # producer | country | country_adj | commodity | commodity_weak | source
    target: str  # the canonical name the surface form stands for
    case_sensitive: bool = False
    lowercase_ok: bool = False  # commodity words are common nouns


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    phrase: Phrase
    surface: str


# Rank of a kind when two phrases cover exactly the same span: a source is
# never a producer, and a country name beats its adjective ("Saudi").
_KIND_RANK = {"source": 0, "producer": 1, "country": 2, "country_adj": 3, "commodity": 4, "commodity_weak": 5}


class PhraseMatcher:
    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[str, Phrase]]] = {}
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, surface: str, phrase: Phrase) -> None:
        surface = " ".join(surface.split())
        if len(surface) < 2:
            return
        if surface.isupper() and len(surface) <= 5:
            # Short all-caps forms ("US", "BHP", "OPEC") are abbreviations.
            phrase = Phrase(phrase.kind, phrase.target, True, phrase.lowercase_ok)
        key = lower_same_length(surface)
        bucket = self._entries.setdefault(key, [])
        if (surface, phrase) not in bucket:
            bucket.append((surface, phrase))

    def compile(self) -> None:
        automaton = ahocorasick.Automaton()
        for key, bucket in self._entries.items():
            automaton.add_word(key, (len(key), tuple(bucket)))
        if self._entries:
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str, lowered: str | None = None) -> list[Match]:
        """All whole-word catalogue phrases in ``text``, longest-leftmost, non-overlapping."""
        if self._automaton is None:
            return []
        lowered = lowered if lowered is not None else lower_same_length(text)
        hits: list[Match] = []
        n = len(text)
        for end_index, (length, bucket) in self._automaton.iter(lowered):
            start = end_index - length + 1
            end = end_index + 1
            if start > 0 and _is_word_char(text[start - 1]):
                continue
            if end < n and _is_word_char(text[end]):
                continue
            found = text[start:end]
            best = _best_phrase(found, bucket)
            if best is not None:
                hits.append(Match(start, end, best, found))
        return _longest_leftmost(hits)


def _best_phrase(found: str, bucket: tuple[tuple[str, Phrase], ...]) -> Phrase | None:
    options = [phrase for surface, phrase in bucket if _case_fits(found, surface, phrase)]
    if not options:
        return None
    return min(options, key=lambda p: _KIND_RANK[p.kind])


def _case_fits(found: str, surface: str, phrase: Phrase) -> bool:
    if phrase.case_sensitive:
        return found == surface
    if phrase.lowercase_ok:
        return True
    # A capitalised catalogue name must be capitalised in the text.
    return not (surface[0].isupper() and not found[0].isupper())


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _longest_leftmost(hits: list[Match]) -> list[Match]:
    hits.sort(key=lambda m: (m.start, -(m.end - m.start)))
    out: list[Match] = []
    last_end = -1
    for hit in hits:
        if hit.start >= last_end:
            out.append(hit)
            last_end = hit.end
    return out


def lower_same_length(text: str) -> str:
    """``str.lower`` that never changes the length, so offsets stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
