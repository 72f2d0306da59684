"""The event grammar: who did what, to what, when, how much.

Runs only where the phrase matcher saw a trigger word (see :mod:`enrich.lexicon`).
For each trigger: the actor (:mod:`enrich.actors`), negation and modality
(:mod:`enrich.cues`), then object, time, amount and percentage change from the
trigger's own stretch of the sentence.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace

from enrich.actors import find_actors
from enrich.amounts import find_amounts, find_percents
from enrich.article import Actor, Article, Trigger
from enrich.cues import cue_window, is_negated, modality
from enrich.lexicon import LIFTED, Rule
from enrich.syntax import PASSIVE, SEGMENT_BREAK
from enrich.times import resolve_span, time_spans
from enrich.trusted import trusted
from enrich.vocabulary import WORDS
from newsflow.models import Amount, Event, TimeRef

_DOWN = {"price_fall", "price_cut", "output_cut", "supply_restriction", "sales_halt"}
_UP = {"price_rise", "price_increase", "output_increase"}
_NO_CHANGE = {"acquisition", "sanctions", "import_ban", "export_ban", "strike", "force_majeure"}
# A clause ends the search for times and amounts as well. (The pattern opens
# with one character class so the engine skips ahead to punctuation.)
_DOWN_WORDS = re.compile(r"\b(?:down|fell|fall|lower|drop|dropped|declin\w*|cut|reduc\w*|slump\w*|plung\w*|lost|loss|slid|sank|decrease\w*)\b", re.I)
_COMMODITY_SUBJECT = re.compile(
    r"(?:\s[—–]\s[^—–;]{1,100}?\s[—–](?=\s))?"  # "Gold — a safe haven — fell"
    r"(?:(?:\s+[\w-]+)?\s+(?:prices?|futures|contracts?|spot\s+prices?|benchmark))?"
    r"(?:\s+(?:on|in|at)\s+(?:the\s+)?(?:[A-Z][\w.&-]*\s+){0,3}[A-Z][\w.&-]*)?"
    r"(?:\s+for\s+(?:(?:delivery|settlement)\s+in\s+(?:[\w-]+\s+){0,2}?[\w-]+|(?:[\w-]+\s+){1,2}(?:delivery|settlement)))?"
    r"(?:\s+(?-i:[A-Z]{2,5}\d?|[A-Z]{1,3}\d[A-Z]\d?)(?:\s+[-+][\d.]+%)?)?"  # a ticker and its change, as terminals print them ("HG1Z -0.17%")
    r"(?:\s+(?:recently|also|earlier|later|then|initially|briefly|eventually))?"
    r"(?:\s*\([^()]{1,30}\))?"  # "on the London Metal Exchange (LME)"
    r"(?:,\s+(?:[\w-]+\s+){0,3}?(?:benchmark|contract|grade)\s*,)?"
    r"(?:\s+(?:have|has|had|also|futures|prices))*\s+"
    r"(?:(?P<down>fell|fallen|dropped|declined|slumped|slid|sank|sunk|tumbled|plunged|plummeted|eased|weakened|dipped|retreated|crashed|"
    r"collapsed|slipped|lost|shed|sheds|falls|drops|declines|slips|eases|dips|slides|slumps|tumbles|plunges|sinks|retreats|weakens|ceded|pared|(?:falling|dropping|sliding|declining|losing|shedding|slipping|easing|retreating)(?=\s+[$€£]?[\d.,]+)|(?:crept|inched|ticked|edged|moved|went|came)\s+down|(?:edged|edging)\s+(?:[\d.]+%\s+)?(?:down|lower)|(?:was|were|is|are)\s+(?:(?:slightly|marginally|sharply)\s+)?(?:down|lower)"
    r"|(?:settled|closed|ended|finished|traded|trading)\s+(?:[\d.]+%\s+|\$?[\d.,]+\s+(?:cents?\s+)?)?(?:down|lower)"
    # "Copper was 0.1% lower", "crude down 95 cents", "hit a four-week low"
    r"|(?:(?:was|were|is|are)\s+)?[\d.]+\s*(?:%|percent|per\s+cent)\s+lower|down\s+\$?[\d.,]+\s*(?:%|percent|per\s+cent|cents?|dollars?|points?)"
    r"|(?:hit|hits|reached|reaches|touched|touches)\s+(?:an?\s+)?(?:new\s+)?(?:[\w-]+\s+){0,2}?lows?)"
    r"|(?P<up>(?:settled|closed|ended|finished|traded)\s+(?:[\d.]+%\s+)?(?:up|higher)|rose|risen|climbed|jumped|gained|surged|soared|rallied|advanced|firmed|"
    r"added|adds|rises|gains|climbs|jumps|firms|rallies|surges|soars|advances|rebounds|(?:rising|climbing|gaining|adding|jumping|advancing|firming|rallying)(?=\s+[$€£]?[\d.,]+)|(?:crept|inched|ticked|climbed|moved|went|shot)\s+up|(?:was|were|is|are)\s+(?:(?:slightly|marginally|sharply)\s+)?(?:up|higher)"
    r"|spiked|rebounded|topped|breached|surpassed|(?:edged|edging)\s+(?:[\d.]+%\s+)?(?:up|higher)"
    r"|(?:settled|closed|ended|finished|traded|trading)\s+\$?[\d.,]+\s+(?:cents?\s+)?(?:up|higher)"
    r"|(?:(?:was|were|is|are)\s+)?[\d.]+\s*(?:%|percent|per\s+cent)\s+higher|up\s+\$?[\d.,]+\s*(?:%|percent|per\s+cent|cents?|dollars?|points?)"
    r"|(?:hit|hits|reached|reaches|touched|touches|sets?)\s+(?:an?\s+)?(?:new\s+)?(?:[\w'-]+\s+){0,2}?(?:highs?|records?|limit\s+up)))\b",
    re.I,
)


# A forecast, estimate or guidance as the object of the trigger word (a few
# words on, with no verb in between: "Output is forecast to fall" is not one).
_FORECAST_OBJECT = re.compile(
    r"(?:\s+(?!(?:is|are|was|were|be|been|being|has|have|had|and|but|or|as|while|by|to|from)\b)[\w'’$%.-]+){0,4}?"
    r"\s+(?:forecasts?|estimates?|guidance|outlooks?|projections?|expectations?|predictions?)\b",
    re.IGNORECASE,
)


def _revises_forecast(article: Article, end: int, sentence_end: int) -> bool:
    """"cuts crop forecast", "raised its price outlook": a view revised, not an action."""
    return article.has_cue("forecast", end, min(sentence_end, end + 50)) and bool(_FORECAST_OBJECT.match(article.text, end, sentence_end))


def find_triggers(text: str, words: list, sentence: tuple[int, int], by_word: dict[str, list[Rule]], article: Article) -> list[Trigger]:
    """Anchored rule matches in one sentence, longest first, never overlapping."""
    found: list[Trigger] = []
    for start, end, word in words:
        following = None
        for rule in by_word[word]:
            if rule.objects:
                if following is None:
                    following = article.words_between(end, sentence[1])
                if rule.objects.isdisjoint(following):
                    continue  # its object word is nowhere after the trigger
            match = rule.rest.match(text, end, sentence[1])
            if match is None:
                continue
            if rule.veto_left and rule.veto_left.search(text, _words_back(text, max(sentence[0], start - 40), start), start):
                continue
            if rule.needs_left and not rule.needs_left.search(text, max(sentence[0], start - 60), start):
                continue
            if _has_evidence(rule, article, start, match.end()):
                if not _revises_forecast(article, end, sentence[1]):
                    found.append(Trigger(start, match.end(), rule))
                break
    found.sort(key=lambda t: (t.start, -t.end))
    kept: list[Trigger] = []
    for trigger in found:
        if not kept or trigger.start >= kept[-1].end:
            kept.append(trigger)
    return kept


def _words_back(text: str, floor: int, end: int, words: int = 5) -> int:
    """Where the ``words``-th word before ``end`` starts (not before ``floor``).
    The veto patterns end at the trigger and span at most four words, so
    searching from there finds what a search of the whole window would, with
    far fewer start positions to try."""
    at = end
    for _ in range(words):
        space = text.rfind(" ", floor, at - 1)
        if space < 0:
            return floor
        at = space
    return at


def _has_evidence(rule: Rule, article: Article, start: int, end: int) -> bool:
    if not rule.needs:
        return True
    inside = article.mentions_between(start, end)
    kinds = {m.kind for m in inside}
    if "commodity" in rule.needs and "commodity" not in kinds:
        return False
    return not ("origin" in rule.needs and not kinds & {"country", "country_adj"})


def commodity_price_events(article: Article) -> list[tuple[Trigger, Actor]]:
    """"Gold fell 2%", "Brent crude rose": a commodity as the subject of a price move."""
    out = []
    text = article.text
    for mention in article.mentions:
        if mention.kind != "commodity" or not article.has_cue("move", mention.end, mention.end + 90):
            continue  # no price verb ("fell", "rose", ...) close after the commodity
        before = text[max(0, mention.start - 30) : mention.start]
        if _OBJECT_OF.search(before):
            continue
        sentence_end = article.sentences[article.sentence_index(mention.start)][1]
        match = _COMMODITY_SUBJECT.match(text, mention.end, sentence_end)
        if not match or text[match.end() : match.end() + 6].lower().startswith(" short"):
            continue
        if _TO_A_VOLUME.match(text, match.end(), sentence_end):
            continue  # "bauxite fell 19 percent to 6.97 million tonnes": a volume, not a price
        action = "price_fall" if match.group("down") else "price_rise"
        rule = Rule(action, (), _COMMODITY_SUBJECT, confidence=0.85)
        name = article.commodity_heads.get(mention.name, mention.name)
        out.append((Trigger(mention.end, match.end(), rule), Actor(name, "commodity", mention.start, "commodity")))
    return out


_TO_A_VOLUME = re.compile(
    r"(?:\s+(?:by\s+)?(?:about\s+|some\s+|nearly\s+|almost\s+)?[\d.,]+\s*(?:%|percent|per\s+cent|pct))?,?\s+to\s+(?:a\s+)?(?:record\s+|about\s+|some\s+)?"
    r"[\d.,]+\s*(?:million|mln|billion|bln|thousand)?\s*(?:metric\s+)?(?:tonnes|tons|barrels|bpd|b/d|ounces|oz|carats|bushels|bales|cubic|bcm|mt|t)\b",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Figures:
    """Times, amounts and percentages of one segment of a sentence."""

    times: list
    amounts: list
    percents: list
    resolved: dict | None = None  # (span index, prefer_future) -> TimeRef, on first need


def build_events(article: Article, sentence: tuple[int, int], triggers: list[Trigger], preset: dict | None = None) -> list[Event]:
    """Events for the triggers of one sentence (``preset``: actors already known,
    keyed by the trigger's (start, end))."""
    events = []
    for index, trigger in enumerate(triggers):
        if trigger.rule.action == "sales" and _sells_company(article, trigger):
            continue
        if _in_condition(article.text, sentence, trigger):
            continue  # "if the price rose above $100": a hypothetical, no event
        if _ADVOCACY.search(article.text, max(sentence[0], trigger.start - 80), trigger.start):
            continue  # "is likely to press for export quotas", "talks on a pact with export quotas"
        if trigger.rule.action in _OUTPUT and _makes_goods(article.text, sentence, trigger):
            continue  # "UK car output falls", "cut output at its car plant": goods, not a commodity
        if trigger.rule.action == "output_increase" and _not_a_rise(article.text, trigger):
            continue  # "added it will propose a cut", "a 3.9 percent increase in the UK mining index"
        if trigger.rule.action == "sales" and _GOODS.search(article.text, max(sentence[0], trigger.start - 25), trigger.end):
            continue  # "its electric vehicle sales": goods sold, not a commodity
        if trigger.rule.action in ("export_ban", "import_ban") and _bans_goods(article, sentence, trigger):
            continue  # "banned export of the drug": goods, not a commodity
        actors = (preset or {}).get((trigger.start, trigger.end)) or find_actors(article, sentence, trigger)
        if not actors:
            continue
        segment = _segment(article.text, sentence, triggers, index)
        figures = _figures(article, segment)
        also = _exports_too(article.text, trigger)
        for actor in actors:
            if actor.kind == "country" and trigger.rule.action in _PRODUCING and not _names_commodity(article, sentence, trigger.rule.action):
                continue  # "Beijing ... selling clothes": a country produces commodities, not goods
            events.append(_event(article, sentence, trigger, actor, segment, figures))
            if also is not None:
                events.append(_event(article, sentence, also, actor, segment, figures))
    return events


_OUTPUT = frozenset({"output_cut", "output_increase"})
_GOODS = re.compile(
    r"\b(?:" + "|".join(WORDS["goods"].split()) + r")\s+(?:output|production|producers?|makers?|manufacturing|assembly|plants?|factory|factories|lines?|sales)\b",
    re.IGNORECASE,
)


def _bans_goods(article: Article, sentence: tuple[int, int], trigger: Trigger) -> bool:
    """A trade measure on goods: a goods word in or right after the trigger, and no commodity there."""
    end = min(sentence[1], trigger.end + 30)
    if any(m.kind == "commodity" for m in article.mentions_between(trigger.start, end)):
        return False
    return _GOODS_WORD.search(article.text, trigger.start, end) is not None


_GOODS_WORD = re.compile(r"\b(?:" + "|".join(WORDS["goods"].split()) + r"|medicines?|pharmaceuticals?|masks?|ventilators?)\b", re.IGNORECASE)


# A rise put off ("delay plans for expanded mines", "pushed back the restart") will
# not happen: negated and planned, as a shelved expansion (wire2's Hoogovens).
_PUT_OFF = re.compile(
    r"\b(?:delay(?:s|ed|ing)?|defer(?:s|red|ring)?|postpon(?:e|es|ed|ing)|push(?:es|ed|ing)?\s+back|shelv(?:e|es|ed|ing))\b(?:\s+[\w'’-]+){0,5}?\s*$",
    re.IGNORECASE,
)
_REPORTING_ADD = re.compile(r"add(?:s|ed)?\s+(?:that|it|he|she|they|we)\b", re.IGNORECASE)
_SHARE_INDEX = re.compile(r"\s*(?:index|indices|indexes|stocks|shares|sector\s+index)\b", re.IGNORECASE)


# A reporting "added" ("added it will propose a further cut") or a share index
# ("a 3.9 percent increase in the UK mining index") raises no output.
def _not_a_rise(text: str, trigger: Trigger) -> bool:
    if _REPORTING_ADD.match(text, trigger.start):
        return True
    return _SHARE_INDEX.match(text, trigger.end) is not None


def _makes_goods(text: str, sentence: tuple[int, int], trigger: Trigger) -> bool:
    """Is the output around the trigger that of manufactured goods?"""
    return _GOODS.search(text, max(sentence[0], trigger.start - 40), min(sentence[1], trigger.end + 40)) is not None


# "cut oil output and exports": the cut restricts exports as well.
_AND_EXPORTS = re.compile(r"\s+(?:and|as\s+well\s+as)\s+(?:its\s+|their\s+)?(?:[\w-]+\s+)?exports\b", re.IGNORECASE)
_EXPORT_RULES: dict[Rule, Rule] = {}


def _exports_too(text: str, trigger: Trigger) -> Trigger | None:
    if trigger.rule.action != "output_cut":
        return None
    match = _AND_EXPORTS.match(text, trigger.end)
    if match is None:
        return None
    rule = _EXPORT_RULES.get(trigger.rule)
    if rule is None:
        rule = _EXPORT_RULES[trigger.rule] = replace(trigger.rule, action="supply_restriction")
    return Trigger(trigger.start, match.end(), rule)


_DIGIT = re.compile(r"\d")
# "imports of Iranian crude fell": the commodity is an object, the imports fell.
_OBJECT_OF = re.compile(r"\b(?:for|of|on|from|to|with|in)\s+(?:(?:(?-i:[A-Z])(?:\.(?-i:[A-Z]))+\.|(?-i:[A-Z])[\w-]*)[ ]+)?$|-$", re.I)
_COMPANY_OBJECT_GAP = re.compile(r"\s+(?:its\s+|the\s+|a\s+stake\s+in\s+)?")


# Actions that make their actor a producer; a country does them only to a commodity.
_PRODUCING = frozenset({"sales", "sales_halt", "sales_resume", "supply_restriction", "output_cut", "output_increase", "price_cut", "price_increase", "purchase_deferral"})


def _names_commodity(article: Article, sentence: tuple[int, int], action: str) -> bool:
    """A commodity in the article, or a word of production or trade in the sentence
    ("keep its additional cut in place": an output cut needs no commodity word)."""
    if article.main_commodity is not None or _COMMODITY_WORDS.search(article.text, *sentence):
        return True
    return action == "output_cut" and bool(_CUT_WORDS.search(article.text, *sentence))


_CUT_WORDS = re.compile(r"\b(?:cuts?|cutbacks?|quotas?|curbs?)\b", re.I)


# Words that stand for the article's commodity ("production", "exports", "the crop").
_COMMODITY_WORDS = re.compile(r"\b(?:output|production|crops?|harvests?|exports?|shipments|barrels|bpd|tonnes|tons|ounces|mines?|oilfields?|wells|refiner(?:y|ies)|smelters?)\b", re.I)


# Advocating or negotiating a measure is not taking it.
_ADVOCACY = re.compile(
    r"\b(?:(?:press(?:es|ed|ing)?|push(?:es|ed|ing)?|call(?:s|ed|ing)?|lobb(?:y|ies|ied|ying)|argu(?:e|es|ed|ing)|campaign(?:s|ed|ing)?|pressure)\s+for"
    r"|talks\s+(?:on|about|over)|(?:agreement|pact|accord)\s+with)\s+(?:[\w'’,-]+\s+){0,8}$",
    re.I,
)
_CONDITION = re.compile(r"\b(?:if|unless|whether|should\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?(?:prices?|output|production))\b[^,;:]*$", re.I)


def _in_condition(text: str, sentence: tuple[int, int], trigger: Trigger) -> bool:
    """Is the trigger inside an "if"/"unless" clause (not its consequence)?"""
    start = max(sentence[0], trigger.start - 120)
    return ("if" in text[start : trigger.start].lower() or "unless" in text[start : trigger.start].lower() or "should" in text[start : trigger.start].lower()) and bool(
        _CONDITION.search(text, start, trigger.start)
    )


def _sells_company(article: Article, trigger: Trigger) -> bool:
    """"plans to sell De Beers": selling a company is a divestment, not a sale of goods."""
    for mention in article.mentions_between(trigger.end, trigger.end + 30):
        if mention.kind == "producer":
            return bool(_COMPANY_OBJECT_GAP.fullmatch(article.text, trigger.end, mention.start))
        break
    return False


def _figures(article: Article, segment: tuple[int, int]) -> Figures:
    """Times, amounts and percentages of a segment; cheap tests first, since
    most segments have no figures at all."""
    text = article.text
    lo = bisect.bisect_left(article.time_anchors, segment[0])
    hi = bisect.bisect_left(article.time_anchors, segment[1])
    anchors = article.time_anchors[lo:hi]
    times = time_spans(text, segment[0], segment[1], anchors) if anchors else []
    if not _DIGIT.search(text, segment[0], segment[1]):
        return Figures(times, [], [])
    chunk = text[segment[0] : segment[1]]
    percents = find_percents(text, *segment) if "%" in chunk or "cent" in chunk or "pct" in chunk else []  # "per cent", "percent"
    return Figures(times, find_amounts(text, *segment), percents)


def _segment(text: str, sentence: tuple[int, int], triggers: list[Trigger], index: int) -> tuple[int, int]:
    """The stretch of the sentence that belongs to this trigger (for times and amounts)."""
    trigger = triggers[index]
    lo = triggers[index - 1].end if index > 0 else sentence[0]
    hi = triggers[index + 1].start if index + 1 < len(triggers) else sentence[1]
    for brk in SEGMENT_BREAK.finditer(text, trigger.end, hi):
        hi = brk.start()
        break
    last = None
    for brk in SEGMENT_BREAK.finditer(text, lo, trigger.start):
        last = brk
    if last is not None:
        lo = last.end()
    return lo, hi


_HOW_CONFIDENCE = {"by": 1.0, "inside": 0.95, "owner": 0.95, "subject": 1.0, "list": 0.95, "anaphor": 0.8, "commodity": 1.0, "article": 0.7}


# The words from a noun trigger to its own predicate, within its clause.
_TO_OWN_PREDICATE = r"(?:\s+(?!(?:but|while|after|as|because)\b|and\s+(?-i:[a-z]))[\w'’.-]+){0,12}?\s+"

# A noun trigger whose own predicate cancels it: "the strike at X has been
# called off", "a walkout planned for Monday was averted".
_CANCELLABLE = frozenset({"strike", "sales_halt", "output_cut", "export_ban", "import_ban", "acquisition"})
_CALLED_OFF = re.compile(
    _TO_OWN_PREDICATE + r"(?:(?:has|have|had)\s+been|was|were)\s+"
    r"(?:called\s+off|cancell?ed|averted|scrapped|abandoned|withdrawn)\b",
    re.I,
)


# A trade measure whose own predicate ends it: "Russia's ban on grain exports
# may be lifted", "an informal ban on buying was lifted earlier in the year".
_MEASURES = frozenset({"export_ban", "import_ban", "supply_restriction", "sanctions"})
_LIFTED_AFTER = re.compile(
    _TO_OWN_PREDICATE + r"(?:(?:(?:has|have|had)\s+been|was|were|is|are|be|being)\s+"
    r"(?:(?:partly|partially|fully|formally|finally|officially|quietly)\s+)?(?:lifted|removed|eased|rescinded|revoked|relaxed|repealed|overturned)"
    r"|(?:ended|ends|expired|expires|lapsed|lapses))\b",
    re.I,
)


def _lifted_after(text: str, rule_action: str, start: int, end: int) -> bool:
    if rule_action not in _MEASURES:
        return False
    rest = text[start:end]
    if not any(word in rest for word in ("lift", "remov", "eased", "rescind", "revok", "relax", "repeal", "overturn", "end", "expir", "laps")):
        return False
    return bool(_LIFTED_AFTER.match(text, start, end))


def _cancelled(text: str, start: int, end: int) -> bool:
    rest = text[start:end]
    # (Substring tests first: almost no sentence has any of these words.)
    if not ("off" in rest or "cancel" in rest or "avert" in rest or "scrap" in rest or "abandon" in rest or "withdrawn" in rest):
        return False
    return bool(_CALLED_OFF.match(text, start, end))


def _event(article: Article, sentence: tuple[int, int], trigger: Trigger, actor: Actor, segment: tuple[int, int], figures: Figures) -> Event:
    text = article.text
    rule = trigger.rule
    window_start, window = cue_window(article, sentence, trigger, actor)
    negated = is_negated(article, sentence, window_start, window, trigger)
    mode = modality(article, window_start, window, trigger, rule)
    if not negated and rule.action in _CANCELLABLE and _cancelled(text, trigger.end, sentence[1]):
        negated, mode = True, "planned"  # "a planned strike ... was called off": it will not happen
    elif not negated and _abandoned(text, sentence, trigger):
        negated = True  # "scrapped its target to cut output", "withdrew its bid for Terra"
    elif not negated and rule.action == "output_increase" and _PUT_OFF.search(text, max(sentence[0], trigger.start - 60), trigger.start):
        negated, mode = True, "planned"
    action = rule.action
    lifted = _LIFTED_BEFORE.search(text, max(sentence[0], trigger.start - 60), trigger.start) or _lifted_after(text, rule.action, trigger.end, sentence[1])
    if rule.denies:
        negated = True
    elif rule.negates or lifted:
        # Lifting a measure (the convention, enrich/gold/CONVENTION.md): its resume code where it has
        # one ("lifted force majeure" -> sales_resume), else the code negated.
        resumed = _RESUME_CODE.get(action)
        if resumed:
            action = resumed
        else:
            negated = not negated
    when = None
    if figures.times:  # the future-context scan is only worth it when there is a time to resolve
        future = True if mode == "planned" else ("nearest" if _future_context(article, segment) else False)
        when = _when(article, trigger, figures, future=future)
    change, percent = _change(text, trigger, segment, rule.action, figures.percents)
    amount = _nearest(figures.amounts, trigger) or percent
    confidence = round(rule.confidence * _HOW_CONFIDENCE.get(actor.how, 0.8), 2)
    # Every field is computed here (enrich.trusted: no validation pass).
    return trusted(
        Event,
        {
            "actor": actor.name,
            "action": action,
            "object": _object(article, sentence, trigger, actor, segment),
            "when": when,
            "amount": amount,
            "change_pct": change,
            "negated": negated,
            "modality": mode,
            "sentence": text[sentence[0] : sentence[1]],
            "start": sentence[0],
            "end": sentence[1],
            "confidence": confidence,
        },
    )


_LIFTED_BEFORE = re.compile(LIFTED + "$", re.I)

# Giving up a plan, target or bid: what it was for will not happen.
_GIVE_UP = (
    r"\b(?:scrap(?:s|ped|ping)?|drop(?:s|ped|ping)?|abandon(?:s|ed|ing)?|shelv(?:e|es|ed|ing)|withdr(?:ew|aw|awn|aws|awing)"
    r"|ditch(?:es|ed|ing)?|jettison(?:s|ed|ing)?|walk(?:s|ed|ing)?\s+away\s+from|back(?:s|ed|ing)?\s+away\s+from"
    r"|pull(?:s|ed|ing)?\s+out\s+of|g[ai]ve\s+up|giving\s+up|ended|terminat(?:e|es|ed|ing))\s+"
    r"(?:(?:its|their|his|her|the|a|an|this|that)\s+)?(?:[\w$.,%-]+\s+){0,4}?"
)
_ABANDONED_PLAN = re.compile(
    _GIVE_UP + r"(?:plans?|targets?|goals?|ambitions?|attempts?|efforts?|proposals?|pledges?|promises?|bids?|offers?|talks|deal)"
    r"\s+(?:to|for|of|on)\s+(?:[\w'’-]+\s+){0,3}$",
    re.I,
)
# "withdrew its year-long bid", "dropped its offer": the trigger is the bid itself.
_ABANDONED_BID = re.compile(_GIVE_UP + r"$", re.I)
# "the attempt to take over Potash Corp ultimately failed", "the bid lapsed".
_FAILED_AFTER = re.compile(
    r"\s*(?:(?!(?:but|while|after|as|because)\b)[\w'’.$-]+\s+){0,10}?(?:(?:ultimately|eventually|later|finally)\s+)?(?:failed|collapsed|lapsed|fell\s+through|fell\s+apart)\b",
    re.I,
)
_BID_WORDS = frozenset({"bid", "bids", "offer", "offers", "takeover", "takeovers", "attempt", "approach", "proposal"})


def _abandoned(text: str, sentence: tuple[int, int], trigger: Trigger) -> bool:
    """A plan, target or bid given up before the trigger, or a bid that failed after it."""
    head = max(sentence[0], trigger.start - 90)
    words = text[trigger.start : trigger.end].lower().split()
    if _ABANDONED_PLAN.search(text, head, trigger.start):
        return True
    if trigger.rule.action == "acquisition" and words and words[0] in _BID_WORDS and _ABANDONED_BID.search(text, head, trigger.start):
        return True
    return trigger.rule.action == "acquisition" and _FAILED_AFTER.match(text, trigger.end, sentence[1]) is not None
_RESUME_CODE = {"force_majeure": "sales_resume", "sales_halt": "sales_resume"}


def _nearest(items: list, trigger: Trigger):
    """Prefer what follows the trigger in its segment, else what precedes it."""
    after = [item for item in items if item[0] >= trigger.start]
    if after:
        return after[0][2]
    return items[-1][2] if items else None


# Words that put a bare month ahead of the publication date rather than behind it.
_FUTURE_CONTEXT = re.compile(
    r"\b(?:will|shall|from|starting|beginning|effective|until|take\s+effect|takes\s+effect|come\s+into\s+force|due|next|upcoming)\b|['’]ll\b",
    re.I,
)


def _future_context(article: Article, segment: tuple[int, int]) -> bool:
    # The regex cannot skip ahead (it opens with \b and a list of words): try
    # it only where the phrase matcher saw one of its words.
    return article.has_cue("future", segment[0], segment[1]) and bool(_FUTURE_CONTEXT.search(article.text, segment[0], segment[1]))


def _when(article: Article, trigger: Trigger, figures: Figures, future: bool | str) -> TimeRef | None:
    """The nearest time of the segment, resolved; plans look forward ("in March")."""
    spans = figures.times
    if not spans:
        return None
    after = [i for i, span in enumerate(spans) if span[0] >= trigger.start]
    index = after[0] if after else len(spans) - 1
    key = (index, future)
    if figures.resolved is None:
        figures.resolved = {}
    if key not in figures.resolved:  # list members share one time: resolve it once
        figures.resolved[key] = resolve_span(spans, index, article.published, prefer_future=future)
    return figures.resolved[key]


def _change(text: str, trigger: Trigger, segment: tuple[int, int], action: str, found: list) -> tuple[float | None, Amount | None]:
    """The percentage change (signed by the action: "fallen nearly 30%" is -30)
    and the same figure as an Amount in "%" (which keeps "nearly": approximate)."""
    if action in _NO_CHANGE or not found:
        return None, None
    after = [item for item in found if item[0] >= trigger.start]
    start, _, percent = after[0] if after else found[-1]
    as_amount = Amount(value=percent.value, unit="%", approximate=percent.approximate, text=percent.text)
    if action in _DOWN:
        return -percent.value, as_amount
    if action in _UP:
        return percent.value, as_amount
    near = text[max(segment[0], start - 25) : start]
    return (-percent.value if _DOWN_WORDS.search(near) else percent.value), as_amount


def _object(article: Article, sentence: tuple[int, int], trigger: Trigger, actor: Actor, segment: tuple[int, int]) -> str | None:
    action = trigger.rule.action
    if action in ("price_fall", "price_rise"):
        return actor.name
    if action in ("acquisition", "sanctions"):
        return _target(article, sentence, trigger, actor)
    after = [m for m in article.mentions_between(trigger.start, segment[1]) if m.kind == "commodity"]
    if after:
        return after[0].name
    before = [m for m in article.mentions_between(sentence[0], trigger.start) if m.kind == "commodity"]
    if before:
        return before[-1].name
    produced = [c for c in article.producer_commodities.get(actor.name, ()) if c in article.commodities]
    if len(produced) == 1:
        return produced[0]
    if article.main_commodity and (actor.kind == "country" or article.main_commodity in produced):
        return article.main_commodity
    return None


_CAPITALISED_NAME = re.compile(r"(?:the\s+)?((?:[A-Z][\w&'’.-]*)(?:\s+(?:[A-Z][\w&'’.-]*|&|de|of))*)")


def _target(article: Article, sentence: tuple[int, int], trigger: Trigger, actor: Actor) -> str | None:
    """The company bought or the party sanctioned: the first name after the trigger."""
    text = article.text
    kinds = ("producer",) if trigger.rule.action == "acquisition" else ("country", "producer")
    for mention in article.mentions_between(trigger.start, sentence[1]):
        if mention.kind in kinds and mention.name != actor.name:
            return mention.name
        if mention.kind == "country_adj" and trigger.rule.action == "sanctions" and mention.start > trigger.end - 1:
            return mention.name
    if trigger.rule.action == "acquisition":
        match = _CAPITALISED_NAME.match(text, trigger.end, sentence[1])
        if match and match.group(1) != actor.name:
            return match.group(1).rstrip(".,")
        before = [m for m in article.mentions_between(sentence[0], trigger.start) if m.kind == "producer" and m.name != actor.name]
        if before and PASSIVE.search(text, before[-1].end, trigger.end):
            return before[-1].name
    return None
