"""What the event grammar knows about an article: its mentions and sentences.

:class:`Article` is built once per ``tag()`` call and answers the questions the
grammar keeps asking (which mentions lie between two offsets, which sentence
an offset is in, who the last producer or country before an offset was) with
binary searches over sorted offsets.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from enrich.lexicon import Rule
from enrich.phrases import normalise


# Mentions, triggers and actors are built by the dozen per article: slotted
# dataclasses construct ~3x faster than frozen ones (whose __init__ goes
# through object.__setattr__), and nothing mutates them.
@dataclass(slots=True)
class Mention:
    start: int
    end: int
    kind: str  # producer | country | country_adj | commodity
    name: str


@dataclass(slots=True)
class Trigger:
    start: int
    end: int
    rule: Rule


@dataclass(slots=True)
class Actor:
    name: str
    kind: str
    start: int  # where the actor (or the word standing for it) is in the text
    how: str  # by | inside | owner | subject | list | anaphor | commodity | article


_NONE: list[int] = []
_START = attrgetter("start")


@dataclass
class Article:
    """What the grammar needs to know about the whole article."""

    text: str
    published: date | None
    sentences: list[tuple[int, int]]
    mentions: list[Mention]
    producer_commodities: dict[str, tuple[str, ...]] = field(default_factory=dict)
    producer_countries: dict[str, str] = field(default_factory=dict)
    main_commodity: str | None = None
    commodities: set[str] = field(default_factory=set)
    time_anchors: list[int] = field(default_factory=list)
    # "thermal coal" -> "coal": a price move belongs to the market, named broadly.
    commodity_heads: dict[str, str] = field(default_factory=dict)
    # Cue words by role ("negation", "break", ...): sorted offsets, so a
    # lookup is a bisect or two (the grammar asks ~100 of these per article).
    cues: dict[str, list[int]] = field(default_factory=dict)
    # The phrase matcher's copy of the text: lower-cased, punctuation blanked,
    # one space of padding in front (text[i] is normalised[i + 1]).
    normalised: str = ""

    def __post_init__(self) -> None:
        if not self.normalised:
            self.normalised = normalise(self.text)
        self.mentions.sort(key=_START)
        self._starts = [m.start for m in self.mentions]
        self.sentence_starts = [s for s, _ in self.sentences]
        self._producers = [m for m in self.mentions if m.kind == "producer"]
        self._producer_starts = [m.start for m in self._producers]
        self._countries = [m for m in self.mentions if m.kind == "country"]
        self._country_starts = [m.start for m in self._countries]

    def cue_positions(self, role: str, start: int, end: int) -> list[int]:
        offsets = self.cues.get(role, _NONE)
        return offsets[bisect.bisect_left(offsets, start) : bisect.bisect_left(offsets, end)]

    def has_cue(self, role: str, start: int, end: int) -> bool:
        """Is there a cue word of ``role`` starting in [start, end)?"""
        offsets = self.cues.get(role, _NONE)
        index = bisect.bisect_left(offsets, start)
        return index < len(offsets) and offsets[index] < end

    def words_between(self, start: int, end: int) -> list[str]:
        """The lower-cased words of text[start:end], punctuation dropped."""
        return self.normalised[start + 1 : end + 1].split()

    def mentions_between(self, start: int, end: int) -> list[Mention]:
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]

    def main_commodity_discussed(self) -> bool:
        """The main commodity is named more than once: one "coffee" in a story on
        grocery bills does not make its "Prices surged" a coffee market."""
        main = self.main_commodity
        return main is not None and sum(1 for m in self.mentions if m.kind == "commodity" and m.name == main) > 1

    def sentence_index(self, position: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, position) - 1)

    def last_before(self, kind: str, position: int, max_sentences: int) -> Mention | None:
        pool, starts = (self._producers, self._producer_starts) if kind == "producer" else (self._countries, self._country_starts)
        index = bisect.bisect_left(starts, position) - 1
        if index < 0:
            return None
        found = pool[index]
        if self.sentence_index(position) - self.sentence_index(found.start) > max_sentences:
            return None
        return found
