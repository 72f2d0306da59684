"""The first stage of the tagger: give real copy the shape the grammar reads.

Articles arrive hard-wrapped at 65-80 columns, with ALL-CAPS or Title Case
headlines, datelines ("OSLO, June 29 -"), tickers in brackets ("<Boreal
Inc>"), bylines and agency boilerplate (enrich/gold/CONVENTION.md, "Text as it
arrives"). The grammar wants sentences of ordinary prose, so this stage:

- unwraps soft line breaks (a line break inside a paragraph becomes a space);
- recases headlines from the article's own spellings ("KESTREL MINING TRIMS
  NICKEL OUTPUT" -> "Kestrel Mining trims nickel output") and keeps them as
  a sentence of their own;
- blanks datelines, bylines, agency credits, ticker brackets and link markup;
- ends sentences that scraping glued together ("above.Trades").

Every step replaces characters one for one, so an offset into the shaped
text is the same offset into the original: events keep pointing at the
article as it was published.
"""

from __future__ import annotations

import re
from collections import Counter

# A headline or heading line keeps its line break; a wrapped line does not.
_SHORT_LINE = 40
_TERMINAL = ".!?\"'”’):;,"

_TICKER = re.compile(
    r"<(?=[A-Z0-9][^<>\n]{0,60}>)|(?<=[\w.&])>"
    r"|\(\s*(?:[A-Z0-9]{1,6}[a-z]?\.[A-Z]{1,3}|(?:NYSE|NASDAQ|Nasdaq|LSE|TSX|TSXV|ASX|JSE|OTCQB|OTCQX|NYSE\s+American)\s*:\s*[A-Z.]{1,8})\s*\)"
    r"|(?<=\s)[A-Z]{1,5}\.(?:N|L|TO|AX|J|O|OQ|PA|DE|HK|SS|SZ|T|MI|MC|SA|BO|NS|V|CN)(?=[\s,;)])"  # Reuters codes ("PD.N")
)
_AGENCY = r"(?:Reuters|REUTERS|AP|AFP|UPI|Bloomberg|Dow\s+Jones|IFR|Platts|Argus|Xinhua|PAP|Interfax|TASS|dpa)"
# "OSLO, June 29 -", "NEW YORK, March 3 (Reuters) -", "LONDON (Reuters) -",
# "Oslo, June 29 (Reuters) -", "WASHINGTON (AP) _": at the start of a paragraph.
_DATELINE = re.compile(
    rf"(?m)^[ \t]*(?:[A-Z][A-Z.'-]+(?:[ /][A-Z][A-Z.'-]+){{0,3}}(?:,[ \t]*(?:[A-Z][a-z]{{2,8}}\.?[ \t]+\d{{1,2}}|[A-Z][a-z]+))?[ \t]*(?:\({_AGENCY}\)[ \t]*)?"
    rf"|[A-Z][a-z]+(?:[ ][A-Z][a-z]+){{0,2}}(?:,[ \t]*[A-Z][a-z]{{2,8}}\.?[ \t]+\d{{1,2}})?[ \t]*\({_AGENCY}\)[ \t]*)"
    r"(?:-{1,2}|–|—|_)[ \t]+"
)
# Reuters' slugs before a headline ("UPDATE 2-Jaguar Land Rover to cut output", "REFILE-...").
_WIRE_SLUG = re.compile(r"(?m)^[ \t]*(?:-- )?(?:(?:UPDATE[ \t]+\d+|REFILE|CORRECTED|RPT|WRAPUP[ \t]+\d+|EXCLUSIVE|FACTBOX|ANALYSIS|INSIGHT|PREVIEW|BRIEF|BUZZ)[ \t]*-)+(?=[ \t]*[A-Z0-9\"“'‘])")
_BOILERPLATE_LINE = re.compile(
    rf"(?m)^[ \t]*(?:\(?(?:(?:Reporting|Writing|Additional\s+reporting|Editing|Compiled)\s+by\b[^\n]*)"
    rf"|(?:By|BY)\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){{0,3}}(?:\s+(?:and|&)\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){{0,3}})?(?:,\s*{_AGENCY})?[ \t]*"
    rf"|{_AGENCY}[ \t]*)$"
)
_CALENDAR = {
    word.lower(): word
    for word in "January February March April May June July August September October November December "
    "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
}
_MARKDOWN_LINK = re.compile(r"\[([^\[\]\n]{1,120})\]\((?P<url>[^()\s]{1,300})\)")
_GLUED_SENTENCE = re.compile(r"(?<=[a-z%)\]])\.(?=[A-Z][a-z]+\s)")
_NOT_LETTER = re.compile(r"[^A-Za-z]+")
_NOT_UPPER = re.compile(r"[^A-Z]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’.&-]*")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|of|de|du|del|da|&))*\s+[A-Z][\w&'’.-]*")


def shape(text: str, known_case: dict[str, str] | None = None) -> str:
    """``text`` with the same length, ready for the grammar (see the module doc)."""
    if not text:
        return text
    chars = list(text.replace("\r", " "))
    lines = _lines(text)
    headlines = [(start, end) for start, end in lines if _is_headline(text[start:end])]
    if headlines:
        body_case = _body_case(text, lines, _headline_words(text, headlines))
        for start, end in headlines:
            chars[start:end] = recase(text[start:end], body_case, known_case or {})
    for match in _GLUED_SENTENCE.finditer(text):
        chars[match.start()] = "\n"  # "above.Trades": scraped copy lost the space after a full stop
    _blank(chars, _BOILERPLATE_LINE, text)
    _blank(chars, _WIRE_SLUG, text)
    for match in _MARKDOWN_LINK.finditer(text):  # "[Validus Energy](https://...)": keep the words
        chars[match.start()] = " "
        for i in range(match.start("url") - 2, match.end()):
            chars[i] = " "
    _blank(chars, _DATELINE, text)
    _blank(chars, _TICKER, text)
    _unwrap(chars, text, lines)
    return "".join(chars)


def shape_title(title: str, body: str, known_case: dict[str, str] | None = None) -> str:
    """A separate headline, recased from the body's spellings when it is all caps or title case."""
    if not title or not _is_headline(title):
        return title
    return recase(title, _body_case(body, _lines(body), _headline_words(title, [(0, len(title))])), known_case or {})


def _headline_words(text: str, headlines: list[tuple[int, int]]) -> set[str]:
    return {word.rstrip(".").lower() for start, end in headlines for word in _WORD.findall(text, start, end) if word.rstrip(".")}


def _lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer("\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_headline(line: str) -> bool:
    """ALL CAPS, or Title Case with most long words capitalised ("Kestrel Mining Trims Nickel Output")."""
    if len(line) > 300:
        return False  # a paragraph, whatever its case
    letters = _NOT_LETTER.sub("", line)
    if len(letters) < 8:
        return False
    words = _WORD.findall(line)
    if len(words) < 3:
        return False
    if len(_NOT_UPPER.sub("", letters)) >= 0.8 * len(letters):
        return True
    long_words = [w for w in words if len(w) > 3]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.85 * len(long_words) and not line.rstrip().endswith(".")


def _body_case(text: str, lines: list[tuple[int, int]], wanted: set[str]) -> dict[str, str]:
    """How the article spells the headline's words and names away from
    headlines and sentence starts: lower-case key -> the commonest spelling.
    Only the ``wanted`` words (those of the headlines) are counted."""
    counts: dict[str, Counter] = {}
    if not wanted:
        return {}
    words = re.compile(r"(?<![\w'’&-])(?:" + "|".join(sorted(map(re.escape, wanted), key=len, reverse=True)) + r")(?![\w'’&-])", re.I)
    for start, end in lines:
        line = text[start:end]
        if _is_headline(line):
            continue
        for match in _CAPITALISED_RUN.finditer(line):
            if match.group(0).split()[0].lower() in wanted:
                counts.setdefault(match.group(0).lower(), Counter())[match.group(0)] += 2
        for match in words.finditer(line):
            if not line[: match.start()].strip() or line[: match.start()].rstrip()[-1] in ".!?\"“":
                continue  # sentence-initial capitals say nothing about the word
            word = match.group(0)
            counts.setdefault(word.lower(), Counter())[word] += 1
    return {key: spellings.most_common(1)[0][0] for key, spellings in counts.items()}


def recase(line: str, body_case: dict[str, str], known_case: dict[str, str]) -> str:
    """Each word as the body (else the catalogue) spells it, else lower case;
    names of several words are taken whole ("De Beers"). Same length."""
    out = list(line)
    words = list(_WORD.finditer(line))
    index = 0
    first = True
    while index < len(words):
        taken = _multiword(line, words, index, body_case)
        if taken:
            span_start, span_end, spelling, count = taken
            out[span_start:span_end] = spelling
            index += count
            first = False
            continue
        match = words[index]
        word = match.group(0)
        key = word.lower()
        spelling = body_case.get(key.rstrip(".")) or known_case.get(key.rstrip(".")) or _CALENDAR.get(key.rstrip("."))
        if spelling is None or len(spelling) != len(key.rstrip(".")):
            spelling = key
        spelling = spelling + word[len(spelling) :].lower()
        if first:
            spelling = spelling[0].upper() + spelling[1:]
        out[match.start() : match.end()] = spelling
        first = False
        index += 1
    return "".join(out)


def _multiword(line: str, words: list[re.Match], index: int, body_case: dict[str, str]) -> tuple[int, int, str, int] | None:
    """The longest run of words from ``index`` that the body spells as one capitalised name."""
    for count in range(min(5, len(words) - index), 1, -1):
        start, end = words[index].start(), words[index + count - 1].end()
        key = line[start:end].lower()
        spelling = body_case.get(key)
        if spelling is not None and len(spelling) == end - start and " " in spelling:
            return start, end, spelling, count
    return None


def _blank(chars: list[str], pattern: re.Pattern, text: str) -> None:
    for match in pattern.finditer(text):
        for i in range(match.start(), match.end()):
            if chars[i] != "\n":
                chars[i] = " "


def _unwrap(chars: list[str], text: str, lines: list[tuple[int, int]]) -> None:
    """A line break inside a paragraph becomes a space. It stays a break after
    a blank line, a headline, or a short line that does not end a sentence
    (a heading, a byline), and before a blank line."""
    for (start, end), (next_start, next_end) in zip(lines, lines[1:]):
        line = text[start:end].strip()
        following = text[next_start:next_end].strip()
        if not line or not following:
            continue
        if _is_headline(text[start:end]):
            continue
        if len(line) < _SHORT_LINE and line[-1] not in _TERMINAL:
            continue
        if following[:1] in "-*•·" or following[:2].rstrip(".").isdigit():
            continue  # a list item starts its own sentence
        chars[end] = " "


def known_case_map(surfaces: list[str]) -> dict[str, str]:
    """Lower-case word -> its spelling in catalogue names ("opec" -> "OPEC",
    "beers" -> "Beers"), for headline words the body never spells."""
    out: dict[str, str] = {}
    for surface in surfaces:
        for word in _WORD.findall(surface):
            word = word.rstrip(".")
            if word[:1].isupper():
                out.setdefault(word.lower(), word)
    return out
