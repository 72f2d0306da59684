"""Producer mentions: catalogue names, and producers the catalogue lacks.

Catalogue names come from the phrase matcher. Names that are also common
words ("Vale", "Shell") are marked ``ambiguous`` in the catalogue and need a
capitalised mention away from the start of a sentence, or company words
nearby. Producers missing from the catalogue are found from how news
introduces a company: a descriptor before the name ("the miner Foo
Resources"), an appositive after it ("Bar Corp, the world's largest producer
of cobalt"), or an industry suffix ("Foo Mining", "Bar Petroleum Ltd").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from enrich.phrases import Match

_CAP = r"(?:[A-Z][\w&'’.-]*[\w&]|[A-Z]|&)"
_NAME = rf"{_CAP}(?:\s+(?:{_CAP}|de|du|del|da|do|van|von|y))*"
_CORP = r"(?:Corp(?:oration)?|Inc|Ltd|Limited|PLC|plc|SA|S\.A|AG|NV|N\.V|ASA|LLC|Co|Company|Group|Holdings|PJSC|JSC|OJSC|Tbk)\.?"
_INDUSTRY = (
    r"(?:Mining|Minerals|Resources|Metals|Petroleum|Diamonds|Diamond|Gold|Goldfields|Copper|Lithium|Nickel|Steel|Coal"
    r"|Oil|Energy|Exploration|Mines|Platinum|Uranium|Cobalt|Iron|Zinc|Silver|Aluminium|Aluminum|Potash|Fertilizers?|Gas)"
)
_DESCRIPTOR = (
    r"(?:miner|mining\s+(?:company|group|firm|giant)|producer|oil\s+(?:company|major|producer|firm)|oil\s+and\s+gas\s+company"
    r"|driller|explorer|steelmaker|smelter|refiner|(?:diamond|gold|copper|lithium|coal|gas|energy)\s+(?:company|firm|group|giant|major)"
    r"|state\s+(?:company|firm)|company|firm|conglomerate)"
)
# Cue words the phrase matcher reports (see CUE_WORDS): a descriptor right
# before a name ("the miner Foo Resources"), an appositive right after one
# ("Bar Corp, the world's largest producer of cobalt"), or an industry word
# ending a capitalised name ("Foo Mining"). Anchoring the regexes at cue words
# keeps this pass proportional to the cues, not to the article.
_DESCRIPTOR_END = re.compile(rf"\b{_DESCRIPTOR}$")
_NAME_AT = re.compile(rf"\s+(?P<name>{_NAME})")
_APPOSITIVE_BEFORE = re.compile(
    rf"(?P<name>{_NAME}),\s+(?:a|an|the|one\s+of\s+the)\s+(?:[\w'’$.-]+\s+){{0,6}}?(?:mining\s+|oil\s+)?$"
)
_CAPS_BEFORE = re.compile(rf"(?<![\w&'’.-])(?P<name>{_CAP}(?:\s+{_CAP}){{0,2}})\s+$")
_APPOSITIVE_HEADS = ("producer", "producers", "miner", "miners", "company", "driller", "explorer", "supplier", "exporter", "steelmaker", "smelter", "group")
_INDUSTRY_COMPANY = re.compile(r"(?:mining|oil|gas|energy|diamond|steel|gold|coal|metals?|chemicals?)\s+$", re.I)
CUE_WORDS = {
    "descriptor": "miner producer company firm conglomerate driller explorer steelmaker smelter refiner major giant group".split(),
    "appositive": list(_APPOSITIVE_HEADS),
    "industry": _INDUSTRY.strip("(?:)").replace("s?", "").split("|") + ["Fertilizers", "Diamonds"],
}
INDUSTRY_WORDS = tuple(CUE_WORDS["industry"])
_INDUSTRY_ONLY = re.compile(_INDUSTRY)
_CORP_TAIL = re.compile(rf"(?:,?\s+{_CORP})+$")
# "PT Garuda Nikel Mandiri", "Toronto-listed Halcyon Gold": not part of the name.
_NAME_HEAD = re.compile(r"^(?:(?:PT|JSC|PJSC|OJSC|OAO|ZAO|[A-Z][\w.]*-(?:listed|based|owned|controlled|run|headquartered))\s+)+")
# Industry bodies, funds and indices are named like companies but produce nothing.
_NOT_A_COMPANY = re.compile(
    r"(?:\s+(?:[A-Z][\w&.-]*|&)){0,3}\s+(?:Regulatory|Council|Trust|Fund|Association|Institute|Exchange|Bank|Index|ETF|Board|Agency|Survey|Commission|Ministry|Minister|Reserves?"
    r"|Department|Forum|Union|Federation|Chamber|Society|Organi[sz]ation|Authority|Bureau|Research|Capital|Partners|Securities"
    r"|Markets|Price|Prices|Futures)\b"
)
_COMPANY_CONTEXT = re.compile(
    r"\b(?:company|companies|miner|mining|producer|group|shares|stock|Inc|Ltd|SA|plc|Corp|said|says|chief|CEO|executive"
    r"|spokesman|spokeswoman|spokesperson|output|production|produce|produces|mines?|miner|plant|refinery|smelter|board|investors"
    r"|subsidiary|unit|expects|reported|shipments|guidance|quarter|force\s+majeure|loadings|cargoes|pipeline|crude|oilfield|LNG)\b"
)
_STOP_NAMES = frozenset(
    """The A An In On At But And Its It This That These Those Their Our We He She They Shares Some Many Most All
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August
    September October November December Chief CEO Chairman President Minister Prime Sources Analysts Meanwhile However
    While After Before During Since When As If Last Next New Also Like Unlike Both Each Other One Two Three
    Besides Moreover Furthermore Thus Therefore Still Yet Overall Instead Indeed Although Though Despite Regarding
    About Neither Either Recommended Related Read More Click Subscribe Advertisement ADVERTISEMENT Photo Source Update""".split()
)

# Words that name a company only with others ("Global Mining", "Pacific Basin"):
# alone, they are a heading, a title or an adjective.
_GENERIC_ALONE = frozenset(
    """Global Strategic Pacific Atlantic Group Deputy Motor Motors Strike National International General United American
    Royal Western Eastern Northern Southern Central First Premier Capital Energy Resources Mining Metals Minerals Gold
    Oil Gas Power Steel Coal Iron Copper Industries Holdings Partners Ventures Investments Trading Commodities Markets
    Market Exchange Trust Fund Bank Council Union Federal State Republic Government Ministry Department Agency Authority
    Office Commission Board Committee Association Institute Foundation Project Mine Field Plant Port Terminal Rod Spot""".split()
)


@dataclass(slots=True)
class ProducerMention:
    start: int
    end: int
    name: str
    in_catalogue: bool


def catalogue_mentions(text: str, matches: list[Match], sentence_starts: list[int], ambiguous: set[str]) -> list[ProducerMention]:
    """Producer names from the catalogue, with the ambiguity rule applied per name."""
    by_name: dict[str, list[Match]] = {}
    for match in matches:
        if match.phrase.kind == "producer":
            by_name.setdefault(match.phrase.target, []).append(match)
    mentions = []
    for name, found in by_name.items():
        # "Energy and Mineral Resources Minister": a ministry's name, not the miner.
        found = [m for m in found if not _OFFICE_AFTER.match(text, m.end)]
        if not found or (name in ambiguous and not _trusted(text, found, sentence_starts)):
            continue
        mentions.extend(ProducerMention(m.start, m.end, name, True) for m in found)
    return mentions


_OFFICE_AFTER = re.compile(r"\s+(?:Minister|Ministry|Department|Agency|Regulator|Commission)\b")


def _trusted(text: str, found: list[Match], sentence_starts: list[int]) -> bool:
    """An ambiguous name counts if written mid-sentence, or with company words around it."""
    for match in found:
        if _PLACE_CONTEXT.search(text, max(0, match.start - 20), match.start) or _PLACE_AFTER.match(text, match.end):
            continue  # "the port of Santos", "Santos port": a place
        if " " not in match.surface and _QUANTITY_AFTER.match(text, match.end):
            continue  # "Total output fell", "Total Recoverable Sugar": an adjective
        if " " in match.surface or not _sentence_initial(text, match.start, sentence_starts):
            return True
        if _COMPANY_CONTEXT.search(text, max(0, match.start - 100), min(len(text), match.end + 100)):
            return True
    return False


_PLACE_CONTEXT = re.compile(r"\b(?:port|city|state|region|province|town|harbou?r|terminal|bay|island)\s+of\s+$|\bin\s+$", re.I)
_QUANTITY_AFTER = re.compile(
    r"\s+(?:[A-Za-z]+\s+)?(?:output|production|revenues?|sales|exports|imports|headcount|inventor(?:y|ies)|volumes?|demand|supply"
    r"|supplies|capacity|costs?|debt|assets|returns?|recoverable|reserves|spending|investments?|shipments|deliveries|earnings|income)\b",
    re.I,
)
_PLACE_AFTER = re.compile(r"\s+(?:port|harbou?r|terminal|state|city|region|province|basin)\b", re.I)


def _sentence_initial(text: str, start: int, sentence_starts: list[int]) -> bool:
    index = bisect.bisect_right(sentence_starts, start) - 1
    if index < 0:
        return True
    return not text[sentence_starts[index] : start].strip(" \"'“‘(")


def uncatalogued_mentions(text: str, matches: list[Match], cues: dict[str, list[tuple[int, int, str]]]) -> list[ProducerMention]:
    """Producers named with producer context but absent from the catalogue."""
    names: dict[str, tuple[int, int]] = {}
    # In text order; at one word, in the order of CUE_WORDS (as the matcher reports them).
    named_cues = sorted((start, end, rank, role, surface) for rank, role in enumerate(CUE_WORDS) for start, end, surface in cues.get(role, ()))
    for start, end, _, role, surface in named_cues:
        for raw, raw_start in _names_at_cue(text, start, end, role, surface):
            name = _clean(raw)
            if not name or _NOT_A_COMPANY.match(text, raw_start + len(raw)) or _common_word(text, name):
                continue
            start = raw_start + raw.find(name)
            if not _overlaps_known(start, start + len(name), matches) and name not in names:
                names[name] = (start, start + len(name))
    # "Suvo Strategic Minerals" and, from a later cue, "Strategic Minerals": one producer.
    for name in list(names):
        if any(other != name and other.endswith(" " + name) for other in names):
            del names[name]
    # "Halcyon Gold Corp ... Halcyon, a mid-tier producer": one producer.
    for name in [n for n in names if " " not in n]:
        if any(other.split()[0] == name for other in names if other != name):
            del names[name]
    mentions = []
    for name in names:
        found = _occurrences(text, name, name)
        short = name.split()[0]
        # Later mentions often drop the suffix: "Halcyon Gold Corp" ... "Halcyon".
        if len(name.split()) > 1 and len(short) >= 4 and short not in _STOP_NAMES and not any(short in other.split()[:1] for other in names if other != name):
            covered = [(m.start, m.end) for m in found]
            found += [m for m in _occurrences(text, short, name) if not any(s <= m.start < e for s, e in covered)]
        mentions.extend(found)
    return mentions


def _common_word(text: str, name: str) -> bool:
    """"Copper", "Strategic", "Bay": one capitalised word the same text also
    writes in lower case is a word, not a company's name."""
    if " " in name or not name.isalpha():
        return False
    return re.search(rf"(?<![\w-]){re.escape(name.lower())}(?![\w-])", text) is not None


def _names_at_cue(text: str, start: int, end: int, role: str, surface: str) -> list[tuple[str, int]]:
    """Candidate (name, start) pairs that the cue word at [start, end) introduces."""
    out = []
    if role == "descriptor" and _DESCRIPTOR_END.search(text, max(0, start - 30), end):
        found = _NAME_AT.match(text, end)
        if found:
            out.append((found.group("name"), found.start("name")))
    elif role == "appositive":
        if surface.lower() == "company" and not _INDUSTRY_COMPANY.search(text, max(0, start - 12), start):
            return out
        # "NAME, the world's largest producer": the last ", a|an|the|one of the"
        # within six words before the head, then the capitalised words before that comma.
        found = None
        for found in _APPOSITION_OPEN.finditer(text, max(0, start - 80), start):  # noqa: B007 - keeps the last match
            pass
        between = text[found.end() : start] if found else ""
        if found and len(between.split()) <= 6 and not any(c in between for c in ",.;") and not _PERSON_ROLE.search(between):
            name_start = _name_before(text, found.start())
            if name_start is not None:
                out.append((text[name_start : found.start()], name_start))
    elif role == "industry":
        if _TITLE_AFTER.match(text, end):
            return out  # "Iraqi Oil Minister", "the Global Mining and Resources sectors", "RBN Energy analyst"
        name_start = _name_before(text, start, max_words=3, gap=True)
        if name_start is not None and not _BYLINE_BEFORE.search(text, max(0, name_start - 40), name_start) and not text.startswith(("By ", "by "), name_start):
            raw = text[name_start:end]
            tail = _CORP_AFTER.match(text, end, end + 16)
            out.append((raw + (tail.group(0) if tail else ""), name_start))
    return out


_APPOSITION_OPEN = re.compile(r",\s+(?:a|an|the|one\s+of\s+the)\s+")
# "Phil Flynn, an analyst at Price Futures Group": a person who works there, not a producer.
_PERSON_ROLE = re.compile(r"\b(?:analysts?|economists?|strategists?|traders?|brokers?|spokes(?:man|woman|person)|directors?|chief|executives?|officials?|ministers?|partners?|managers?|president|chairman|head|founder|consultants?)\b", re.I)
# An industry word that heads an office, a sector or an analyst's firm, not a producer.
_TITLE_AFTER = re.compile(
    r"(?:\s+(?:and|&|[A-Z][\w-]*)){0,3}\s+"
    r"(?:Minister|Ministers|Ministry|Secretary|Department|Commissioner|sectors?|industry|industries|analysts?|consultants?|Production|Output)\b"
)
# "(Reporting by Rod Nickel": a reporter's name that ends in a metal.
_BYLINE_BEFORE = re.compile(r"(?:Reporting|reporting|Writing|writing|Editing|editing|Compiled|compiled)\s+by\s+(?:[\w.-]+\s+){0,3}$")
_CORP_AFTER = re.compile(rf"\s+{_CORP}(?![\w-])")
_CONNECTORS = frozenset({"de", "du", "del", "da", "do", "van", "von", "y", "&"})


def _name_before(text: str, end: int, max_words: int = 6, gap: bool = False) -> int | None:
    """Where the run of capitalised words ending at ``end`` starts (``gap``: one
    space separates the run from ``end``), or None. A backwards walk over a
    few words: cheaper than a regex anchored at the end of a window."""
    if gap:
        if end < 2 or text[end - 1] != " ":
            return None
        end -= 1
    start = None
    position = end
    for _ in range(max_words):
        space = text.rfind(" ", max(0, position - 40), position)
        word = text[space + 1 : position]
        if not word or not (word[0].isupper() or word in _CONNECTORS) or any(c in word for c in ",;:()\"\n.!?"):
            break
        start = space + 1
        if space < 0 or text[space - 1 : space] in ("", "\n"):
            break
        position = space
    if start is not None and text[start] in _CONNECTORS_FIRST:
        return None
    return start


_CONNECTORS_FIRST = frozenset("&")


_TICKER_WORD = re.compile(r"[A-Z0-9]{1,6}\.[A-Z]{1,2}")


def _clean(name: str) -> str | None:
    name = _NAME_HEAD.sub("", name.strip(" .,'’"))
    name = _CORP_TAIL.sub("", name).strip(" .,")
    words = [w for w in name.split() if not _TICKER_WORD.fullmatch(w)]  # "Copec COP.SN"
    # "Australia's Macarthur Coal", "Qatar's Energy Minister": the owner's possessive is not the name.
    # ("South Africa's Merafe Resources": an owner of two or three words too.)
    owners = [i for i, word in enumerate(words[:3]) if word.endswith(("'s", "’s"))]
    if owners:
        words = words[owners[-1] + 1 :]
    while words and (words[0] in _STOP_NAMES or words[0].endswith(("'s", "’s"))):
        words.pop(0)
    if not words or len(words) > 6:
        return None
    name = " ".join(words)
    if name in _STOP_NAMES or name in _GENERIC_ALONE or len(name) < 3 or _INDUSTRY_ONLY.fullmatch(name):
        return None
    return name


def without_legal_suffix(name: str) -> str:
    """"Nedak Ethanol LLC" is "Nedak Ethanol" (the convention drops legal suffixes)."""
    return _CORP_TAIL.sub("", name).strip(" .,") or name


def _overlaps_known(start: int, end: int, matches: list[Match]) -> bool:
    for m in matches:
        if m.start < end and start < m.end and m.phrase.kind in ("producer", "source", "country", "country_adj"):
            if m.phrase.kind in ("country", "country_adj") and m.start == start and m.end < end:
                continue  # "Tokyo Steel", "Oil India": a place that begins a company's name
            return True
    return False


def _occurrences(text: str, surface: str, name: str) -> list[ProducerMention]:
    """Whole-word occurrences of ``surface`` (str.find: a literal needs no regex)."""
    found = []
    at = text.find(surface)
    while at >= 0:
        end = at + len(surface)
        if (at == 0 or not _word_edge(text[at - 1])) and (end == len(text) or not _word_edge(text[end])):
            found.append(ProducerMention(at, end, name, False))
        at = text.find(surface, end)
    return found


def _word_edge(char: str) -> bool:
    return char.isalnum() or char in "-_"
