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

from enrich.lexicon import Rule


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    kind: str  # producer | country | country_adj | commodity
    name: str


@dataclass(frozen=True)
class Trigger:
    start: int
    end: int
    rule: Rule


@dataclass(frozen=True)
class Actor:
    name: str
    kind: str
    start: int  # where the actor (or the word standing for it) is in the text
    how: str  # by | inside | owner | subject | list | anaphor | commodity | article


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
    cues: list[tuple[int, str]] = field(default_factory=list)  # (offset, role), sorted

    def __post_init__(self) -> None:
        self.mentions.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.mentions]
        self._sentence_starts = [s for s, _ in self.sentences]
        self._cue_starts = [offset for offset, _ in self.cues]
        self._producers = [m for m in self.mentions if m.kind == "producer"]
        self._producer_starts = [m.start for m in self._producers]
        self._countries = [m for m in self.mentions if m.kind == "country"]
        self._country_starts = [m.start for m in self._countries]

    def cue_positions(self, role: str, start: int, end: int) -> list[int]:
        lo = bisect.bisect_left(self._cue_starts, start)
        hi = bisect.bisect_left(self._cue_starts, end)
        return [offset for offset, r in self.cues[lo:hi] if r == role]

    def cue_roles(self, start: int, end: int) -> set[str]:
        lo = bisect.bisect_left(self._cue_starts, start)
        hi = bisect.bisect_left(self._cue_starts, end)
        return {role for _, role in self.cues[lo:hi]}

    def mentions_between(self, start: int, end: int) -> list[Mention]:
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]

    def sentence_index(self, position: int) -> int:
        return max(0, bisect.bisect_right(self._sentence_starts, position) - 1)

    def last_before(self, kind: str, position: int, max_sentences: int) -> Mention | None:
        pool, starts = (self._producers, self._producer_starts) if kind == "producer" else (self._countries, self._country_starts)
        index = bisect.bisect_left(starts, position) - 1
        if index < 0:
            return None
        found = pool[index]
        if self.sentence_index(position) - self.sentence_index(found.start) > max_sentences:
            return None
        return found
