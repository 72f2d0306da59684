"""Time expressions, resolved against the publication date.

News dates are relative to the day the article appeared: "in September" in an
article of 2023-12-18 is September 2023, "last year" is 2022, "late November"
is the last third of November 2023. One compiled regex finds the expressions;
small functions turn each into a :class:`~newsflow.models.TimeRef` span.
dateparser would do the parsing, but costs ~100x more per call and still needs
these news-specific rules, so the rules are ours.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Iterator
from datetime import date, timedelta

from enrich.trusted import trusted
from newsflow.models import TimeRef

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

# Month names are matched capitalised only ("may" is a modal verb); "May" itself
# must also be anchored by a preposition, a day or a year (see _is_modal_may).
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_YEAR = r"(?:19[5-9]\d|20\d\d)(?![\d,.]\d|%|\s*(?:per\s*cent|percent))"
_PART = (
    r"(?i:early|mid|late|the\s+end\s+of|end\s+of|the\s+beginning\s+of|beginning\s+of|the\s+start\s+of"
    r"|start\s+of|the\s+middle\s+of|middle\s+of|the\s+first\s+half\s+of|the\s+second\s+half\s+of"
    r"|first\s+half\s+of|second\s+half\s+of)"
)
_TIME = re.compile(
    rf"""
    (?P<since>\b(?i:since|as\s+of)\s+)?
    (?:
        (?P<iso>\b(?P<iy>20\d\d)-(?P<im>[01]\d)-(?P<id>[0-3]\d)\b)
      | (?P<part>\b{_PART})[\s-]+(?:(?P<pmonth>{_MONTH})(?:,?\s+(?P<pmyear>{_YEAR}))?|(?P<pyear>{_YEAR}))\b
      | \b(?P<dmonth>{_MONTH})\s+(?P<dday>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<dyear>{_YEAR}))?
      | \b(?P<dday2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<dmonth2>{_MONTH})(?:,?\s+(?P<dyear2>{_YEAR}))?
      | \b(?P<month>{_MONTH})(?:\s+(?:of\s+)?(?P<myear>{_YEAR}))?\b
      | \b(?:(?i:the)\s+)?(?P<qord>(?i:first|second|third|fourth|1st|2nd|3rd|4th))[\s-]+(?i:quarter)
            (?:\s+(?:(?i:of)\s+)?(?P<qyear>{_YEAR}))?
      | \b(?P<qshort>[QH])(?P<qnum>[1-4])(?:\s*(?P<qsyear>{_YEAR}|'\d\d))?\b
      | \b(?P<year>{_YEAR})\b
      | \b(?P<yearend>(?i:(?:the\s+)?end\s+of\s+(?:the|this)\s+year|year-end|year\s+end|end-year))\b
      | \b(?P<rel>(?i:last|this|next|past|previous|the\s+previous|the\s+following|the\s+coming|earlier\s+this|later\s+this))
            \s+(?P<unit>(?i:week|month|year|quarter))\b
      | \b(?P<day>(?i:yesterday|today|tomorrow))\b
      | \b(?P<wdrel>(?i:on|last|this|next|on\s+last|late\s+on|early\s+on|from|starting|until|by|before)\s+)
            (?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b
    )
    """,
    re.VERBOSE,
)
# Every time expression contains one of these heads; the big regex is only
# tried at a head and at the few word starts just before it ("since late
# March"), instead of at every character of the sentence.
_ANCHOR = re.compile(
    r"\d|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
    r"|\b(?i:year|month|week|quarter|yesterday|today|tomorrow)\b|\b[QH][1-4]\b"
)
_MODAL_CONTEXT = re.compile(r"(?:\b(?:in|since|of|until|by|from|to|through|during|early|mid|late|last|next|this)\s*-?)$", re.I)


# Head words for the tagger's one-pass phrase matcher (see enrich.taxonomy):
# with them the tagger knows where times may be without running _ANCHOR.
ANCHOR_WORDS = (
    [m.capitalize() for m in _MONTHS if m != "may"] + ["May"] + [d.capitalize() for d in _WEEKDAYS]
    + "year years month months week weeks quarter quarters yesterday today tomorrow".split()
    + ["Q1", "Q2", "Q3", "Q4", "H1", "H2"] + [str(y) for y in range(1950, 2040)]
)  # fmt: skip


def find_times(
    text: str, published: date | None, start: int = 0, end: int | None = None, anchors: list[int] | None = None
) -> list[tuple[int, int, TimeRef]]:
    """(start, end, TimeRef) for every time expression in ``text[start:end]``.

    ``anchors``: the offsets of head words (ANCHOR_WORDS) when the caller
    already knows them; else they are found here.
    """
    spans = time_spans(text, start, end, anchors)
    found = []
    for index, (begin, finish, _) in enumerate(spans):
        ref = resolve_span(spans, index, published)
        if ref is not None:
            found.append((begin, finish, ref))
    return found


def time_spans(text: str, start: int = 0, end: int | None = None, anchors: list[int] | None = None) -> list[tuple[int, int, re.Match]]:
    """Where the time expressions are, unresolved (resolving costs more than finding)."""
    end = len(text) if end is None else end
    return [
        (match.start(), match.end(), match)
        for match in _matches(text, start, end, anchors)
        if not (match.group("month") == "May" and _is_modal_may(text, match))
    ]


def resolve_span(spans: list[tuple[int, int, re.Match]], index: int, published: date | None, prefer_future: bool | str = False) -> TimeRef | None:
    """Resolve ``spans[index]``; "the following year" counts from the span before it."""
    match = spans[index][2]
    rel = (match.group("rel") or "").lower()
    if rel.startswith(("the following", "the previous")):
        earlier = [resolve_span(spans, i, published) for i in range(index)]
        with _undatable():
            return _narrative(match, [(0, 0, ref) for ref in earlier if ref is not None])
        return None
    return _resolve(match, published, prefer_future)


def _matches(text: str, start: int, end: int, anchors: list[int] | None = None) -> list[re.Match]:
    """Longest time expressions around each anchor, left to right, never overlapping."""
    out: list[re.Match] = []
    covered = start
    if anchors is None:
        anchors = [a.start() for a in _ANCHOR.finditer(text, start, end)]
    for at in anchors:
        if at < covered or at >= end:
            continue
        best = None
        for begin in _word_starts_before(text, at, covered):
            match = _TIME.match(text, begin, end)
            if match and match.end() > at and (best is None or match.end() - match.start() > best.end() - best.start()):
                best = match
        if best is not None:
            out.append(best)
            covered = best.end()
    return out


# Words that can open a time expression before its head ("since late March",
# "the first half of 2024", "on Monday"); any other word ends the walk back.
_OPENERS = frozenset(
    """since as of early mid late the end beginning start middle first second third fourth 1st 2nd 3rd 4th half
    last this next past previous following coming earlier later on""".split()
)


def _word_starts_before(text: str, at: int, floor: int, words: int = 4) -> list[int]:
    starts = [at]
    position = at
    for _ in range(words):
        space = text.rfind(" ", floor, position - 1)
        start = floor if space < floor else space + 1
        word = text[start : position].strip().lower().rstrip(",")
        if word.split("-")[0] not in _OPENERS and not word[:1].isdigit():
            break
        starts.append(start)
        if space < floor:
            break
        position = space + 1
    return starts


def _narrative(match: re.Match, earlier: list[tuple[int, int, TimeRef]]) -> TimeRef | None:
    if match.group("unit").lower() != "year" or not earlier:
        return None
    step = 1 if "following" in match.group("rel").lower() else -1
    year = earlier[-1][2].start.year + step
    return TimeRef(text=match.group(0).strip(), start=date(year, 1, 1), end=date(year, 12, 31), granularity="year")


def resolve_time(phrase: str, published: date | None, prefer_future: bool = False) -> TimeRef | None:
    """Resolve one phrase ("late November", "since March 2022") against ``published``."""
    match = _TIME.search(phrase)
    return _resolve(match, published, prefer_future) if match else None


def _is_modal_may(text: str, match: re.Match) -> bool:
    if match.group("myear"):
        return False
    return not _MODAL_CONTEXT.search(text, max(0, match.start() - 12), match.start())


# Resolved times by (expression, anchor day, prefer_future). Articles of one
# day repeat their time words ("on Monday", "last year", "in March"), and a
# resolution costs a groupdict of ~40 groups, date arithmetic and a model,
# while the lookup costs a dict probe. The groups follow from the matched
# text (the regex is tried at a word start, and its only lookahead, after a
# year, decides where the match ends), so the text is a sound key. Bounded:
# cleared when full, since anchors move on with the news.
_RESOLVED: dict[tuple[str, date, bool | str], TimeRef | None] = {}
_RESOLVED_MAX = 4096
_UNRESOLVED = object()


def _resolve(match: re.Match, published: date | None, prefer_future: bool | str = False) -> TimeRef | None:
    anchor = published or date.today()
    key = (match.group(0), anchor, prefer_future)
    found = _RESOLVED.get(key, _UNRESOLVED)
    if found is _UNRESOLVED:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        found = _RESOLVED[key] = _resolve_match(match, anchor, prefer_future)
    return found


def _resolve_match(match: re.Match, anchor: date, prefer_future: bool | str) -> TimeRef | None:
    text = match.group(0).strip()
    g = match.groupdict()
    span = None
    with _undatable():
        span = _span(g, anchor, prefer_future)
    if span is None:
        return None
    start, end, granularity = span
    if g["since"]:
        return trusted(TimeRef, {"text": text, "start": start, "end": max(start, anchor), "granularity": "range"})
    return trusted(TimeRef, {"text": text, "start": start, "end": end, "granularity": granularity})


@contextlib.contextmanager
def _undatable() -> Iterator[None]:
    """A date outside years 1..9999 leaves the time unresolved (issue 8 #4).

    Site generators publish ``0001-01-01`` for undated items, so "in December"
    or "tomorrow" can land in year 0 or 10000, which ``date`` cannot hold; the
    event is then simply undated instead of the whole article failing.
    """
    try:
        yield
    except (ValueError, OverflowError):
        pass


def _span(g: dict, anchor: date, future: bool) -> tuple[date, date, str] | None:
    if g["iso"]:
        return _day(int(g["iy"]), int(g["im"]), int(g["id"]))
    if g["part"]:
        return _part(g, anchor, future)
    if g["dmonth"] or g["dmonth2"]:
        month = _month_number(g["dmonth"] or g["dmonth2"])
        year = g["dyear"] or g["dyear2"]
        day = int(g["dday"] or g["dday2"])
        year = int(year) if year else _year_for_month(month, anchor, future)
        return _day(year, month, day)
    if g["month"]:
        month = _month_number(g["month"])
        year = int(g["myear"]) if g["myear"] else _year_for_month(month, anchor, future)
        return _month(year, month)
    if g["qord"]:
        year = int(g["qyear"]) if g["qyear"] else anchor.year
        return _quarter(year, _ORDINALS[g["qord"].lower()])
    if g["qshort"]:
        year = _short_year(g["qsyear"], anchor)
        number = int(g["qnum"])
        if g["qshort"] == "H":
            return _half(year, number) if number <= 2 else None
        return _quarter(year, number)
    if g["year"]:
        return date(int(g["year"]), 1, 1), date(int(g["year"]), 12, 31), "year"
    if g["yearend"]:
        return date(anchor.year, 12, 1), date(anchor.year, 12, 31), "range"
    if g["rel"]:
        return _relative(" ".join(g["rel"].lower().split()), g["unit"].lower(), anchor)
    if g["day"]:
        offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[g["day"].lower()]
        day = anchor + timedelta(days=offset)
        return day, day, "day"
    if g["weekday"]:
        return _weekday(g["weekday"].lower(), g["wdrel"].lower(), anchor, future)
    return None


def _month_number(name: str) -> int:
    return _MONTHS[name.rstrip(".").lower()]


def _year_for_month(month: int, anchor: date, future: bool | str) -> int:
    """A month without a year is the latest one in the past; for plans the next
    one; with future words around it ("from March 1", "will take effect in
    June") whichever is nearer."""
    past = anchor.year if month <= anchor.month else anchor.year - 1
    ahead = anchor.year if month >= anchor.month else anchor.year + 1
    if future == "nearest":
        return ahead if (ahead * 12 + month) - (anchor.year * 12 + anchor.month) < (anchor.year * 12 + anchor.month) - (past * 12 + month) else past
    return ahead if future else past


def _short_year(raw: str | None, anchor: date) -> int:
    if not raw:
        return anchor.year
    return 2000 + int(raw[1:]) if raw.startswith("'") else int(raw)


def _day(year: int, month: int, day: int) -> tuple[date, date, str] | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value, value, "day"


def _month(year: int, month: int) -> tuple[date, date, str]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]), "month"


def _quarter(year: int, number: int) -> tuple[date, date, str]:
    first = 3 * (number - 1) + 1
    return date(year, first, 1), _month(year, first + 2)[1], "quarter"


def _half(year: int, number: int) -> tuple[date, date, str]:
    return (date(year, 1, 1), date(year, 6, 30), "range") if number == 1 else (date(year, 7, 1), date(year, 12, 31), "range")


def _part(g: dict, anchor: date, future: bool) -> tuple[date, date, str]:
    part = " ".join(g["part"].lower().split())
    if g["pmonth"]:
        month = _month_number(g["pmonth"])
        year = int(g["pmyear"]) if g["pmyear"] else _year_for_month(month, anchor, future)
        first, last, _ = _month(year, month)
        thirds = [(1, 10), (11, 20), (21, last.day)]
    else:
        year = int(g["pyear"])
        first, last = date(year, 1, 1), date(year, 12, 31)
        if "half" in part:
            return _half(year, 1 if "first" in part else 2)
        # early / mid / late year: four-month thirds.
        bounds = [(1, 4), (5, 8), (9, 12)]
        lo, hi = bounds[_third(part)]
        return date(year, lo, 1), _month(year, hi)[1], "range"
    lo, hi = thirds[_third(part)]
    return first.replace(day=lo), first.replace(day=hi), "range"


def _third(part: str) -> int:
    if part in ("early",) or "beginning" in part or "start" in part:
        return 0
    if part == "mid" or "middle" in part:
        return 1
    return 2


def _relative(rel: str, unit: str, anchor: date) -> tuple[date, date, str]:
    if rel.startswith(("earlier", "later")):
        start, end, _ = _relative("this", unit, anchor)
        return (start, anchor, "range") if rel.startswith("earlier") else (anchor, end, "range")
    step = {"last": -1, "past": -1, "previous": -1, "this": 0, "next": 1, "following": 1, "coming": 1}
    offset = step.get(rel.split()[-1], 0)
    if unit == "year":
        return date(anchor.year + offset, 1, 1), date(anchor.year + offset, 12, 31), "year"
    if unit == "month":
        index = anchor.year * 12 + anchor.month - 1 + offset
        return _month(index // 12, index % 12 + 1)
    if unit == "quarter":
        index = anchor.year * 4 + (anchor.month - 1) // 3 + offset
        return _quarter(index // 4, index % 4 + 1)
    monday = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=offset)
    return monday, monday + timedelta(days=6), "week"


def _weekday(name: str, rel: str, anchor: date, future: bool) -> tuple[date, date, str]:
    """"on Wednesday" is past ("said on Wednesday it would ..."), even in a
    sentence about plans; "from/next/until Friday" is ahead."""
    target = _WEEKDAYS.index(name)
    if any(word in rel for word in ("next", "from", "starting", "until", "by", "before")):
        delta = (target - anchor.weekday()) % 7 or 7
        day = anchor + timedelta(days=delta)
    else:
        delta = (anchor.weekday() - target) % 7
        if "last" in rel and delta == 0:
            delta = 7
        day = anchor - timedelta(days=delta)
    return day, day, "day"
