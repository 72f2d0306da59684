"""Who did it: the actor of a trigger.

In this order: a "by X" agent right after the trigger ("sales were halted by
Alrosa", "the acquisition of Foo by Bar"); an actor inside the trigger
("workers at Codelco went on strike"); an owner or modifier right before a
noun trigger ("Alrosa's halt of sales", "U.S. sanctions"); else the nearest
subject to the left in the same clause, skipping prepositional objects
("owned by Russia"), objects of verbs ("follow Indonesia in banning"),
modifiers ("Tanzania's largest producer") and names inside descriptors, and
widening to coordinated lists ("Alrosa and De Beers both sold"). Pronouns and
descriptors ("it", "the company", "the kingdom") resolve to the last producer
or country. Price moves belong to a commodity.
"""

from __future__ import annotations

import re

from enrich.article import Actor, Article, Mention, Trigger
from enrich.producers import without_legal_suffix
from enrich.syntax import CLAUSE_BREAK, PASSIVE

# Who may be the actor of each action (README, "Actions").
_ACTOR_KINDS = {
    "price_fall": ("commodity",),
    "price_rise": ("commodity",),
    "import_ban": ("country",),
    "sanctions": ("country",),
    "export_ban": ("country", "producer"),
    "output_cut": ("producer", "country"),
    "output_increase": ("producer", "country"),
    "supply_restriction": ("producer", "country"),
    # Producing states sell through their boards and halt forward sales themselves.
    "sales_halt": ("producer", "country"),
    "sales_resume": ("producer", "country"),
    "price_cut": ("producer", "country"),
    "price_increase": ("producer", "country"),
    # A country or its board sells and defers (the convention, enrich/gold/CONVENTION.md: "Ruritania sold 150,000 t of sugar").
    "sales": ("producer", "country"),
    "purchase_deferral": ("producer", "country"),
}
_DEFAULT_KINDS = ("producer",)
# With no subject on the left, the actor may follow: "deferrals from De Beers",
# "No force majeure at Glencore zinc smelter" (a headline).
_AFTER_FALLBACK = {
    "purchase_deferral": ("from", "with", "by"), "force_majeure": ("at", "on", "by", "from", "for"),
    "import_ban": ("from", "by"), "export_ban": ("from", "by"), "sanctions": ("from", "by"),
}  # fmt: skip
# A subordinate clause with a subject of its own ("... as a heatwave curtailed
# production") does not take the main clause's subject.
# "BHP and Fortescue suspended loading but had not declared force majeure": a
# verb phrase with no subject of its own after "but" shares the earlier subject.
_SUBJECTLESS = re.compile(r"\s*(?:also\s+|then\s+|still\s+)?(?:has|had|have|did|does|do|will|would|could|can|may|might|is|was|were|are|not|never|said|\w+ed)\b", re.I)
_PREPOSITION = re.compile(
    r"\b(?:of|in|on|from|to|for|with|into|against|by|at|over|like|unlike|than|about|between|among|amid|across|within"
    r"|toward|towards|via|per|under|through|versus|vs\.?|including|inside|outside|near|around|behind|after|before)\s+"
    # (Not across a conjunction: "exported 10 mt of rice while Vietnam shipped" has a subject of its own.)
    r"(?:the\s+|a\s+|an\s+|its\s+|their\s+|his\s+|her\s+)?(?:(?!(?:while|whereas|although|though|because|but|when|as|since)\s)[a-z][\w'’-]*\s+){0,2}$"
)
_PREPOSITION_WORDS = frozenset(
    "of in on from to for with into against by at over like unlike than about between among amid across within toward towards "
    "via per under through versus vs vs. including inside outside near around behind after before".split()
)
# "a similar increase by Aurubis, Europe's largest smelter, which lifted ...":
# the head of a relative clause is its subject, prepositional or not.
_RELATIVE_HEAD = re.compile(r",?\s+(?:[^,]{1,60},\s+)?(?:which|who)\s", re.I)
_LIST_GAP = re.compile(r"^\s*(?:,|and|&|,\s*and|as\s+well\s+as|along\s+with|together\s+with|plus|,\s*as\s+well\s+as)\s*(?:both\s+|the\s+)?$", re.I)
_OWNER_GAP = re.compile(r"^(?:['’]s?)?\s+(?:[\w$.,%-]+\s+){0,3}$")
# "by Canada's Alcan", "by rival Vale": a possessive place or a rival's word before the agent.
_BY_AGENT = re.compile(
    r"(?:\s+(?:[\w'’.%$-]+\s+){0,4}?|(?:^|\s+))by\s+(?:the\s+)?(?:(?-i:[A-Z])[\w.-]*(?:\s+(?-i:[A-Z])[\w.-]*)?['’]s\s+|(?:rival|fellow)\s+)?$"
)
_GOVERNMENT = re.compile(
    r"[\s-]*(?:[a-z][\w-]*\s+)?(?:government|authorities|officials|regulators?|ministry|ministers?|administration|customs|lawmakers|parliament|cabinet|state|president|treasury|commerce\s+department)(?![\w-])",
    re.I,
)
_ANAPHOR = re.compile(
    r"\b(?P<it>it|its)\b(?!\s+(?:is|was|'s|’s)\s+(?:expected|likely|possible|unclear|clear|not\s+clear|time|hard|difficult|important|thought|believed|said|reported))"
    r"|\b(?P<co>the\s+(?:[\w'’-]+\s+){0,4}?(?:company|firm|group|miner|producer|giant|major|cartel|conglomerate|corporation|operator|supplier|seller|driller|refiner|monopoly|business)|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|some|other|its|the\s+group['’]s)\s+members)\b(?!['’]s\s+(?:shares|stock))"
    r"|\b(?P<gov>the\s+(?:[\w-]+\s+){0,2}?(?:country|government|nation|kingdom|administration|authorities|bloc)|authorities|officials)\b",
    re.I,
)
_NOT_COMMODITY_PRICE = re.compile(r"\b(?:share|stock|house|home|housing|property|consumer|equity|bond|asset|ticket|rental|land|retail|electricity|power)\s*$", re.I)
_CONJUNCTION = re.compile(r"and|&|with|plus|as\s+well", re.I)
_POSSESSIVE = re.compile(r"['’]s?\s")
_MODIFIER_GAP = re.compile(r"[\s'’s-]*(?:[\w-]+\s+){0,2}")


def find_actors(article: Article, sentence: tuple[int, int], trigger: Trigger) -> list[Actor]:
    rule = trigger.rule
    kinds = _ACTOR_KINDS.get(rule.action, _DEFAULT_KINDS)
    if kinds == ("commodity",):
        return _commodity_actor(article, sentence, trigger)
    if rule.actor_after:
        after = [m for m in article.mentions_between(trigger.end, min(sentence[1], trigger.end + 40)) if m.kind in kinds or (m.kind == "country_adj" and "country" in kinds)]
        if not after:
            return []
        first = Actor(after[0].name, "country" if after[0].kind == "country_adj" else after[0].kind, after[0].start, "by")
        return _with_coordinated(article, sentence, first, kinds)
    agent = _by_agent(article, sentence, trigger, kinds)
    if agent or rule.agent_only:
        return _with_coordinated(article, sentence, agent, kinds) if agent else []
    inside = _inside_possessive(article, trigger, kinds)
    if inside:
        return [inside]
    if rule.actor_inside:
        inside = [m for m in article.mentions_between(trigger.start, trigger.end) if m.kind in kinds]
        pronoun = _ITS.search(article.text, trigger.start, inside[0].start if inside else trigger.end)
        if pronoun:  # "production at its Homase mine in Ghana": the owner, not the place
            owner = _actor_for(article, Mention(pronoun.start(), pronoun.end(), "anaphor_any", pronoun.group(0)), "anaphor", kinds)
            if owner:
                return [owner]
        if inside:
            return [Actor(inside[0].name, inside[0].kind, inside[0].start, "inside")]
        after = _after_preposition(article, sentence, trigger, kinds, ("at", "hit", "hits", "affecting", "halted", "disrupted"))
        if after:
            return [after]
    if rule.strict_subject:
        owner = _owner(article, sentence, trigger, kinds)
        if owner:
            return [owner]
        return [a for a in _left_subjects(article, sentence, trigger, kinds) if _REPORTS.search(article.text, a.start, trigger.start)]
    if rule.strict:
        owner = _owner(article, sentence, trigger, kinds)
        if owner and owner.kind == "country" and rule.action == "sales" and not _commodity_between(article, owner.start, trigger.start):
            return []  # "U.S. engagement-ring sales" are a market, not a country selling
        if owner and rule.action == "sanctions" and _sanctions_target(article, owner):
            return []  # "Iran sanctions" are sanctions on Iran
        if owner and _JOINS.search(article.text, max(sentence[0], owner.start - 30), owner.start):
            # "Japan joined the G7 price cap": the joiner acts, not the owner.
            return _left_subjects(article, sentence, trigger, kinds)
        return [owner] if owner else []
    relative = _RELATIVE_BEFORE.search(article.text, max(sentence[0], trigger.start - 40), trigger.start)
    if relative is not None:
        # "new sanctions on Russia that could curb supplies": the clause's subject
        # is its head noun, so only a name right before "that"/"which" can act.
        head = [m for m in _candidates(article, sentence, trigger, kinds) if m.end <= relative.start()]
        if head and _HEAD_GAP.fullmatch(article.text, head[-1].end, relative.start()):
            actor = _actor_for(article, head[-1], "subject", kinds)
            return [actor] if actor else []
        return []
    if _NOUN_TRIGGER.match(article.text, trigger.start):
        # "prices rose on OPEC+ output cuts": a noun's owner acts, even as the object of a preposition.
        owner = _owner(article, sentence, trigger, kinds)
        named = article.mentions_between(owner.start, trigger.start) if owner else []
        if named and _ADJACENT_OWNER.fullmatch(article.text, named[-1].end, trigger.start) and _PREPOSITION_BEFORE.search(article.text, max(sentence[0], owner.start - 20), owner.start):
            return [owner]
    subjects = _left_subjects(article, sentence, trigger, kinds)
    if subjects:
        return subjects
    if rule.action in _AFTER_FALLBACK:
        after = _after_preposition(article, sentence, trigger, kinds, _AFTER_FALLBACK[rule.action])
        if after:
            return [after]
    speaker = _quote_speaker(article, sentence, trigger, kinds)
    if speaker:
        return [speaker]
    bare = _bare_subject(article, sentence, trigger) if "producer" in kinds else None
    return [bare] if bare else []


# "CATL resumes lithium mining", "Marrowstone Smelting will stop smelting": a
# capitalised name as the verb's subject, at the start of its clause, with only
# auxiliaries between. The catalogue cannot know every producer.
_BARE_SUBJECT = re.compile(
    # A sentence start is "^" only for the text's first sentence (``search``
    # from a position does not match "^" there): the lookbehinds find the others.
    r"(?:^|(?<=[.!?]\s)|(?<=[.!?][\"”’]\s)|(?<=\n)|[,;:]\s+|\b(?:and|but|while|as)\s+)(?P<name>(?-i:[A-Z])[\w&'’.+-]*(?:\s+(?:(?-i:[A-Z0-9])[\w&'’.+-]*|&|de|of)){0,4})\s*"
    r"(?:\([^()]{1,40}\)\s*)?"
    r"(?:(?:has|have|had|will|would|is|are|was|were|also|then|now|(?-i:[a-z]+ly)|last\s+(?:week|month|year)|on\s+\w+day|plans\s+to|expects\s+to|agreed\s+to|aims\s+to|wants\s+to|is\s+to|to|said\s+(?:on\s+\w+\s+)?(?:that\s+)?it\s+(?:will|would|has|had|is|was)?|says\s+it\s+(?:will|would|has|is)?)\s+){0,4}$"
)
_PRODUCING_WORDS = re.compile(r"\b(?:smelt\w*|mining|mines?|mined|output|production|refiner(?:y|ies)|drill\w*|oilfields?|wells?|harvest\w*)\b", re.I)
_NOT_A_PRODUCER_NAME = re.compile(
    r"^(?:The|A|An|It|This|That|These|Those|They|We|He|She|Analysts?|Traders?|Officials?|Sources?|Reuters|Bloomberg|Market|Markets|Prices?|Shares|Stocks|Report|Data|Chatter|Update|Exclusive"
    r"|Mr|Mrs|Ms|Dr|President|Minister|Chief|CEO|Chairman|Government|Ministry|Court|Police|Company|Group|Workers|Miners|Unions?|Central|Federal|Story)\b"
)


def _bare_subject(article: Article, sentence: tuple[int, int], trigger: Trigger) -> Actor | None:
    text = article.text
    start = max(sentence[0], trigger.start - 90)
    match = _BARE_SUBJECT.search(text, start, trigger.start)
    if match is None:
        return None
    raw = re.sub(r"['’]s?$", "", match.group("name").rstrip(".,"))  # "Rio's acquisition": the owner
    name = without_legal_suffix(raw)
    if match.start() == match.start("name") > 0 and name == raw:
        return None  # a capitalised word opening a sentence ("Any", "Rains") is no name unless a suffix says so
    if _NOT_A_PRODUCER_NAME.match(name) or article.mentions_between(match.start("name"), match.end("name")):
        return None  # a known name would have been found already: this is a person, a place or a title
    if not (any(m.kind == "commodity" for m in article.mentions_between(*sentence)) or _PRODUCING_WORDS.search(text, *sentence)):
        return None  # "Airbus sold more planes": makers of finished goods are no producers
    if " " not in name and (len(name) < 3 or (len(article.sentences) > 1 and not _named_again(text, name, match.start("name")))):
        return None  # "Protest halts Chevron plant": a headline's first word, never again a name
    if _STORM_NAME.search(text) and re.search(r"\b(?:Hurricane|Storm|Typhoon|Cyclone)\s+" + re.escape(name) + r"\b", text):
        return None  # "Humberto shuts 3 refineries"
    return Actor(name, "producer", match.start("name"), "subject")


_STORM_NAME = re.compile(r"\b(?:Hurricane|Storm|Typhoon|Cyclone)\s+(?-i:[A-Z])")


def _named_again(text: str, name: str, start: int) -> bool:
    """Whether a one-word name also stands capitalised inside a sentence
    ("which Humberto raked", "shares in Kestrel"), not only where any word is."""
    return any(other.start() != start for other in re.finditer(r"(?<=[a-z,;:(]\s)" + re.escape(name) + r"\b", text))


_QUOTE_WE = re.compile(r"[\"“](?:[^\"”]*?\s)?(?:we|our|we['’]ll|we['’]re)\s", re.I)
_SPEAKER_GAP = re.compile(r"[\s,]*(?:(?:said|says|told|added)\s+)?(?:the\s+|a\s+|an\s+)?$", re.I)


def _quote_speaker(article: Article, sentence: tuple[int, int], trigger: Trigger, kinds: tuple[str, ...]) -> Actor | None:
    """'"We will not cut production," Antofagasta's chief executive said': the
    first person inside a quote is the company named right after it."""
    text = article.text
    if '"' not in text[sentence[0] : trigger.start] and "“" not in text[sentence[0] : trigger.start]:
        return None
    if not _QUOTE_WE.search(text, sentence[0], trigger.start):
        return None
    close = min((at for at in (text.find('"', trigger.end, sentence[1]), text.find("”", trigger.end, sentence[1])) if at >= 0), default=-1)
    if close < 0:
        return None
    for mention in article.mentions_between(close + 1, min(sentence[1], close + 50)):
        if mention.kind in kinds and _SPEAKER_GAP.match(text, close + 1, mention.start):
            return Actor(mention.name, mention.kind, mention.start, "by")
        break
    return None


# "Kestrel said nickel output rose": the speaker owns the statistic it reports.
_REPORTS = re.compile(r"\b(?:said|says|reported|reports|announced|announces|posted|posts|showed|shows|revealed|reveals|disclosed|discloses)\b", re.I)
# "Chilean copper output", "Russian crude exports": a country adjective owns a
# statistic across a few lower-case modifiers.
_MODIFIERS_ONLY = re.compile(r"(?:\s+[a-z][\w-]*){0,3}\s+")


def _commodity_between(article: Article, start: int, end: int) -> bool:
    return any(m.kind == "commodity" for m in article.mentions_between(start, end))


# "on OPEC+ output cuts", "after Saudi Arabia's export halt": a noun trigger,
# its owner right before it, and a preposition before the owner.
_NOUN_TRIGGER = re.compile(r"(?:output|production|supply|exports?)\s+(?:cuts?|curbs?|reductions?|cutbacks?|increases?|hikes?|halt|suspension|restrictions?|bans?)\b", re.I)
_ADJACENT_OWNER = re.compile(r"(?:['’]s?)?\s+")
_PREPOSITION_BEFORE = re.compile(r"\b(?:on|from|after|by|amid|despite|following|with|of|to|since|before)\s+(?:the\s+)?$", re.I)


# Who imposes sanctions when named as a bare noun before them ("European Union
# sanctions"); any other country so named is their target ("Iran sanctions").
# An adjective always names the imposer ("U.S. sanctions", "Western sanctions").
_SANCTIONING_NOUNS = frozenset({"European Union", "United States", "United Nations", "G7", "United Kingdom"})


def _sanctions_target(article: Article, owner: Actor) -> bool:
    """Whether the owner of a bare "sanctions" is their target ("Iran sanctions", "sanctions on Iran")."""
    text = article.text
    named = article.mentions_between(owner.start, owner.start + 60)
    if named and named[0].kind == "country" and owner.name not in _SANCTIONING_NOUNS:
        return True
    surface = re.match(r"[\w.'’-]+", text[owner.start :])
    names = {re.escape(owner.name)} | ({re.escape(surface.group(0))} if surface else set())
    target = re.compile(r"\b(?:sanctions|embargo|measures)\s+(?:[\w-]+\s+){0,3}?(?:on|against)\s+(?:the\s+)?(?:" + "|".join(names) + r")\b", re.I)
    return target.search(text) is not None


def _NOUN_TRIGGER_OWNERS(trigger: Trigger) -> bool:
    return trigger.rule.strict or trigger.rule.strict_subject


_RELATIVE_BEFORE = re.compile(r"\b(?:that|which)\s+(?:(?:could|would|will|may|might|can|has|have|had|is|are|was|were|also|further|not|then)\s+){0,2}$", re.I)
# Between a relative clause's head and "which": nothing, or an apposition
# ("Aurubis, Europe's largest copper smelter, which lifted ...").
_HEAD_GAP = re.compile(r"(?:,\s+[^,;]{1,60})?[\s,]*")
_ITS = re.compile(r"\b(?:its|their)\b", re.I)
_DECISION_BY = re.compile(r"\b(?:decision|move|plan|proposal|order|ruling|announcement|measure|vote)\s+by\s+(?:the\s+)?$", re.I)
_JOINS = re.compile(r"\b(?:join(?:s|ed|ing)?|adopt(?:s|ed|ing)?|back(?:s|ed|ing)?|implement(?:s|ed|ing)?|signed\s+up\s+to)\s+(?:the\s+)?$", re.I)


def _by_agent(article: Article, sentence: tuple[int, int], trigger: Trigger, kinds: tuple[str, ...]) -> Actor | None:
    """"sales were halted by Alrosa", "the acquisition of Foo by Bar"."""
    text = article.text
    window_end = min(sentence[1], trigger.end + 60)
    for mention in article.mentions_between(trigger.end, window_end):
        if mention.kind not in kinds:
            continue
        gap = text[trigger.end : mention.start]
        if "," in gap or ";" in gap:
            return None
        # (Cheap tests first: most gaps hold no "by" at all.)
        if "by" in gap and _BY_AGENT.search(gap) and (len(gap.split()) <= 4 or PASSIVE.search(text, trigger.start, trigger.end)):
            return Actor(mention.name, mention.kind, mention.start, "by")
    return None


def _with_coordinated(article: Article, sentence: tuple[int, int], first: Actor, kinds: tuple[str, ...]) -> list[Actor]:
    """"by the United States and the European Union": every agent of the list."""
    actors = [first]
    end = first.start
    for mention in article.mentions_between(first.start, sentence[1]):
        if mention.start == first.start:
            end = mention.end
            continue
        if mention.kind not in kinds or not _LIST_GAP.match(article.text[end : mention.start]):
            break
        actors.append(Actor(mention.name, mention.kind, mention.start, first.how))
        end = mention.end
    return actors


# "the suspension of Argentina's corn export registrations": the possessor
# inside a noun trigger owns it.
_POSSESSOR = re.compile(r"['’]s?\s")


def _inside_possessive(article: Article, trigger: Trigger, kinds: tuple[str, ...]) -> Actor | None:
    for mention in article.mentions_between(trigger.start, trigger.end):
        kind = "country" if mention.kind == "country_adj" else mention.kind
        if kind in kinds and mention.kind != "country_adj" and _POSSESSOR.match(article.text, mention.end):
            return Actor(mention.name, kind, mention.start, "owner")
    return None


def _after_preposition(article: Article, sentence: tuple[int, int], trigger: Trigger, kinds: tuple[str, ...], preps: tuple[str, ...]) -> Actor | None:
    text = article.text
    for mention in article.mentions_between(trigger.end, sentence[1]):
        if mention.kind not in kinds:
            continue
        gap = text[trigger.end : mention.start].lower().split()
        if gap and len(gap) <= 5 and any(p in gap for p in preps) and not any(w in (",", ";") for w in gap):
            return Actor(mention.name, mention.kind, mention.start, "by")
        return None
    return None


def _owner(article: Article, sentence: tuple[int, int], trigger: Trigger, kinds: tuple[str, ...]) -> Actor | None:
    """The owner or modifier right before a noun trigger: "Alrosa's sales", "U.S. sanctions"."""
    text = article.text
    candidates = _candidates(article, sentence, trigger, kinds)
    for mention in reversed(candidates):
        gap = text[mention.end : trigger.start]
        if _OWNER_GAP.match(gap) or not gap.strip():
            return _actor_for(article, mention, "owner", kinds)
        return None
    return None


def _left_subjects(article: Article, sentence: tuple[int, int], trigger: Trigger, kinds: tuple[str, ...]) -> list[Actor]:
    text = article.text
    candidates = _candidates(article, sentence, trigger, kinds)
    if not candidates:
        return []
    breaks = _clause_breaks(article, candidates[0].end, trigger.start)
    allowed_preps = ("at",) if trigger.rule.actor_inside else ()
    asides = _appositions(text, candidates, trigger.start)
    for index in range(len(candidates) - 1, -1, -1):
        mention = candidates[index]
        if asides and any(lo <= mention.start < hi for lo, hi in asides):
            continue  # "Chevron, the only U.S. major still operating there, resumed": not the U.S.
        gap = text[mention.end : trigger.start]
        crossed = [b for b in breaks if b.start() >= mention.end]
        if crossed and not _resumes_subject(text, crossed[-1], trigger.start):
            return []
        if _is_prepositional(text, sentence[0], mention, allowed_preps, gap) and not _RELATIVE_HEAD.match(gap):
            continue
        if _is_possessive_modifier(text, mention, trigger):
            continue
        if mention.name.lower() == "its" and not _OWNER_GAP.match(" " + gap):
            continue
        actor = _actor_for(article, mention, "subject", kinds)
        if actor is None:
            continue
        return [*_coordinated(article, sentence, candidates, index, actor), actor]
    return []


# An apposition or non-restrictive clause right after a name, closed by a
# comma: ", the top grower,", ", one of the largest miners,", ", which owns X,",
# ", Russia's state-run miner,".
_APPOSITION = re.compile(
    r",\s+(?:the|a|an|one\s+of|its|their|part\s+of|which|who|whose|owned|controlled|based|(?:[A-Z][\w.&-]*\s+){0,3}[A-Z][\w.&-]*['’]s?)\s[^,;()]*,"
)


def _appositions(text: str, candidates: list[Mention], end: int) -> list[tuple[int, int]]:
    """The spans of appositions that follow a candidate and close before ``end``."""
    spans = [span for span in _dash_asides(text, candidates[0].end, end) if any(m.end == span[0] for m in candidates)]
    if text.count(",", candidates[0].end, end) < 2:
        return spans
    for mention in candidates:
        if not text.startswith(",", mention.end):
            continue
        close = text.rfind(",", mention.end + 1, end) if _RELATIVE_OPEN.match(text, mention.end, end) else -1
        if close > mention.end and _SUBJECTLESS.match(text, close + 1, end):
            # "Canpotex, which handles exports for Potash Corp, Agrium and
            # Mosaic, signed a deal": a relative clause with commas of its own
            # runs to the last comma before the verb.
            spans.append((mention.end, close + 1))
            continue
        match = _APPOSITION.match(text, mention.end, end)
        if match:
            spans.append((mention.end, match.end()))
    return spans


_RELATIVE_OPEN = re.compile(r",\s+(?:which|who)\s")


# "Vale — the world's second-largest iron ore miner — halted": a closed pair of
# dashes is an aside, not a clause break.
# Wire copy types the dash as two hyphens ("Canpotex -- the marketing arm of
# Potash Corp, Agrium and Mosaic -- agreed to supply").
_DASH_ASIDE = re.compile(r"\s(?:[—–]|--)\s(?:(?!--)[^—–;]){1,120}?\s(?:[—–]|--)\s")


def _dash_asides(text: str, start: int, end: int) -> list[tuple[int, int]]:
    if text.find("—", start, end) < 0 and text.find("–", start, end) < 0 and text.find("--", start, end) < 0:
        return []
    return [(m.start(), m.end()) for m in _DASH_ASIDE.finditer(text, start, end)]


def _clause_breaks(article: Article, start: int, end: int) -> list[re.Match]:
    """Clause boundaries in text[start:end]: the regex is tried only where the
    phrase matcher saw a conjunction, a semicolon or a dash."""
    text = article.text
    found = []
    for position in article.cue_positions("break", start, end):
        match = CLAUSE_BREAK.match(text, position, end)
        if match:
            found.append(match)
    asides = _dash_asides(text, start, end)
    for mark in (";", " — ", " – "):
        at = text.find(mark, start, end)
        while at >= 0:
            if not any(lo <= at < hi for lo, hi in asides):
                match = CLAUSE_BREAK.match(text, at, end)
                if match:
                    found.append(match)
            at = text.find(mark, at + 1, end)
    found.sort(key=lambda m: m.start())
    return found


_HEADLINE_TO = re.compile(r"\s*to\s+")


def _resumes_subject(text: str, brk: re.Match, end: int) -> bool:
    """After the break, does the verb still share the earlier subject? "but had
    not declared", or a fronted clause closed by a comma ("..., after talks
    with unions, agreed to cut")."""
    if brk.group(0).lower() == "but" and _SUBJECTLESS.match(text, brk.end(), end):
        return True
    if brk.group(0) == ";" and _HEADLINE_TO.fullmatch(text, brk.end(), end):
        return True  # "Coal miner Alpha posts loss; to cut output": a headline's second verb
    if brk.group(0).lower() == "but" and not text[brk.end() : end].strip() and _SUBJECTLESS.match(text, brk.end()):
        return True  # "cut the price for Europe, but raised it for Asia": the trigger is the verb
    comma = text.rfind(",", brk.end(), end)
    return comma >= 0 and bool(_SUBJECTLESS.match(text, comma + 1, end) or not text[comma + 1 : end].strip())


def _coordinated(article: Article, sentence: tuple[int, int], candidates: list[Mention], index: int, head: Actor) -> list[Actor]:
    """"Alrosa and De Beers both sold": every member of the list before the head."""
    out = []
    current = candidates[index]
    for previous in reversed(candidates[:index]):
        gap = article.text[previous.end : current.start]
        if previous.kind != current.kind or previous.kind.startswith("anaphor") or not _LIST_GAP.match(gap):
            break
        # "X, Y and Z": the conjunction sits before the head; "X, the largest
        # supplier" is apposition, not a list.
        if current is candidates[index] and not _CONJUNCTION.search(gap):
            break
        if previous.name != head.name:
            out.append(Actor(previous.name, previous.kind, previous.start, "list"))
        current = previous
    return list(reversed(out))


def _candidates(article: Article, sentence: tuple[int, int], trigger: Trigger, kinds: tuple[str, ...]) -> list[Mention]:
    """Mentions before the trigger that could be its actor, including anaphors."""
    text = article.text
    out = []
    for mention in article.mentions_between(sentence[0], trigger.start):
        if mention.kind == "country_adj":
            if "country" not in kinds:
                continue
            # "the Indian government", or an adjective right on a noun trigger
            # ("U.S. sanctions", "Chinese export curbs"); "Indian buyers" is not India.
            gap = text[mention.end : trigger.start]
            owns = _NOUN_TRIGGER_OWNERS(trigger) or _NOUN_TRIGGER.match(text, trigger.start)
            if _GOVERNMENT.match(text, mention.end) or not gap.strip() or (owns and _MODIFIERS_ONLY.fullmatch(gap)):
                out.append(Mention(mention.start, mention.end, "country", mention.name))
            continue
        if mention.kind in kinds and not text.startswith("-", mention.end) and not _inside_name(text, mention):
            # "Toronto-listed", "U.S.-based": a modifier, never the subject.
            out.append(mention)
    for anaphor in _anaphors(article, sentence[0], trigger.start):
        if anaphor.group("gov"):
            kind = "country"
        elif anaphor.group("it"):
            kind = "any"  # "it" stands for a company or a country
        else:
            kind = "producer"
        if kind in kinds or kind == "any":
            out.append(Mention(anaphor.start(), anaphor.end(), "anaphor_" + kind, anaphor.group(0)))
    out.sort(key=lambda m: m.start)
    return _drop_nested(out)


def _anaphors(article: Article, start: int, end: int) -> list[re.Match]:
    """Pronouns and descriptors in text[start:end]. The regex runs only in a
    short window before each head word the phrase matcher saw ("it",
    "company", "government", ...), not over the whole stretch."""
    found: list[re.Match] = []
    text = article.text
    for head in article.cue_positions("anaphor", start, end):
        if found and head < found[-1].end():
            continue
        for match in _ANAPHOR.finditer(text, max(start, head - 48), min(end, head + 16)):
            if match.start() <= head < match.end() and (not found or match.start() >= found[-1].end()):
                found.append(match)
                break
    return found


_NAME_STARTERS = frozenset("The A An In On At But And As For From By With Its Their This That Meanwhile However".split())


def _inside_name(text: str, mention: Mention) -> bool:
    """"the Trans Niger Pipeline": a country name inside a longer proper name."""
    if mention.kind != "country":
        return False
    space = text.rfind(" ", max(0, mention.start - 25), mention.start - 1)
    word = text[space + 1 : mention.start].strip()
    if word in ("de", "del", "da", "do", "of") and _NAMED_BEFORE.search(text, max(0, space - 30), space + 1):
        return True  # "Petroleos de Venezuela", "Banco do Brasil"
    return bool(word) and word[0].isupper() and word.isalpha() and word not in _NAME_STARTERS


_NAMED_BEFORE = re.compile(r"(?-i:[A-Z])[\w'’&.-]+\s$")


def _drop_nested(mentions: list[Mention]) -> list[Mention]:
    """A name inside a descriptor of another kind ("the Harare-listed miner")
    is not the subject; a descriptor around a name of its own kind ("the
    European Union") is not an anaphor."""
    anaphors = [m for m in mentions if m.kind.startswith("anaphor")]
    if not anaphors:
        return mentions
    drop = set()
    for anaphor in anaphors:
        inside = [m for m in mentions if not m.kind.startswith("anaphor") and anaphor.start <= m.start and m.end <= anaphor.end]
        for mention in inside:
            if anaphor.kind.endswith(mention.kind):
                drop.add(id(anaphor))
            else:
                drop.add(id(mention))
    return [m for m in mentions if id(m) not in drop]


def _actor_for(article: Article, mention: Mention, how: str, kinds: tuple[str, ...] = ("producer", "country")) -> Actor | None:
    if not mention.kind.startswith("anaphor_"):
        return Actor(mention.name, mention.kind, mention.start, how)
    kind = mention.kind.removeprefix("anaphor_")
    max_sentences = 3 if mention.name.lower() in ("it", "its") else 4
    if mention.name.lower() in ("it", "its"):
        speaker = _speaker(article, mention, kinds)
        if speaker is not None:
            return Actor(speaker.name, speaker.kind, mention.start, "anaphor")
    if kind == "any":
        # "it" is a company more often than a country: a company in reach wins.
        kind = "producer" if "producer" in kinds and article.last_before("producer", mention.start, 2) else "country"
        if kind not in kinds:
            return None
    antecedent = article.last_before(kind, mention.start, max_sentences)
    if antecedent is not None and kind == "country" and "kingdom" in mention.name.lower():
        antecedent = _last_kingdom(article, mention.start, max_sentences) or antecedent
    if antecedent is None and kind == "country":
        # "the kingdom" after "Saudi Aramco": the state behind the last producer.
        producer = article.last_before("producer", mention.start, max_sentences)
        country = article.producer_countries.get(producer.name) if producer else None
        return Actor(country, "country", mention.start, "anaphor") if country else None
    if antecedent is None:
        return None
    if kind == "producer":
        antecedent = _salient(article, mention.start, antecedent, max_sentences)
    return Actor(antecedent.name, antecedent.kind, mention.start, "anaphor")


def _salient(article: Article, position: int, found: Mention, max_sentences: int) -> Mention:
    """"Alpha posted a loss. The company, which acquired rival Massey Energy,
    said it ...": a pronoun stands for the last producer named as a subject,
    not for one named later as an object."""
    if _subject_like(article, found):
        return found
    first = article.sentence_index(position) - max_sentences
    for earlier in reversed(article.mentions_between(0, found.start)):
        if article.sentence_index(earlier.start) < first:
            break
        if earlier.kind == "producer" and _subject_like(article, earlier):
            return earlier
    return found


# Words that put a name after its sentence's verb or inside a clause of its own.
_NOT_SUBJECT_LEAD = re.compile(r"\b(?:which|who|that|whose|(?-i:[a-z]+ed)|buys?|bought|sells?|sold|took|takes)\b", re.I)


def _subject_like(article: Article, mention: Mention) -> bool:
    """The first name of its sentence, with only a few words of descriptor before it ("Coal miner Alpha")."""
    start = article.sentences[article.sentence_index(mention.start)][0]
    if any(m.kind in ("producer", "country") for m in article.mentions_between(start, mention.start)):
        return False
    before = article.text[start : mention.start]
    return len(before.split()) <= 5 and not _PREPOSITION.search(before) and not _OBJECT_OF_VERB.search(before) and not _NOT_SUBJECT_LEAD.search(before)


_KINGDOMS = frozenset(
    "Saudi Arabia|Bahrain|Jordan|Morocco|United Kingdom|Spain|Netherlands|Norway|Sweden|Denmark|Belgium|Thailand|Cambodia|Eswatini|Lesotho|Tonga|Bhutan".split("|")
)


def _last_kingdom(article: Article, position: int, max_sentences: int) -> Mention | None:
    """"the kingdom" after "Saudi Arabia's supply to China": the last country that is one."""
    for mention in reversed(article.mentions_between(0, position)):
        if article.sentence_index(position) - article.sentence_index(mention.start) > max_sentences:
            return None
        if mention.kind == "country" and mention.name in _KINGDOMS:
            return mention
    return None


# "Russia said on Sunday that it would cut": the subject of a reporting verb
# in the same sentence is what "it" stands for, whatever was named before.
_REPORTING_GAP = re.compile(
    # "Nedak Ethanol LLC last week said it would", "Alcoa on Monday said it"
    r"\s+(?:(?:has|had|have|also|then|later|earlier|yesterday|today|(?:last|this)\s+(?:week|month|year)|(?:on|late\s+on|early\s+on)\s+\w+day,?)\s+)*(?:said|says|say|told|tells|announced|announces|confirmed|confirms|added|adds"
    r"|stated|states|warned|warns|signall?ed|signals|indicated|indicates|insisted|insists|denied|denies|expects|expected|hopes|hoped"
    r"|believes|believed|argued|argues|pledged|pledges|vowed|vows|promised|promises|agreed|agrees|decided|decides)"
    r"(?:\s+[\w'’-]+){0,5}?,?\s+(?:that\s+)?$",
    re.IGNORECASE,
)


def _speaker(article: Article, pronoun: Mention, kinds: tuple[str, ...]) -> Mention | None:
    """The named subject of a reporting verb right before "it" in its sentence."""
    sentence_start = article.sentences[article.sentence_index(pronoun.start)][0]
    before = [m for m in article.mentions_between(sentence_start, pronoun.start) if m.kind in ("producer", "country") and m.kind in kinds]
    if before and _REPORTING_GAP.fullmatch(article.text, before[-1].end, pronoun.start):
        return before[-1]
    # "Halcyon Copper, a unit of Glencore, said it": the head of the apposition speaks.
    for mention in reversed(before):
        aside = _APPOSITION.match(article.text, mention.end, pronoun.start)
        if aside and _REPORTING_GAP.fullmatch(article.text, aside.end(), pronoun.start):
            return mention
    # "BHP walked away from Anglo, saying it would not bid": the participle
    # shares the subject of the main clause, the sentence's first name.
    if before and _PARTICIPLE_GAP.search(article.text, max(sentence_start, pronoun.start - 30), pronoun.start):
        if not _PREPOSITION.search(article.text[max(sentence_start, before[0].start - 40) : before[0].start]):
            return before[0]
    return None


_PARTICIPLE_GAP = re.compile(r",\s+(?:saying|adding|noting|arguing|warning|insisting|explaining)\s+(?:that\s+)?$", re.I)


_OWNED_EVENT = re.compile(r"['’]s?\s+(?:[\w-]+\s+)?(?:suspension|halt|ban|embargo|cuts?|closure|shutdown|outage|strike|exit|move|sanctions|decision)\b")


def _is_possessive_modifier(text: str, mention: Mention, trigger: Trigger) -> bool:
    """"Tanzania's largest coal producer, has raised": the country only owns the subject."""
    after = text[mention.end : trigger.start]
    if not _POSSESSIVE.match(after):
        return False
    if _GOVERNMENT.match(after, after.find(" "), after.find(" ") + 40) or _OWNER_OF_PLAN.match(after):
        return False
    if _OWNED_EVENT.match(after) and not _OWNER_GAP.match(after):
        return True  # "The Russian miner's suspension ... has reduced supply": the suspension did it
    return mention.kind == "country" and (len(after.split()) > 4 or "," in after)


# "the company's plan to close": the owner of a plan or decision is its actor,
# even inside a prepositional phrase ("in protest at the company's plan to ...").
_OWNER_OF_PLAN = re.compile(r"['’]s?\s+(?:[\w-]+\s+)?(?:plans?|decision|move|proposal|intention|bid|attempt|offer|agreement|pledge|commitment|efforts?)\s+to\b")
# "will not follow Indonesia in banning exports", "stopped the miner from
# exporting": the object of these verbs is not the subject of what follows.
# (Not "forced it to shut the line": there the object does the shutting.)
_OBJECT_OF_VERB = re.compile(
    r"\b(?:follow(?:s|ed|ing)?|join(?:s|ed|ing)?|stop(?:s|ped|ping)?|prevent(?:s|ed|ing)?|bar(?:s|red|ring)?|block(?:s|ed|ing)?"
    r"|outbid(?:s|ding)?|beat(?:s|en|ing)?|defeat(?:s|ed|ing)?|edg(?:e|es|ed|ing)\s+out|persuad(?:e|es|ed|ing)|urg(?:e|es|ed|ing)|ask(?:s|ed|ing)?|call(?:s|ed|ing)?\s+on|press(?:es|ed|ing)?"
    r"|emulat(?:e|es|ed|ing)|cop(?:y|ies|ied|ying)|mirror(?:s|ed|ing)?|blam(?:e|es|ed|ing)|accus(?:e|es|ed|ing)|overtak(?:e|es|en|ing)|overtook)"
    r"\s+(?:the\s+|a\s+|its\s+|their\s+)?(?:[a-z][\w'’-]*\s+){0,2}$",
    re.I,
)


_INFINITIVE_AFTER = re.compile(r"\s+to\s+(?:\w+ly\s+)?(?:\w+\s+)?$")
_NEED_FOR = re.compile(r"\b(?:need|reason|room|scope|necessity|justification)\s+for\s+(?:the\s+)?$", re.I)


def _is_prepositional(text: str, sentence_start: int, mention: Mention, allowed: tuple[str, ...], gap: str = "") -> bool:
    if _OWNER_OF_PLAN.match(text, mention.end) or (_POSSESSIVE.match(gap) and _OWNER_GAP.match(gap)):
        return False  # "the company's plan to close", "would follow Alrosa's halt of sales"
    before = text[max(sentence_start, mention.start - 40) : mention.start]
    if _OBJECT_OF_VERB.search(before):
        return True
    match = _PREPOSITION.search(before)
    if not match:
        return False
    # The nearest preposition is the one that governs the name: "to fall after
    # Anglo American cut" is "after" (a clause), not "to".
    word = next(w for w in reversed(match.group(0).lower().split()) if w in _PREPOSITION_WORDS)
    if word in ("after", "before") and "," not in gap:
        return False  # "after Alrosa halted sales": a clause with its own subject
    if word == "by" and _DECISION_BY.search(before):
        return False  # "the decision by the European Union to suspend beef imports"
    if word == "for" and _INFINITIVE_AFTER.match(gap) and _NEED_FOR.search(before):
        return False  # "no need for OPEC to increase output": the subject of the infinitive
    return word not in allowed


def _commodity_actor(article: Article, sentence: tuple[int, int], trigger: Trigger) -> list[Actor]:
    return [Actor(article.commodity_heads.get(a.name, a.name), a.kind, a.start, a.how) for a in _commodity_actors(article, sentence, trigger)]


def _commodity_actors(article: Article, sentence: tuple[int, int], trigger: Trigger) -> list[Actor]:
    """Price moves belong to a commodity: "diamond prices", "prices of gold", else the article's."""
    text = article.text
    # (The normalised copy is lower-cased already and one character ahead.)
    price_at = article.normalised.find("price", trigger.start + 1, trigger.end + 1) - 1
    if price_at >= 0 and _NOT_COMMODITY_PRICE.search(text, max(sentence[0], price_at - 20), price_at):
        return []
    inside = [m for m in article.mentions_between(trigger.start, trigger.end) if m.kind == "commodity"]
    if inside:
        return [Actor(inside[0].name, "commodity", inside[0].start, "commodity")]
    before = [m for m in article.mentions_between(sentence[0], trigger.start) if m.kind == "commodity"]
    if before and _MODIFIER_GAP.fullmatch(text, before[-1].end, trigger.start):
        return [Actor(before[-1].name, "commodity", before[-1].start, "commodity")]
    in_sentence = [m for m in article.mentions_between(sentence[0], sentence[1]) if m.kind == "commodity"]
    if in_sentence:
        nearest = min(in_sentence, key=lambda m: abs(m.start - trigger.start))
        return [Actor(nearest.name, "commodity", nearest.start, "commodity")]
    if article.main_commodity_discussed():
        return [Actor(article.main_commodity, "commodity", trigger.start, "article")]
    return []
