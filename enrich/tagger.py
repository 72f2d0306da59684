"""The enrichment tagger: a pure function from article text to :class:`~newsflow.models.Tags`.

``tag(text, published, title)`` finds the producers, countries and
commodities an article names and the events it reports. It is the one entry
point the worker and the evaluator call; everything it needs (the catalogue,
the action lexicon) is loaded once per process and nothing touches the
network or disk after that.

Event offsets: ``Event.start``/``Event.end`` locate the event's sentence in
``text`` (``text[start:end] == event.sentence``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from enrich.article import Article, Mention
from enrich.events import build_events, commodity_price_events, find_triggers
from enrich.learned import Candidate, Model, candidates, review
from enrich.phrases import Hits, Match, normalise
from enrich.pricemoves import price_statements
from enrich.producers import ProducerMention, catalogue_mentions, uncatalogued_mentions
from enrich.sentences import split_sentences
from enrich.taxonomy import Taxonomy, load_taxonomy
from enrich.textshape import shape
from enrich.trusted import trusted
from newsflow.models import Event, Producer, Tags

# Bump on every change to what the tagger outputs: `newsflow retag` keys its runs by it,
# and subscribers read it from each enriched record.
TAGGER_VERSION = "rules-2.11"
# Cue words the event grammar looks up by position (enrich.cues, enrich.actors).
_CUE_ROLES = frozenset({"negation", "possible", "planned", "break", "move", "anaphor", "time", "forecast", "future"})


def tag(
    text: str,
    published: date | datetime | None = None,
    title: str | None = None,
    *,
    taxonomy: Taxonomy | None = None,
    model: Model | None = None,
) -> Tags:
    """Tag one article. ``published`` anchors relative dates ("in September", "last year").

    The headline is read as the article's first sentence: it is often the best
    statement of the news. An event stated only in the headline has ``start ==
    end == 0`` and the headline as its sentence; every other event's offsets
    locate its sentence in ``text``. ``model`` applies the learned check
    (``enrich.learned``); by default the rules stand alone, because on the
    first-run batches the check scored lower than the rules (enrich/train.py).
    """
    taxonomy = taxonomy or load_taxonomy()
    reading = _read(text, published, title, taxonomy)
    article = reading.article
    events = reading.events  # deduplicated by the rule stage already
    if model is not None:
        # The learned check (off by default): keeps the rule events it believes, adds the wide net's best.
        events = dedupe_events(review(article, events, reading.has_title, taxonomy.producers, model))
    producers = _producers(reading.producer_mentions, taxonomy)
    producers += _acting_producers(events, {p.name for p in producers}, taxonomy)
    return Tags(
        producers=producers + _producing_countries(article.text, reading.matches, events, {p.name for p in producers}, article, taxonomy),
        countries=_countries(reading.matches),
        commodities=list(reading.commodities),
        events=_in_body(events, reading.document, reading.offset),
    )


def event_candidates(text: str, published: date | datetime | None = None, title: str | None = None) -> list[Candidate]:
    """Every event candidate of an article with its features, before the learned check (for ``enrich.train``)."""
    taxonomy = load_taxonomy()
    reading = _read(text, published, title, taxonomy)
    return candidates(reading.article, reading.events, reading.has_title, taxonomy.producers)


@dataclass
class _Reading:
    article: Article
    events: list[Event]
    matches: list[Match]
    producer_mentions: list[ProducerMention]
    commodities: Counter
    document: str
    offset: int
    has_title: bool


def _read(text: str, published: date | datetime | None, title: str | None, taxonomy: Taxonomy) -> _Reading:
    """Stages 1-4: shape the text, find every name and trigger, and run the rule grammar."""
    body = text or ""
    head = " ".join((title or "").split())
    document = f"{head}\n\n{body}" if head else body
    offset = len(head) + 2 if head else 0
    # Stage 1: the shape of real copy (wrapped lines, caps headlines, datelines);
    # same length, so every offset below is an offset into ``document`` too.
    shaped = shape(document, taxonomy.known_case)
    published_day = published.date() if isinstance(published, datetime) else published
    normalised = normalise(shaped)
    hits = taxonomy.matcher.find(shaped, normalised)
    hits.entities = matches = [m for m in hits.entities if not _commodity_in_name(shaped, m)]
    trigger_words = hits.triggers
    sentences = split_sentences(shaped)
    producer_mentions = _producer_mentions(shaped, matches, hits.cues, [start for start, _ in sentences], taxonomy)
    hits.entities = matches = _outside_names(matches, producer_mentions)
    commodities = _commodities(matches, producer_mentions, taxonomy)
    article = _article(shaped, normalised, published_day, sentences, hits, producer_mentions, commodities, taxonomy)
    # Stage 2, the relevance gate: a text that names no commodity and no
    # catalogued producer is not commodity news ("Ford's vehicle sales", "Kaspersky
    # shuts its US operations"); its action words describe something else.
    relevant = bool(commodities) or any(m.in_catalogue for m in producer_mentions) or (bool(producer_mentions) and _EXTRACTION_WORDS.search(shaped) is not None)
    events = _events(article, trigger_words, taxonomy)
    if not relevant:
        events = [e for e in events if _stands_without_commodity(e, article, taxonomy)]
    return _Reading(article, events, matches, producer_mentions, commodities, document, offset, bool(head))


# Words of extraction and processing: an uncatalogued "Optimum Coal" beside
# "mine" is a producer, a "Mitchell Gold" beside furniture is not.
_EXTRACTION_WORDS = re.compile(r"\b(?:mine|mines|mining|miners?|mineworkers|smelters?|smelting|refinery|refineries|oilfields?|colliery|collieries|quarry|pits?|ore)\b", re.I)
_CAPITALISED_BEFORE = re.compile(r"(?<![.!?:;\"“\n])\s(?-i:[A-Z])[\w'’&.-]*\s$")
_CAPITALISED_AFTER = re.compile(r"\s(?-i:[A-Z])[\w'’&-]*")


def _outside_names(matches: list[Match], producers: list[ProducerMention]) -> list[Match]:
    """A country inside a company's name ("Tokyo Steel") is not the country."""
    spans = [(p.start, p.end) for p in producers if not p.in_catalogue]
    if not spans:
        return matches
    return [m for m in matches if m.phrase.kind not in ("country", "country_adj") or not any(s <= m.start and m.end <= e and (s, e) != (m.start, m.end) for s, e in spans)]


def _commodity_in_name(text: str, match: Match) -> bool:
    """"a firm based in Sugar Creek", "Kobe Steel shed 11 yen": a commodity word
    written capitalised beside another capitalised word is part of a name."""
    phrase = match.phrase
    if phrase.kind not in ("commodity", "commodity_weak") or not phrase.lowercase_ok or not match.surface[:1].isupper():
        return False
    if _CAPITALISED_AFTER.match(text, match.end):
        return True
    return bool(_CAPITALISED_BEFORE.search(text, max(0, match.start - 30), match.start)) and not _sentence_start(text, match.start)


def _sentence_start(text: str, position: int) -> bool:
    before = text[max(0, position - 3) : position].strip()
    return not before or before[-1] in ".!?\"“\n"


def _in_body(events: list[Event], document: str, offset: int) -> list[Event]:
    """Events quoting the article as published, with offsets into the body; a
    fact the body states too is kept at its body sentence."""
    body_events, head_events = [], []
    for event in events:
        if event.start >= offset:
            update = {"start": event.start - offset, "end": event.end - offset, "sentence": document[event.start : event.end]}
            body_events.append(event.model_copy(update=update))
        else:
            head_events.append(event.model_copy(update={"start": 0, "end": 0, "sentence": document[event.start : event.end]}))
    return dedupe_events(body_events + head_events) if head_events else body_events


def _article(text: str, normalised: str, published: date | None, sentences: list, hits: Hits, producers: list[ProducerMention], commodities: Counter, taxonomy: Taxonomy) -> Article:
    """Everything the event grammar reads, indexed for binary search."""
    cues = _cues_by_role(hits.cues)
    return Article(
        text=text,
        normalised=normalised,
        published=published,
        sentences=sentences,
        mentions=_mentions(text, hits.entities, producers, commodities),
        producer_commodities=taxonomy.producer_commodities,
        producer_countries=taxonomy.producer_countries,
        commodity_heads=taxonomy.commodity_heads,
        main_commodity=commodities.most_common(1)[0][0] if commodities else None,
        commodities=set(commodities),
        time_anchors=cues.get("time", []),
        cues=cues,
    )


def _stands_without_commodity(event: Event, article: Article, taxonomy: Taxonomy) -> bool:
    """In a text that names no commodity and no catalogued producer, a state's
    or a cartel's measure may still be news ("OPEC+ will keep its cut in place",
    "U.S. sanctions on North Korea"); an unknown company's is not ("Kaspersky
    shuts its US operations", "Ford's electric vehicle sales")."""
    if event.action == "sanctions":
        return any(m.kind == "country" and m.name != event.actor for m in article.mentions_between(event.start, event.end))
    return event.actor in taxonomy.countries or event.actor in taxonomy.producers


def _cues_by_role(cues: dict[str, list[tuple[int, int, str]]]) -> dict[str, list[int]]:
    """Sorted offsets of the cue words, by role."""
    by_role: dict[str, list[int]] = {}
    for role in _CUE_ROLES:
        if role in cues:
            by_role[role] = sorted(start for start, _, _ in cues[role])  # multi-word cues end out of start order
    return by_role


def _producer_mentions(text: str, matches: list[Match], cues: dict, sentence_starts: list[int], taxonomy: Taxonomy) -> list[ProducerMention]:
    found = catalogue_mentions(text, matches, sentence_starts, taxonomy.ambiguous)
    found += uncatalogued_mentions(text, matches, cues)
    found.sort(key=lambda m: m.start)
    return found


def _commodities(matches: list[Match], producers: list[ProducerMention], taxonomy: Taxonomy) -> Counter:
    """Commodity counts; weak synonyms ("rough", "stones") count only when the
    commodity is already there strongly or through a producer of it."""
    strong = Counter(m.phrase.target for m in matches if m.phrase.kind == "commodity")
    produced = set()
    for mention in producers:
        entry = taxonomy.producers.get(mention.name)
        if entry:
            produced.update(entry.commodities)
    for match in matches:
        if match.phrase.kind == "commodity_weak" and (match.phrase.target in strong or match.phrase.target in produced):
            strong[match.phrase.target] += 1
    return strong


# "OPEC and its allies" is OPEC+, the group that acts (cuts, quotas).
_GROUP_WITH_ALLIES = {"OPEC": "OPEC+"}
_ALLIES = re.compile(r"\s+and\s+(?:its\s+|their\s+)?(?:allies|partners)\b")


def _mentions(text: str, matches: list[Match], producers: list[ProducerMention], commodities: Counter) -> list[Mention]:
    out = []
    for m in producers:
        name = _GROUP_WITH_ALLIES.get(m.name) if m.name in _GROUP_WITH_ALLIES and _ALLIES.match(text, m.end) else None
        out.append(Mention(m.start, m.end, "producer", name or m.name))
    for match in matches:
        kind = match.phrase.kind
        if kind in ("country", "country_adj"):
            out.append(Mention(match.start, match.end, kind, match.phrase.target))
        elif kind in ("commodity", "commodity_weak") and match.phrase.target in commodities:
            if text[match.start : match.end] == "lead" and _VERB_LEAD.search(text, max(0, match.start - 30), match.start):
                continue  # "disruptions can still lead to price spikes": the verb, in an article about the metal
            out.append(Mention(match.start, match.end, "commodity", match.phrase.target))
    return out


_VERB_LEAD = re.compile(r"\b(?:can|could|may|might|will|would|should|must|to|also|still|often|which|that|[a-z]+ly|not)\s+$", re.I)


def _events(article: Article, trigger_words: list[tuple[int, int, str]], taxonomy: Taxonomy) -> list[Event]:
    """Run the grammar only on sentences that contain a trigger word."""
    by_sentence: dict[int, list] = {}
    starts = article.sentence_starts
    for word in trigger_words:  # (article.sentence_index, inlined: ~40 words an article)
        by_sentence.setdefault(max(0, bisect_right(starts, word[0]) - 1), []).append(word)
    price_moves: dict[int, list] = {}
    for trigger, actor in commodity_price_events(article) + price_statements(article):
        price_moves.setdefault(article.sentence_index(trigger.start), []).append((trigger, actor))
    events: list[Event] = []
    for index in sorted(set(by_sentence) | set(price_moves)):
        sentence = article.sentences[index]
        triggers = find_triggers(article.text, by_sentence.get(index, []), sentence, taxonomy.lexicon.by_word, article)
        preset = {}
        for trigger, actor in price_moves.get(index, []):
            key = (trigger.start, trigger.end)
            if key in preset:
                preset[key].append(actor)  # "soybean and corn prices rose": one move, two commodities
            elif not any(t.start < trigger.end and trigger.start < t.end for t in triggers):
                triggers.append(trigger)
                preset[key] = [actor]
        if triggers:
            triggers.sort(key=lambda t: t.start)
            events.extend(build_events(article, sentence, triggers, preset))
    return dedupe_events(events)


def dedupe_events(events: list[Event]) -> list[Event]:
    """One event per fact: the lead and the body often repeat the same news.

    Two events are the same fact when actor, action, negation and modality
    agree and their objects and times do not contradict each other; the
    merged event keeps the first mention and fills in what it lacked.
    """
    kept: list[Event] = []
    by_key: dict[tuple, list[int]] = {}
    for event in events:
        slots = by_key.setdefault((event.actor, event.action, event.negated, event.modality), [])
        for index in slots:
            if _same_fact(kept[index], event):
                kept[index] = _merge(kept[index], event)
                break
        else:
            slots.append(len(kept))
            kept.append(event)
    return kept


def _same_fact(a: Event, b: Event) -> bool:
    if (a.actor, a.action, a.negated, a.modality) != (b.actor, b.action, b.negated, b.modality):
        return False
    if a.object and b.object and a.object != b.object:
        return False
    if a.when and b.when and (a.when.end < b.when.start or b.when.end < a.when.start):
        return False
    return True


def _merge(a: Event, b: Event) -> Event:
    fill = {}
    for name in ("object", "when", "amount", "change_pct"):
        if getattr(a, name) is None and getattr(b, name) is not None:
            fill[name] = getattr(b, name)
    fill["confidence"] = max(a.confidence, b.confidence)
    return a.model_copy(update=fill)


def _producers(mentions: list[ProducerMention], taxonomy: Taxonomy) -> list[Producer]:
    counts = Counter(m.name for m in mentions)
    catalogued = {m.name: m.in_catalogue for m in mentions}
    order = list(dict.fromkeys(m.name for m in mentions))
    out = []
    for name in order:
        entry = taxonomy.producers.get(name) if catalogued[name] else None
        out.append(
            trusted(
                Producer,
                {
                    "name": name,
                    "kind": entry.kind if entry else "company",
                    "in_catalogue": entry is not None,
                    "country": entry.country if entry else None,
                    "commodities": list(entry.commodities) if entry else [],
                    "mentions": counts[name],
                },
            )
        )
    return out


# Actions that present their actor as producing, exporting or supplying
# (enrich/gold/CONVENTION.md, "Who is a producer"): a country that does them is one.
_PRODUCING_ACTIONS = frozenset({"sales", "sales_halt", "sales_resume", "supply_restriction", "output_cut", "output_increase", "price_cut", "price_increase"})
# "Ghana, the world's second-largest cocoa grower", "top exporter Indonesia",
# "Saudi Arabia, the de facto leader of OPEC".
_PRODUCER_APPOSITION = re.compile(
    r",\s+(?:the\s+)?(?:world['’]s\s+|globe['’]s\s+|Africa['’]s\s+|Asia['’]s\s+|Europe['’]s\s+|a\s+|an\s+|one\s+of\s+the\s+|another\s+)?"
    r"(?:(?:No\.?\s*\d|number\s+\w+|top|biggest|largest|leading|major|main|key|second|third|fourth|fifth|[\w-]+-(?:largest|biggest|ranked))\s+){0,3}"
    r"(?:[\w-]+\s+){0,3}?(?:producers?|exporters?|growers?|miners?|suppliers?|sellers?)\b"
    r"|,\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,3}?(?:leader|member|kingpin|linchpin|heavyweight|founder)\s+of\s+(?:the\s+)?(?:OPEC|Organization\s+of\s+(?:the\s+)?Petroleum)",
    re.I,
)


# "Brazil's soybean crop", "Brazilian sugar mills", "cotton exports from India",
# "Ghana produced 800,000 t": a country presented as producing or exporting.
_PRODUCING_AFTER = re.compile(
    r"(?:['’]s?)?(?:\s+(?!and\b|or\b)[a-z][\w-]*){0,3}\s+(?:production|output|crops?|harvests?|exports?(?!\s+(?:controls?|curbs?|bans?|restrictions?|duties|dut(?:y|ies)|tax(?:es)?|licen[cs]es?|rules|regime|quotas?)\b)|exporters?|producers?|farmers|growers|mills|miners|shipments|plantings|acreage|supply)\b"
    r"|\s+(?:(?:has|have|had|also|is|was)\s+)?(?:produces|produced|producing|exports|exported|exporting|harvested|grows|grew|ships|shipped|mines|mined|pumps|pumped|sold|sells)\b"
)
_PRODUCING_BEFORE = re.compile(
    r"\b(?:production|output|crops?|harvests?|exports?|farmers|growers|producers?|mills|shipments|exporters?)\s+(?:in|from|of|by)\s+(?:the\s+)?(?:[\w-]+\s+)?$"
    # "top exporters Saudi Arabia and Russia", "supply from Iraq, Nigeria and Russia",
    # "imports of uranium from Russia": a seller named before or after its goods.
    r"|\b(?:top|biggest|largest|leading|major|key|fellow)\s+(?:[\w-]+\s+){0,2}?(?:producers?|exporters?|suppliers?|growers?),?\s+(?:the\s+)?$"
    # "OPEC members Saudi Arabia and Kuwait", "OPEC+ ally Russia": a cartel's member produces.
    r"|\bOPEC\+?\s+(?:[\w-]+\s+)?(?:members?|ally|allies|producers?|heavyweights?|kingpin|leader|linchpins?|partners?|nations?|countries)\s+(?:the\s+)?$"
    r"|\b(?:supply|supplies|deliveries|flows|imports?|purchases?|cargoes|barrels)\s+(?:of\s+(?:[\w-]+\s+){1,3})?from\s+(?:the\s+)?$",
    re.I,
)
# "... from Iraq, Nigeria, Iran and Russia": the rest of a list after its first country.
_LIST_NEXT = re.compile(r"\s*(?:,|,?\s+and|,?\s+or)\s+(?:the\s+)?$")


def _producing_countries(text: str, matches: list[Match], events: list[Event], known: set[str], article: Article, taxonomy: Taxonomy) -> list[Producer]:
    """Countries the text presents as producing or exporting, with kind ``country``."""
    names = [e.actor for e in events if e.action in _PRODUCING_ACTIONS]
    previous = None  # the last country taken from a "before" context, for the list after it
    for m in matches:
        if m.phrase.kind not in ("country", "country_adj") or not article.commodities:
            continue
        listed = previous is not None and m.phrase.kind == "country" and _LIST_NEXT.fullmatch(text, previous.end, m.start)
        previous = None
        if m.phrase.kind == "country" and _PRODUCER_APPOSITION.match(text, m.end):
            names.append(m.phrase.target)
        elif m.phrase.kind == "country" and _exported_in_sentence(article, m, taxonomy.countries[m.phrase.target].exports):
            # "Qatar" in a sentence about LNG: a leading exporter named with its export (countries.yaml).
            names.append(m.phrase.target)
        elif listed or _PRODUCING_AFTER.match(text, m.end) or _PRODUCING_BEFORE.search(text, max(0, m.start - 40), m.start):
            if _commodity_in_sentence(article, m.start):
                names.append(m.phrase.target)
                previous = m
    countries = {m.phrase.target for m in matches if m.phrase.kind in ("country", "country_adj")}
    found = [name for name in dict.fromkeys(names) if name in countries and name not in known]
    return [
        trusted(Producer, {"name": name, "kind": "country", "in_catalogue": True, "country": name, "commodities": [], "mentions": names.count(name)})
        for name in found
    ]


# A country in a sentence about a measure is mostly its target ("sanctions against
# Russia", "an embargo on Iranian crude"), not a seller.
_MEASURE = re.compile(r"\bsanction|\bembargo", re.I)


def _exported_in_sentence(article: Article, match: Match, exports: frozenset[str]) -> bool:
    """A leading exporter (countries.yaml) named in a sentence with its export."""
    text = article.text
    if not exports or "/" in (text[match.end : match.end + 1], text[max(0, match.start - 1) : match.start]):
        return False  # a benchmark: "the Oman/Dubai average"
    start, end = article.sentences[article.sentence_index(match.start)]
    if _MEASURE.search(text, start, end):
        return False
    return any(m.kind == "commodity" and m.name in exports for m in article.mentions_between(start, end))


def _commodity_in_sentence(article: Article, position: int) -> bool:
    start, end = article.sentences[article.sentence_index(position)]
    return any(m.kind == "commodity" for m in article.mentions_between(start, end))


def _acting_producers(events: list[Event], known: set[str], taxonomy: Taxonomy) -> list[Producer]:
    """Companies found only as the subject of a producer's action ("CATL resumes lithium mining")."""
    names = [e.actor for e in events if e.actor not in known and e.actor not in taxonomy.countries and e.actor not in taxonomy.commodities]
    return [
        trusted(Producer, {"name": name, "kind": "company", "in_catalogue": False, "country": None, "commodities": [], "mentions": names.count(name)})
        for name in dict.fromkeys(names)
        if name not in taxonomy.sources
    ]


def _countries(matches: list[Match]) -> list[str]:
    return list(dict.fromkeys(m.phrase.target for m in matches if m.phrase.kind in ("country", "country_adj")))


__all__ = ["TAGGER_VERSION", "tag"]
