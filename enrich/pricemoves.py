"""Price statements: "the CEPEA/ESALQ Index for crystal sugar rose 4%",
"quotes of pera orange averaged 43.65 BRL, 25.1% up on the previous period",
"soybean and corn prices were at record levels".

Market reports state a move of a commodity's price in many shapes besides
"<commodity> rose" (:func:`enrich.events.commodity_price_events`) and
"prices rose" (the lexicon). This stage reads each sentence that has a price
word and a commodity: the first direction word after the price word gives the
move, and the commodities that modify the price word (or are named in it)
are the actors. A hedge or forecast between them ("expect a price rise",
"could rise") or a condition ("if prices rose") means no event.
"""

from __future__ import annotations

import re

from enrich.article import Actor, Article, Trigger
from enrich.lexicon import Rule

_PRICE_WORD = re.compile(r"\b(?:prices?|index|indices|indicator|quotes|quotations?|values|futures|contracts?|benchmark|spot)\b", re.I)
_UP = (
    r"rose|risen|rises|rising|increased|increases|increasing|climbed|climbs|climbing|gained|gains|jumped|jumps|surged|surges|soared"
    r"|rallied|rallies|advanced|firmed|firming|upped|upping|valuated|valorized|appreciated|recovered|rebounded|skyrocketed|spiked"
    r"|doubled|tripled|(?:moved|went|edged|shot|picked)\s+up|(?:hit|reached|touched|set)\s+(?:a\s+|new\s+|the\s+)*(?:[\w-]+\s+){0,2}?(?:high|highs|record|records|peak)"
    r"|(?:at|to)\s+(?:a\s+|new\s+)*(?:[\w-]+\s+)?(?:record|all-time)\s+(?:highs?|levels?)|[\d.,]+\s*(?:%|percent|per\s+cent)\s+(?:up|higher|above|superior)|up\s+[\d.,]+\s*(?:%|percent|per\s+cent)|higher\s+than"
    r"|(?:was|were|is|are|ended|closed|settled|finished|traded)\s+(?:(?:slightly|sharply|marginally|much|a\s+bit|\w+ly|all)\s+)?(?:higher|up)"
    r"|higher(?=\s+(?:compared|than|from|on\s+the|in\s+the|for\s+the|at\s+the|just)\b)"
)
_DOWN = (
    r"fell|fallen|falls|falling|dropped|drops|dropping|declined|declines|declining|decreased|decreases|decreasing|slipped|slid|slumped"
    r"|plunged|plummeted|tumbled|sank|weakened|eased|retreated|depreciated|devalued|(?:moved|went|edged)\s+(?:down|lower)"
    r"|(?:hit|reached|touched)\s+(?:a\s+|new\s+|the\s+)*(?:[\w-]+\s+){0,2}?(?:low|lows)"
    r"|[\d.,]+\s*(?:%|percent|per\s+cent)\s+(?:down|lower|below|inferior)|down\s+[\d.,]+\s*(?:%|percent|per\s+cent)|lower\s+than"
    r"|(?:was|were|is|are|ended|closed|settled|finished|traded)\s+(?:(?:slightly|sharply|marginally|much|a\s+bit|\w+ly)\s+)?(?:lower|down)"
    r"|lower(?=\s+(?:compared|than|from|on\s+the|in\s+the|for\s+the|at\s+the)\b)"
)
_DIRECTION = re.compile(rf"\b(?:(?P<up>{_UP})|(?P<down>{_DOWN}))\b", re.I)
# Between the price word and its move: a forecast, a hedge or a noun ("a price rise").
_HEDGE = re.compile(
    r"\b(?:will|would|could|may|might|should|expect\w*|forecast\w*|predict\w*|estimat\w*|believ\w*|likely|project\w*|outlook|if|unless|whether|not|no)\b|\b(?:a|an)\s+$",
    re.I,
)
_CONDITION = re.compile(r"\b(?:if|unless|should\s+prices?)\b", re.I)
_NOT_COMMODITY = re.compile(r"\b(?:share|shares|stock|stocks|house|home|housing|property|consumer|equity|bond|asset|ticket|rental|land|retail|electricity|power|index\s+funds?)\s*$", re.I)
# What may stand between commodities and the price word they modify: "soybean and corn prices", "crystal sugar Index".
_MODIFIER_RUN = re.compile(r"(?:\s*(?:,|and|&|or)?\s*(?:[\w/-]+\s+){0,2})$")
_RULES = {"price_rise": Rule("price_rise", (), _PRICE_WORD, confidence=0.75), "price_fall": Rule("price_fall", (), _PRICE_WORD, confidence=0.75)}


def price_statements(article: Article) -> list[tuple[Trigger, Actor]]:
    """(trigger, commodity actor) for each price statement the other rules may miss."""
    out = []
    for sentence in _candidate_sentences(article):
        out.extend(_statement(article, sentence))
    return out


def _candidate_sentences(article: Article) -> list[tuple[int, int]]:
    indices = sorted({article.sentence_index(m.start) for m in article.mentions if m.kind == "commodity"})
    return [article.sentences[i] for i in indices]


def _statement(article: Article, sentence: tuple[int, int]) -> list[tuple[Trigger, Actor]]:
    text = article.text
    price = _PRICE_WORD.search(text, *sentence)
    if price is None or _CONDITION.search(text, sentence[0], price.start()):
        return []
    if _NOT_COMMODITY.search(text, max(sentence[0], price.start() - 25), price.start()):
        return []
    move = _DIRECTION.search(text, price.end(), sentence[1])
    if move is None or _HEDGE.search(text, price.end(), move.start()) or _HEDGE.search(text, max(sentence[0], move.start() - 12), move.start()):
        return []
    action = "price_rise" if move.group("up") else "price_fall"
    trigger = Trigger(price.start(), move.end(), _RULES[action])
    return [(trigger, Actor(name, "commodity", start, "commodity")) for name, start in _commodities(article, sentence, price, move)]


def _commodities(article: Article, sentence: tuple[int, int], price: re.Match, move: re.Match) -> list[tuple[str, int]]:
    """Commodities named inside the price phrase, else those modifying the price word, else the nearest."""
    heads = article.commodity_heads
    inside = [m for m in article.mentions_between(price.end(), move.start()) if m.kind == "commodity"]
    if inside:
        return [(heads.get(inside[0].name, inside[0].name), inside[0].start)]
    before = [m for m in article.mentions_between(sentence[0], price.start()) if m.kind == "commodity"]
    found = []
    end = price.start()
    for mention in reversed(before):
        if not _MODIFIER_RUN.fullmatch(article.text, mention.end, end):
            break
        found.append((heads.get(mention.name, mention.name), mention.start))
        end = mention.start
    if found:
        return list(dict.fromkeys(found))
    if before:
        return [(heads.get(before[-1].name, before[-1].name), before[-1].start)]
    after = [m for m in article.mentions_between(move.end(), sentence[1]) if m.kind == "commodity"]
    if not after and article.main_commodity_discussed() and _SUBJECT_PRICE.match(article.text, sentence[0], price.end()):
        # "The contract fell 12 percent": the market the article is about.
        return [(heads.get(article.main_commodity, article.main_commodity), price.start())]
    return []


_SUBJECT_PRICE = re.compile(r"\s*(?:the\s+)?(?:benchmark\s+|front-month\s+|most-active\s+|nearby\s+|spot\s+)?(?:futures\s+)?(?:prices?|futures|contracts?|benchmark)\b", re.I)
