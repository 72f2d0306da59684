"""One-pass phrase matching over an article (Aho-Corasick, pyahocorasick).

Every catalogue surface form (producer names and aliases, country names and
adjectives, commodity synonyms, source names), every action trigger word and
every cue word for unknown producers ("miner", "Resources") goes into one
automaton keyed on lower-cased text, so an 800-word article is scanned once
whatever the size of the catalogue. Case rules are checked per hit
afterwards: all-caps forms and abbreviations must match exactly ("US" is a
country, "us" is not), and capitalised names must be capitalised in the text
("Vale" the miner, not "vale").
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from operator import attrgetter

import ahocorasick


@dataclass(frozen=True)
class Phrase:
    kind: str  # producer | country | country_adj | commodity | commodity_weak | source | region | trigger | cue
    target: str  # the canonical name the surface form stands for
    case_sensitive: bool = False
    lowercase_ok: bool = False  # commodity words are common nouns


@dataclass(slots=True)
class Match:
    start: int
    end: int
    phrase: Phrase
    surface: str


@dataclass(slots=True)
class Hits:
    """What one pass found: entity phrases (longest-leftmost, non-overlapping),
    trigger words and cue words (every whole-word hit, overlaps allowed)."""

    entities: list[Match]
    triggers: list[tuple[int, int, str]]  # (start, end, lower-cased word)
    # role -> [(start, end, surface)], in order of the end offsets; by role,
    # since every reader wants the cues of one or two roles only.
    cues: defaultdict[str, list[tuple[int, int, str]]]


# Rank of a kind when two phrases cover exactly the same span: a source is
# never a producer, and a country name beats its adjective ("Saudi").
_KIND_RANK = {"source": 0, "producer": 1, "country": 2, "country_adj": 3, "commodity": 4, "commodity_weak": 5, "region": 6}
_SIDE_KINDS = ("trigger", "cue")


# The automaton runs over a normalised copy of the text: lower-cased, every
# punctuation mark a space, and one space of padding at each end. Keys are
# normalised the same way and wrapped in spaces, so a key can only match whole
# words ("cut" never fires inside "executive") and no hit needs a boundary
# check. Every replacement is one character for one, so offsets carry over.
_PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\t\n\r\f\v’‘“”–—…«»·•€£¥₹\u00a0"})


def normalise(text: str) -> str:
    return " " + lower_same_length(text).translate(_PUNCTUATION) + " "


def _key(surface: str) -> str:
    return " " + " ".join(lower_same_length(surface).translate(_PUNCTUATION).split(" ")) + " "


class PhraseMatcher:
    def __init__(self) -> None:
        self._entries: dict[str, list[tuple[str, Phrase]]] = {}
        self._automaton: ahocorasick.Automaton | None = None

    def add(self, surface: str, phrase: Phrase) -> None:
        surface = " ".join(surface.split())
        if len(surface) < 2:
            return
        if phrase.kind not in _SIDE_KINDS and surface.isupper() and len(surface) <= 5:
            # Short all-caps forms ("US", "BHP", "OPEC") are abbreviations.
            phrase = Phrase(phrase.kind, phrase.target, True, phrase.lowercase_ok)
        if not surface.translate(_PUNCTUATION).strip():
            return
        bucket = self._entries.setdefault(_key(surface), [])
        if (surface, phrase) not in bucket:
            bucket.append((surface, phrase))

    def surfaces(self) -> list[tuple[str, str]]:
        """Every (surface form, kind) added."""
        return [(surface, phrase.kind) for bucket in self._entries.values() for surface, phrase in bucket]

    def compile(self) -> None:
        automaton = ahocorasick.Automaton()
        for key, bucket in self._entries.items():
            trigger = next((p.target for _, p in bucket if p.kind == "trigger"), None)
            cues = tuple((s, p) for s, p in bucket if p.kind == "cue")
            entities = tuple((s, p) for s, p in bucket if p.kind not in _SIDE_KINDS)
            # What a hit means (its cue roles, its entity) depends only on the
            # key and the spelling found in the text, and a key is met in few
            # spellings ("Vale", "vale", "VALE"): each key memoises its verdict
            # per spelling in the dict, so the case rules run once per spelling.
            # (``None`` for a bare trigger word: nothing more to check.)
            automaton.add_word(key, (len(key), trigger, {} if cues or entities else None, cues, entities))
        if self._entries:
            automaton.make_automaton()
            self._automaton = automaton

    def find(self, text: str, normalised: str | None = None) -> Hits:
        """Every whole-word phrase of the catalogue in ``text``."""
        hits = Hits([], [], defaultdict(list))
        if self._automaton is None or not text:
            return hits
        normalised = normalised if normalised is not None else normalise(text)
        entities, triggers, cues = hits.entities, hits.triggers, hits.cues
        # This loop sees ~200 hits per 800-word article: keep it flat.
        for end_index, (length, trigger, verdicts, cue_bucket, bucket) in self._automaton.iter(normalised):
            # The key is " word ": in the padded text it spans
            # [end_index - length + 1, end_index]; the word itself starts one
            # later, which is its offset in ``text`` (padding cancels out).
            start = end_index - length + 1
            end = end_index - 1
            if trigger is not None:
                triggers.append((start, end, trigger))
                if verdicts is None:
                    continue
            found = text[start:end]
            verdict = verdicts.get(found)
            if verdict is None:
                verdict = verdicts[found] = _verdict(found, cue_bucket, bucket)
            roles, best = verdict
            for role in roles:
                cues[role].append((start, end, found))
            if best is not None:
                entities.append(Match(start, end, best, found))
        hits.entities = _longest_leftmost(entities)
        return hits


def _verdict(found: str, cues: tuple[tuple[str, Phrase], ...], entities: tuple[tuple[str, Phrase], ...]) -> tuple[tuple[str, ...], Phrase | None]:
    """The cue roles and the entity phrase that a hit spelt ``found`` stands for."""
    roles = tuple(phrase.target for surface, phrase in cues if _case_fits(found, surface, phrase))
    return roles, _best_phrase(found, entities) if entities else None


def _best_phrase(found: str, bucket: tuple[tuple[str, Phrase], ...]) -> Phrase | None:
    if len(bucket) == 1:
        surface, phrase = bucket[0]
        return phrase if _case_fits(found, surface, phrase) else None
    options = [phrase for surface, phrase in bucket if _case_fits(found, surface, phrase)]
    if not options:
        return None
    return min(options, key=lambda p: _KIND_RANK[p.kind])


def _case_fits(found: str, surface: str, phrase: Phrase) -> bool:
    # Punctuation is a space to the automaton, so "OPEC+" would also match "OPEC," (OPEC
    # followed by a comma): a plus sign that names the group must be in the text.
    if "+" in surface and "+" not in found:
        return False
    if phrase.case_sensitive:
        return found == surface
    if phrase.lowercase_ok:
        return True
    # A capitalised catalogue name must be capitalised in the text, word by
    # word: "the Koniambo nickel plant" is a site, not Koniambo Nickel.
    if surface[0].isupper() and not found[0].isupper():
        return False
    if " " in surface and found != surface:
        for want, got in zip(surface.split(), found.split()):
            if want[0].isupper() and not got[0].isupper():
                return False
    return True


def _longest_leftmost(hits: list[Match]) -> list[Match]:
    # The automaton reports hits in order of their end; reversed, and then
    # stably sorted by start, the longest hit comes first at each start
    # (a C-level key instead of a lambda: this runs on every entity hit).
    hits.reverse()
    hits.sort(key=_START)
    out: list[Match] = []
    last_end = -1
    for hit in hits:
        if hit.start >= last_end:
            out.append(hit)
            last_end = hit.end
    return out


_START = attrgetter("start")


def lower_same_length(text: str) -> str:
    """``str.lower`` that never changes the length, so offsets stay valid."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
