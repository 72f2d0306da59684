"""The action lexicon: which words announce which action (README, "Actions").

Each :class:`Rule` starts with a trigger word (one of ``first``) and continues
with a regex (``rest``) matched right after it, so the grammar runs only where
the one-pass phrase matcher found a trigger word, and every rule is anchored:
no rule ever scans a sentence. Rules for the same first word are tried in
order; put the more specific first ("halted sales" before "halted").

Rule flags tell the event grammar how to find the actor:

- ``strict``: a bare noun ("sales", "sanctions") only counts with an owner
  right before it ("Alrosa's sales", "U.S. sanctions") or a "by X" after it;
  otherwise every "sales are picking up" would become an event.
- ``actor_inside``: the actor may sit inside the trigger ("workers at Codelco
  went on strike").
- ``needs``: extra evidence inside the trigger span ("a ban on Russian
  diamonds" is an import ban only with a commodity and an origin in it).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from enrich.times import _MONTH
from enrich.vocabulary import WORDS

# Words that may sit between a verb and its object: "halted all rough diamond sales".
_GAP = r"(?:\s+(?!and\b|but\b|or\b|while\b|as\b|after\b|before\b|because\b)[\w'’$%.-]+){0,3}?\s+"
_GAP2 = r"(?:\s+(?!and\b|but\b|or\b)[\w'’$%.-]+){0,2}?\s+"
_PASSIVE_AUX = r"(?:\s+(?!and\b|but\b)[\w'’-]+){0,3}?\s+(?:were|was|have\s+been|has\s+been|had\s+been|will\s+be|would\s+be|could\s+be|may\s+be|might\s+be|is\s+being|are\s+being|be|remain|remained|remains|been)\s+(?:\w+\s+)?"

_SALES = r"(?:e-)?(?:sales|selling|sale|auctions?|tenders?|sights?|offerings?)\b"  # "e-auctions"
_PRODUCTION_WORDS = WORDS["production"]
_PRODUCTION = r"(?:" + "|".join(sorted(_PRODUCTION_WORDS.split(), key=len, reverse=True)) + r")\b"
# Words every match of _PASSIVE_AUX contains (see Rule.objects).
_PASSIVE_WORDS = WORDS["passive"]
# (Singular too: "let Pakistan's state importer postpone cargoes".)
_CUSTOMERS = r"(?:customers?|clients?|buyers?|sightholders?|purchasers?|traders?|manufacturers?|cutters?|dealers?|converters?|refiners?|utilit(?:y|ies)|mills?|importers?|offtakers?)"
_PRICE_DOWN = (
    r"(?:fell|fall|falls|fallen|falling|dropped|drop|drops|dropping|declined|decline|declines|declining|slumped|slump"
    r"|slumps|slumping|slid|slide|slides|sliding|sank|sink|sinks|sinking|tumbled|tumble|tumbles|tumbling|plunged|plunge"
    r"|plunges|plunging|plummeted|plummet|plummeting|eased|easing|weakened|weakening|dipped|dip|dips|dipping|retreated"
    r"|retreating|crashed|crashing|collapsed|collapsing|sagged|softened|softening|slipped|slipping|slips|skidded"
    r"|tanked|halved|lost|sheds?|shed|edged\s+(?:down|lower)|went\s+down|came\s+down|moved\s+lower|are\s+down|were\s+down"
    r"|is\s+down|was\s+down|hit\s+(?:a\s+)?(?:\w+\s+)?low|down)\b"
)
_PRICE_UP = (
    r"(?:rose|rise|rises|risen|rising|climbed|climb|climbs|climbing|jumped|jump|jumps|jumping|gained|gain|gains|gaining"
    r"|surged|surge|surges|surging|soared|soar|soars|soaring|rallied|rally|rallies|rallying|increased|increase|increases"
    r"|advanced|advances|firmed|firming|spiked|spike|spikes|rebounded|rebound|rebounds|recovered|strengthened"
    r"|edged\s+(?:up|higher)|went\s+up|moved\s+higher|are\s+up|were\s+up|is\s+up|was\s+up|hit\s+(?:a\s+)?(?:\w+\s+)?(?:high|record)"
    r"|doubled|up)\b"
)
_PRICE_AUX = (
    r"(?:\s+(?:of|for|in|on|at)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?[\w-]+)?(?:,?\s+which)?"
    r"(?:\s+(?:have|has|had|have\s+been|has\s+been|had\s+been|were|was|are|is|been|continued\s+to|continue\s+to"
    r"|continues\s+to|began\s+to|started\s+to|also|sharply|further|steadily|slightly|already|about|nearly|almost"
    r"|more\s+than|roughly|by|globally|overall|again|all|both|then|recently|subsequently|since))*\s+"
)


_NOT_A_DEAL = r"(?![\s-]+(?:agreements?|deals?|pacts?|accords?|proposals?|efforts?|compliance|talks|plans?|schemes?|polic(?:y|ies)|burden|negotiations|discussions|framework|coalition|alliance|group|club|members?)\b)"
# A statistic's verb after its noun ("output rose 8%", "sales at the unit fell"),
# with a place or owner in between ("output at Glencore's Mutanda mine").
_STAT_AUX = (
    r"(?:\s+(?:at|in|of|from|by|to)\s+(?:[\w'’.&-]+\s+){0,4}?[\w'’.&-]+)?(?:,\s+[^,;]{1,60},)?"
    r"(?:\s+(?:has|have|had|was|were|is|are|also|further|steadily|sharply|slightly|again|been|reportedly|only))*\s+"
)
_STAT_UP = (
    r"(?:rose|risen|rises|increased|increases|climbed|climbs|jumped|jumps|grew|grown|grows|surged|surges|gained|gains|expanded|added|adds|(?:gone|went|moved|picked)\s+up"
    r"|doubled|tripled|recovered|rebounded|edged\s+up|(?:was|were|is|are)\s+(?:already\s+|now\s+|still\s+)?up|hit\s+(?:a\s+)?(?:[\w-]+\s+)?(?:records?|highs?)"
    r"|reached\s+(?:a\s+)?(?:[\w-]+\s+)?(?:records?|highs?)|topped|(?:rising|climbing|growing|increasing|jumping)(?=\s+(?:to|by)\s+[\d$]))\b"
)
_STAT_DOWN = (
    r"(?:fell|fallen|falls|dropped|drops|declined|declines|decreased|decreases|slipped|slumped|plunged|plummeted|tumbled|shrank"
    r"|shrunk|contracted|slid|sank|halved|edged\s+down|(?:was|were|is|are)\s+(?:already\s+|now\s+|still\s+)?down|hit\s+(?:a\s+)?(?:[\w-]+\s+)?low"
    r"|(?:falling|dropping|declining|sliding|shrinking)(?=\s+(?:to|by)\s+[\d$]))\b"
)


# "which sells most of its output", "the diesel it sells", "has long sold":
# habitual or relative clauses, background rather than news.
_RELATIVE = (
    r"(?:\b(?:which|that|who)\s+(?:(?-i:[a-z])\w*\s+)?|\b(?!(?:as|and|but|while|because|since|when|if|though|although|after|before|so|or|said|says)\b)[a-z]+\s+(?:it|they)\s+"
    r"|\b(?:long|usually|typically|traditionally|generally|mostly|normally|historically)\s+)"
)


class LazyPattern:
    """A case-insensitive regex compiled on first use. A process that tags one
    short file (``newsflow tag``) meets few trigger words, and compiling all
    ~120 rule patterns up front would cost more than tagging it."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern | None = None

    def _pattern(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.source, re.IGNORECASE)
        return self._compiled

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match | None:
        return self._pattern().match(text, pos, endpos)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match | None:
        return self._pattern().search(text, pos, endpos)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyPattern) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)


@dataclass(frozen=True)
class Rule:
    action: str
    first: tuple[str, ...]
    rest: LazyPattern | re.Pattern
    strict: bool = False
    actor_inside: bool = False
    needs: tuple[str, ...] = ()
    modality: str | None = None
    confidence: float = 0.9
    veto_left: LazyPattern | None = None  # the words before the trigger that cancel it
    needs_left: LazyPattern | None = None  # the words that must come right before the trigger
    # Words of which at least one must follow the trigger in its sentence for
    # ``rest`` to match (its object or auxiliary). A set lookup rules most
    # sentences out before the regex runs: the lazy word gaps of the long
    # rules ("cut ... production") cost microseconds on every trigger word.
    objects: frozenset[str] = frozenset()
    actor_after: bool = False  # the actor closes the trigger ("a takeover proposal from BHP")
    # A noun statistic ("output rose"): its actor is the owner or the subject of
    # a reporting verb, never a name further left across another verb.
    strict_subject: bool = False
    # The wording lifts the measure ("will permit uranium imports"): the event is
    # the measure's code, negated (the convention, enrich/gold/CONVENTION.md).
    negates: bool = False
    # The wording itself says it did not happen ("no disruptions to exports"): the
    # code negated, never its resume code.
    denies: bool = False
    # Only a "by X" agent can be the actor ("was hit with sanctions by the U.S."):
    # the subject of such a passive is the target.
    agent_only: bool = False


@dataclass
class Lexicon:
    rules: list[Rule] = field(default_factory=list)
    by_word: dict[str, list[Rule]] = field(default_factory=dict)

    def add(self, action: str, first: str, rest: str, veto_left: str | None = None, objects: str = "", needs_left: str | None = None, **flags) -> None:
        veto = LazyPattern(veto_left + r"$") if veto_left else None
        needs = LazyPattern(needs_left + r"$") if needs_left else None
        rule = Rule(action, tuple(first.split()), LazyPattern(rest), veto_left=veto, needs_left=needs, objects=frozenset(objects.split()), **flags)
        self.rules.append(rule)
        for word in rule.first:
            self.by_word.setdefault(word, []).append(rule)


# Word lists of the rules below (enrich/data/vocabulary.yaml); the object lists
# are also Rule.objects (the regexes require one of them).
_SALES_WORDS = WORDS["sales"]
_PRICE_WORDS = WORDS["price"]
_HALT = WORDS["halt"]
_HALT_NOUN = WORDS["halt_noun"]
_CUT = WORDS["cut"]
_STOP_OPS = WORDS["stop_operations"]
_RAISE = WORDS["raise"]
_BAN = WORDS["ban"]
_BAN_NOUN = WORDS["ban_noun"]
_IMPOSE = WORDS["impose"]


def build_lexicon() -> Lexicon:
    lex = Lexicon()
    _sales_rules(lex)
    _deferral_and_supply_rules(lex)
    _production_rules(lex)
    _price_rules(lex)
    _trade_rules(lex)
    _corporate_rules(lex)
    return lex


# "anti-dumping duties of up to 25 percent on specialized steel imports from Russia": a measure on the trade, no sale.
_TRADE_MEASURE_ON = r"\b(?:duty|duties|tariffs?|taxes|levies|probe|investigation)\s+(?:[\w.%-]+\s+){0,6}?on\s+(?:[\w-]+\s+){0,2}?"


def _sales_rules(lex: Lexicon) -> None:
    lex.add("sales_resume", "resume resumes resumed resuming restart restarts restarted restarting", _GAP + r"(?:" + _SALES + r"|shipments|exports|deliveries|loadings)\b",
            objects=_SALES_WORDS + " shipments exports deliveries loadings")
    lex.add("sales_resume", "resumption restart", r"\s+of" + _GAP + _SALES)
    lex.add("sales_resume", "sales selling auctions", r"(?:\s+[\w'’-]+){0,2}?\s+(?:(?:will|would|have|has|had)\s+)?(?:resumed|restarted|resume|resumes)\b")
    lex.add("sales_halt", _HALT, _GAP + _SALES, objects=_SALES_WORDS)
    lex.add("sales_halt", "put puts putting", _GAP + r"(?:sales|selling|auctions?)\s+on\s+hold\b")
    lex.add("sales_halt", _HALT_NOUN, r"\s+(?:of|in|on|to)" + _GAP + _SALES, objects=_SALES_WORDS)
    lex.add("sales_halt", "sales selling auctions tenders sale", _PASSIVE_AUX + r"(?:halted|suspended|stopped|paused|frozen|cancell?ed|postponed|on\s+hold|scrapped)\b", objects=_PASSIVE_WORDS)
    lex.add("sales_halt", "sales selling", r"\s+(?:halt|suspension|freeze|pause|moratorium|stoppage)\b")
    # Selling a mine, a stake or a unit is a divestment, not a sale of goods.
    # The asset may sit seven words on ("its natural gas processing and gathering assets"), but not
    # past a "to" or "for": "sold 2 million barrels to the refinery" is a sale of goods.
    assets = (
        r"(?!(?:\s+(?!(?:to|for)\b)[\w'’.,%$-]+){0,7}?\s+(?:mills?|assets?|stakes?|units?|business(?:es)?|mines?|divisions?|shares|plants?"
        r"|subsidiar\w+|operations?|projects?|holdings?|interests?|refiner(?:y|ies)|smelters?|banks?|arms?|oilfields?|terminals?|pipelines?)\b)"
    )
    # "selling it to Cerberus", "to sell Chrysler Group for $7.4 billion": a divestment.
    divested = (
        r"(?!\s+(?:it|them)\s+to\b)(?!\s+(?:itself|themselves)\b)(?!\s+(?-i:[A-Z])[\w&.-]*(?:\s+(?-i:[A-Z])[\w&.-]*){0,3}\s+(?:for|to)\s)"
        r"(?!\s+(?:the|its|their|a|an|this|that)\s+(?:[\w-]+\s+)?(?:company|firm|group|business|unit|stake|mine|assets?|division|subsidiary)\b)"
    )
    lex.add("sales", "sold sells sell", r"(?!\s*-?\s*off\b|-side|\s+back\b|\s+out\b|\s+short\b)" + divested + assets + r"(?=[\s,.;]|$)", veto_left=_RELATIVE)
    lex.add("sales", "selling", r"(?!\s*-?\s*off\b|-side|\s+pressure|\s+prices?\b|\s+point|\s+season)" + divested + assets + r"(?=\s)", veto_left=_RELATIVE)
    lex.add("sales", "sales sale", r"(?=[\s,.;]|$)(?!\s+(?:tax|team|force|staff|pitch|event|events|cycles?|volumes?|guidance|agreement|office|offices|network|channels?|process|proceeds|strategy|strategies|targets?"
            r"|of\s+(?:(?:its|a|the|and|[\w'’-]+)\s+){1,6}?(?:stakes?|units?|business(?:es)?|mines?|assets?|divisions?|subsidiar\w+|operations|plants?|shares)\b))",
            strict=True, confidence=0.8, veto_left=r"\b(?:(?:has|have|had)\s+(?:\w+\s+)?|assets?\s+|asset-|up\s+for\s+|advis\w*\s+(?:[\w'’&.-]+\s+){0,3}?on\s+the\s+)")
    lex.add("sales", "reported posted recorded booked", _GAP2 + r"sales\b")
    # "Alrosa's sales rose 10%", "Ivory Coast's cocoa exports fell": sales as a statistic.
    lex.add("sales", "sales shipments deliveries exports", _STAT_AUX + r"(?:volumes?\s+)?(?:" + _STAT_UP[3:-3] + "|" + _STAT_DOWN[3:-3] + r")\b", strict=True, actor_inside=True)


def _deferral_and_supply_rules(lex: Lexicon) -> None:
    defer_verbs = r"(?:defer|postpone|delay|cancel|back\s+out|pull\s+out|walk\s+away|refuse|reject|decline|skip|reduce|cut|return|turn\s+down|push\s+back)\b"
    lex.add("purchase_deferral", "allowed allow allows allowing let lets letting permitted permit permits permitting enabled offered offer offers offering gave give gives giving",
            r"\s+(?:[\w'’-]+\s+){0,3}?(?:" + _CUSTOMERS[3:-1] + r"|(?-i:[A-Z])[\w'’-]+)\s+(?:the\s+(?:option|chance|flexibility|right)\s+)?(?:to\s+)?" + defer_verbs)
    lex.add("purchase_deferral", "offered offer offers offering gave give gives",
            r"\s+(?:its\s+|their\s+)?" + _CUSTOMERS + r"\s+(?:a|the)\s+(?:\w+\s+)?(?:deferral|cancellation|option\s+to\s+defer)\b")
    # A seller deferring its own deliveries restricts supply; buyers deferring
    # purchases (or being let to) is a purchase deferral.
    lex.add("supply_restriction", "defer defers deferred deferring delay delays delayed delaying postpone postponed postpones",
            r"(?:\s+(?:the|its|some|all|part|of|up|to|a|portion))*\s+(?:deliver(?:y|ies)|shipments?|cargoes|loadings)\b")
    objects = r"(?:purchases|purchase\s+(?:commitments|obligations|contracts)|allocations?|orders|contracts?|offtake|pickups|collections?|boxes|goods|volumes|(?:[$€£]?[\d.,]+\s+(?:million|billion|mln|bln|tonnes?|tons?|barrels?)?\s*(?:[\w-]+\s+){0,2})purchases?|cargoes|shipments)\b"
    lex.add("purchase_deferral", "defer defers deferred deferring deferral deferrals postpone postponed postponing postponement cancel cancelled canceled cancelling cancellation cancellations refuse refused refusing reject rejected rejecting",
            r"(?:\s+(?:of|the|their|its|some|all|contracted|planned|scheduled|committed|rough|diamond|contract|purchase|their|up|to|half|part|a|portion|\d+%))*\s+" + objects)
    lex.add("purchase_deferral", "back backed backing pull pulled pulling walk walked walking",
            r"\s+(?:out\s+of|out\s+from|away\s+from)" + _GAP + r"(?:purchases|contracts|deals|allocations|commitments|orders)\b")
    lex.add("supply_restriction", "limit limits limited limiting restrict restricts restricted restricting withhold withholds withheld withholding ration rations rationed rationing allocate allocates allocated cap caps capped curb curbed curbs reduce reduced reduces cut cuts",
            _GAP + r"(?:supply|supplies|deliveries|allocations?|volumes|goods|shipments)\s+(?:to|for)\s+(?:its\s+|their\s+|the\s+)?(?:\w+\s+)?" + _CUSTOMERS)
    # "will cut November crude supplies by 7-to-8 percent from contracted volumes": customers' contracts cut.
    lex.add("supply_restriction", _CUT, _GAP2.replace("{0,2}", "{0,3}") + r"(?:supply|supplies|deliveries|allocations?|volumes)\s+(?:by\s+[\w.,%-]+\s+(?:percent\s+|%\s+)?)?(?:from|below)\s+(?:the\s+)?(?:contracted|contract|contractual|nominated|requested|term)\b")
    # "cut gas supplies to Belarus", "cutting off supplies to Ukraine": supply withheld from a named customer.
    lex.add("supply_restriction", _CUT, r"(?:\s+off)?" + _GAP2 + r"(?:supply|supplies|deliveries|flows)\s+to\s+(?:the\s+)?(?-i:[A-Z])")
    lex.add("supply_restriction", "limit limits limited limiting restrict restricts restricted restricting withhold withholds withheld withholding ration rations rationed rationing",
            _GAP + r"(?:supply|supplies|deliveries|allocations?|volumes|goods|availability)\b", objects="supply supplies deliveries allocation allocations volumes goods availability")
    lex.add("supply_restriction", "allocation allocations", r"\s+(?:cuts?|reductions?)\b")
    # A producer cutting its exports restricts supply (a government doing it bans; see events).
    lex.add("supply_restriction", _CUT, _GAP2 + r"(?:crude\s+|oil\s+|gas\s+|(?!and\b|or\b)\w+\s+)?exports\b", objects="exports")
    lex.add("supply_restriction", _CUT, _GAP + r"(?:volumes|allocations?|deliveries|flows|the\s+amount\s+of)\b", objects="volumes allocation allocations deliveries flows amount")
    lex.add("supply_restriction", "supply deliver ship supplies delivers ships", r"(?:\s+[\w'’$%.,-]+){0,4}?\s+(?:less|fewer|reduced\s+volumes)\b")
    # "both nations will boost crude exports": more sold.
    lex.add("sales", "boost boosts boosted boosting raise raises raised raising increase increases increased increasing ramp ramped",
            r"(?:\s+up)?" + _GAP2 + r"(?:crude\s+|oil\s+|gas\s+|LNG\s+|coal\s+|(?!and\b|or\b)[\w-]+\s+)?(?:exports|shipments|deliveries)\b(?!\s+(?:of\s+)?(?:cars?|vehicles?|goods))",
            objects="exports shipments deliveries", confidence=0.8)
    # "agreed to supply Japanese buyers", "a deal to supply Indian customers with potash":
    # customers contracted (not "will keep supplying customers", nor the noun).
    lex.add("sales", "supply", r"\s+(?:(?:its|their|the|some|all|[\w-]+)\s+){0,2}?" + _CUSTOMERS + r"\b",
            veto_left=r"(?:(?<!\bto)\s|\b(?!(?:agreed|agree|agrees|agreeing|deal|deals|agreement|agreements|contract|contracts|signed|pledged|offered|won|bid|tender)\b)[\w-]+\s+to\s)", confidence=0.8)
    # "shipped a record 191.6 million tons", "agreed to supply 800,000 tonnes": a quantity sold.
    lex.add("sales", "supplied supplies supply shipped ships ship delivered delivers deliver exported exports export",
            r"(?:\s+(?:a|an|the|record|about|around|some|nearly|almost|over|more|than|roughly|up|to|an\s+estimated|at\s+least|as\s+much\s+as))*\s+[$€£]?\d",
            veto_left=_RELATIVE, confidence=0.85)
    # "agreed to ship heavy crude oil to Venezuela": a commodity sent to a named buyer.
    lex.add("sales", "supplied supplies supply shipped ships ship delivered delivers deliver exported exports export sold sells sell",
            r"(?:\s+(?!and\b|or\b|but\b)[\w'’-]+){1,4}?\s+(?:to|for)\s+(?:the\s+|an?\s+)?(?!" + _MONTH + r")(?=(?-i:[A-Z]))", needs=("commodity",), confidence=0.8, objects="to for",
            # A headline's "Kestrel to supply ..." is the company's plan; "aims to supply" is not a deal.
            veto_left=_RELATIVE[:-1] + r"|\b(?!(?:agreed|agree|agrees|agreeing|deal|deals|agreement|agreements|contract|contracts|signed|pledged|offered|plans?|planned|will|would)\b)(?-i:[a-z])[\w-]*\s+to\s)")


# Before a bare "cuts", only an owner and these modifiers: not "job cuts", not
# "deserved deeper cuts" (a verb's object), not "price cuts".
_OWNERS_CUT_MODIFIERS = r"(?:voluntary|additional|extra|output|production|supply|oil|crude|further|deep|deeper|own|its|their|the|these|those|agreed|pledged|planned|joint|collective|unilateral|bpd|b/d|barrels?|tonnes?|million|mln)"
_NOT_AN_OWNERS_CUT = r"\b(?!" + _OWNERS_CUT_MODIFIERS + r"\b)(?-i:[a-z])[\w-]*\s+(?:" + _OWNERS_CUT_MODIFIERS + r"\s+)?"


def _production_rules(lex: Lexicon) -> None:
    lex.add("output_cut", "extend extended extends extending extension prolong prolonged rollover roll rolled",
            _GAP + r"(?:output|production|supply)\s+(?:cuts|curbs|reductions|cutbacks|restrictions)\b")
    # "will keep its own cut of 1 million bpd in place", "extended their voluntary
    # cuts": continuing a cut is cutting. The modifiers are closed-class, so a
    # price or rate cut ("kept its rate cut") is not taken for output.
    lex.add("output_cut", "keep keeps keeping kept maintain maintains maintained maintaining retain retains retained leave leaves "
            "hold holds held extend extends extended extending prolong prolongs prolonged roll rolls rolled",
            r"(?:\s+over)?\s+(?:(?:its|their|the|these|those|this|that)\s+)?"
            r"(?:(?:own|voluntary|additional|existing|current|extra|deep|deeper|further|unilateral|collective|joint|oil|crude|output|production|supply"
            r"|[\d.,]+(?:\s*(?:million|m|mln))?(?:\s*(?:barrels?|bpd|b/d|tonnes?))?(?:-a-day|\s+per\s+day|\s+a\s+day)?)\s+){0,4}"
            r"(?:cuts?|curbs?|reductions?|cutbacks?)\b",
            objects="cut cuts curb curbs reduction reductions cutback cutbacks")
    # "at reduced capacity", "with curtailed output": participles used as adjectives.
    adjectival = r"\b(?:at|with|amid|despite|of|on|under|given|a|an|the|its|their)\s+"
    # The long gap may not cross another object ("halt copper exports to the smelter").
    # ("the Anzherskaya and Pervomayskaya mines": an "and" between names stays inside.)
    long_gap = _GAP.replace("{0,3}", "{0,8}").replace(r"(?!and\b|", r"(?!exports?\b|imports?\b|sales\b|prices?\b|and\b(?!\s+(?-i:[A-Z]))|")
    lex.add("output_cut", _CUT + " " + _STOP_OPS, long_gap + _PRODUCTION, veto_left=adjectival, objects=_PRODUCTION_WORDS)
    # A gerund is no adjective: "no sign of cutting production", "with halting output".
    gerunds = " ".join(w for w in (_CUT + " " + _STOP_OPS).split() if w.endswith("ing"))
    lex.add("output_cut", gerunds, long_gap + _PRODUCTION, veto_left=r"\b(?:a|an|the|its|their)\s+", objects=_PRODUCTION_WORDS)
    lex.add("output_cut", _CUT, _GAP + r"(?:supply|supplies|exports?\s+volumes)\b(?!\s+(?:chain|costs?))(?!\s+to\s+(?:the\s+|its\s+|their\s+)?(?-i:[A-Z]))", objects="supply supplies volumes")
    # Idling or mothballing a whole business or site is an output cut too.
    lex.add("output_cut", "idle idles idled idling mothball mothballs mothballed mothballing shutter shutters shuttered shuttering",
            _GAP + r"(?:business|operations?|assets?|sites?|complex|works|steelworks|mills?|potlines?|capacity|kilns?|trains?)\b",
            veto_left=adjectival, objects="business operation operations asset assets site sites complex works steelworks mill mills potline potlines capacity kiln kilns train trains")
    # "wound down mining at the site", "is winding down the smelter"
    lex.add("output_cut", "wind winds winding wound", r"\s+down" + long_gap + _PRODUCTION, objects=_PRODUCTION_WORDS)
    lex.add("output_cut", "place places placed placing put puts putting", r"(?:\s+[\w'’.-]+){1,10}?\s+(?:on|into|under)\s+care\s+and\s+maintenance\b")
    # "Saudi crude output will fall to 9.8 million bpd": the owner (possessive or adjective) acts.
    lex.add("output_cut", "output production", r"(?:\s+[\w'’-]+){0,4}?\s+(?:to|would|will|could|may)\s+(?:fall|decline|drop|shrink|contract|decrease)\b", actor_inside=True, strict_subject=True)
    lex.add("output_increase", "output production", r"(?:\s+[\w'’-]+){0,10}?\s+(?:to|would|will|could|may)\s+(?:rise|climb|increase|grow|jump|expand|(?:reach|hit|top)\s+(?:a\s+)?(?:new\s+|all-time\s+|record\s+)?(?:records?|highs?|peak))\b", actor_inside=True, strict_subject=True)
    # Production reported as a statistic counts (the convention, enrich/gold/CONVENTION.md): "Kestrel
    # Mining's nickel output rose 8%", "Chilean copper production fell to 410,000 t",
    # "output at Glencore's Mutanda mine dropped". The owner is the actor.
    lex.add("output_increase", "output production", _STAT_AUX + _STAT_UP, actor_inside=True, strict_subject=True)
    lex.add("output_cut", "output production", _STAT_AUX + _STAT_DOWN, actor_inside=True, strict_subject=True)
    # "keep 1 million barrels a day off the market", "holding back 5.86 million bpd"
    lex.add("output_cut", "keep keeps keeping kept hold holds holding held", r"(?:\s+back\s+[\d$]|(?:\s+[\w$.,%-]+){1,6}?\s+(?:off\s+the\s+market|offline|off-line)\b)", objects="back off offline")
    # Not "the production cut agreement" or "production cut proposals": the deal, not a cut.
    lex.add("output_cut", "output production", r"\s+(?:cuts?|curbs?|reductions?|cutbacks?|halt|suspension|shutdown|stoppage|restrictions?|limits?|freeze)\b" + _NOT_A_DEAL)
    # "Venezuela's output plunge", "the miner's production slump": a fall its owner suffered.
    lex.add("output_cut", "output production", r"\s+(?:plunge|slump|collapse|drop|decline|losses)\b", strict=True, confidence=0.8)
    # "amid lost production due to Hurricane Ida"
    lex.add("output_cut", "lost lose loses losing", r"\s+(?:(?:some|most|all|much|the)\s+)?(?:[\w-]+\s+)?(?:production|output)\b", confidence=0.8)
    # "Production at Glencore's Mutanda mine was halted": the owner sits inside.
    lex.add("output_cut", "output production operations mining", _PASSIVE_AUX.replace("{0,3}", "{0,6}") + r"(?:cut|reduced|curbed|halted|suspended|lowered|stopped|slashed|shut|scaled\s+back|paused|disrupted)\b", actor_inside=True, objects=_PASSIVE_WORDS)
    # "The Hammerfest plant was shut by Equinor": a site noun in a passive
    # counts only with its agent ("furnaces were idled" names no actor).
    by_agent = r"(?=(?:\s+[\w'’-]+){0,4}?\s+by\s)"
    lex.add("output_cut", "plant plants mine mines smelter smelters refinery refineries furnace furnaces potline potlines facility facilities shaft shafts pipeline terminal",
            _PASSIVE_AUX.replace("{0,3}", "{0,6}") + r"(?:shut(?:\s+down)?|closed|idled|halted|suspended|mothballed|curtailed|stopped|paused|taken\s+offline|placed\s+on\s+care)\b" + by_agent, objects=_PASSIVE_WORDS)
    # ... or with its owner ("Shell's Shearwater field was shut down", "Biosev's Maracaju mill was idled").
    lex.add("output_cut", "plant plants mine mines smelter smelters refinery refineries facility facilities field fields oilfield oilfields mill mills site platform platforms",
            _PASSIVE_AUX.replace("{0,3}", "{0,2}") + r"(?:shut(?:\s+down)?|closed|idled|halted|suspended|mothballed|curtailed|stopped|paused|taken\s+offline|placed\s+on\s+care)\b",
            strict=True, confidence=0.8, objects=_PASSIVE_WORDS)
    # "completed the shutdown of its 263,776 barrel-per-day Houston refinery"
    lex.add("output_cut", "cut cuts cutting reduction reductions cutback cutbacks curb curbs halt suspension shutdown shutdowns closure closures stoppage",
            r"\s+(?:of|in|to|at)(?:\s+(?!and\b|but\b|or\b|exports?\b|imports?\b|sales\b|prices?\b)[\w'’$%.,()-]+){0,6}?\s+" + _PRODUCTION)
    # "an outage at Norsk Hydro's Alunorte plant": the owner sits inside.
    lex.add("output_cut", "outage outages", r"\s+(?:at|of|in)(?:\s+(?!and\b|but\b|or\b)[\w'’.&-]+){0,5}?\s+" + _PRODUCTION, actor_inside=True, strict_subject=True, confidence=0.8)
    # "the refinery will undergo seven weeks of maintenance": a planned outage.
    lex.add("output_cut", "undergo undergoes undergoing underwent", r"(?:\s+[\w-]+){0,4}?\s+(?:maintenance|turnarounds?|overhauls?)\b", objects="maintenance turnaround turnarounds overhaul overhauls")
    lex.add("output_cut", "supply", r"\s+(?:cuts?|cutbacks?|reductions?)\b" + _NOT_A_DEAL)
    # "rallied on cuts from Saudi Arabia": the cutter follows.
    lex.add("output_cut", "cuts cutbacks", r"\s+(?:by|from)\s+(?:the\s+)?(?=(?-i:[A-Z]))", actor_after=True, confidence=0.8,
            veto_left=r"\b(?:job|jobs|price|rate|interest|tax|spending|cost|budget|dividend|staff|workforce|capex|investment)\s+")
    # "following OPEC+ cuts", "Saudi Arabia's voluntary cuts have tightened supply": a
    # bare noun with a producer or state as its owner (strict: only the owner
    # acts). Not a verb with an object ("Alcoa cuts jobs", "cuts in prices").
    lex.add("output_cut", "cuts cutbacks",
            r"(?=\s*(?:[.,;:)]|$)|\s+(?:and|have|has|had|are|were|will|would|could|may|is|was|from|since|that|which|impact\w*|help\w*|support\w*|took|take|kept|keep|remain\w*|tighten\w*|lift\w*|boost\w*|offset\w*)\b)",
            strict=True, confidence=0.8, veto_left=_NOT_AN_OWNERS_CUT)
    # A production quota kept is a cut; one rejected or exceeded is a cut negated.
    quota = r"(?:\s+(?:its|their|the|a|an|new|own|opec|opec\+|production|output|oil|crude|export|agreed|assigned|allotted|lower|reduced))*\s+quotas?\b"
    lex.add("output_cut", "keep keeps keeping kept stay stays stayed abide abides abided comply complies complied stick sticks stuck adhere adheres adhered respect respects respected honour honours honoured honor honors honored",
            r"\s+(?:within|by|with|to)" + quota, objects="quota quotas")
    lex.add("output_cut", "reject rejects rejected rejecting refuse refuses refused refusing flout flouts flouted ignore ignored ignores exceed exceeds exceeded exceeding breach breached breaches overshoot overshot",
            quota, negates=True, objects="quota quotas")
    # "far exceeding the production limits of the global oil deal"
    lex.add("output_cut", "exceed exceeds exceeded exceeding breach breached breaches overshoot overshot overshooting overshoots",
            r"(?:\s+(?:its|their|the|a|an|agreed|production|output|oil|crude|opec|opec\+|informal|formal|official|new|collective))*\s+(?:(?:production|output)\s+(?:limits?|ceilings?|targets?|caps?)\b|(?:limits?|ceilings?|targets?|caps?)\b(?!\s+(?:of|for)\s+(?![\d$])))", negates=True, objects="limit limits ceiling ceilings target targets cap caps")
    # "still pumping above its collective ceiling", "pumped 26.2 million bpd, 1.4 million above the target": a quota not honoured.
    limits = "target targets ceiling ceilings quota quotas limit limits"
    lex.add("output_cut", "pumping pumped pump pumps producing produced produce produces",
            r"(?:\s+[\w$.,%()-]+){0,12}?\s+(?:above|over|beyond|in\s+excess\s+of)\s+(?:(?:its|their|the|an?|agreed|nominal|collective|official|output|production|implied|new|[\d.,]+|million|mln|bpd|barrels|per|a|day)\s+)*(?:"
            + "|".join(limits.split()) + r")\b",
            negates=True, objects=limits)
    # "made good on only two thirds of the pledged cut", "delivered only 60% of its cuts": a cut not honoured.
    lex.add("output_cut", "made make makes making delivered delivers delivering implemented implementing",
            r"(?:\s+good\s+on)?\s+only\s+(?:[\w$.,%-]+\s+){1,4}?of\s+(?:its|their|the|those|agreed|pledged|promised|\s)+(?:output\s+|production\s+|supply\s+)?(?:cuts?|curbs?|reductions?|cutbacks?)\b",
            denies=True, objects="only")
    # "compliance with the cuts fell to 60 percent": members not honouring the cut.
    lex.add("output_cut", "compliance",
            r"(?:\s+(?:with|of|to)\s+(?:[\w'’+-]+\s+){0,4}?(?:cuts?|curbs?|quotas?|targets?|pact|deal|agreement))?(?:\s+(?:has|had|have|was|were|is|also|further))*"
            r"\s+(?:fell|slipped|dropped|slid|declined|eased|weakened|(?:was|were|is|stood)\s+(?:only|just|below|less\s+than))\b",
            actor_inside=True, strict_subject=True, denies=True, confidence=0.8, objects="fell slipped dropped slid declined eased weakened only just below less")
    # "Saudi Arabia will pump more oil", "saw no need to produce more": more output (not "pump more money into").
    lex.add("output_increase", "pump pumps pumping pumped produce produces producing produced", r"\s+more(?:\s+(?!than\b)[\w-]+){1,2}(?!\s+than\b)",
            needs=("commodity",), confidence=0.8, objects="more")
    # "rebuffed consumer nations' calls for more output", "declined calls to pump more": an increase refused.
    lex.add("output_increase", "declined declines declining rebuffed rebuffs rebuffing rejected rejects rejecting resisted resists resisting ignored ignores ignoring",
            r"(?:\s+(?!and\b|but\b)[\w'’-]+){0,4}?\s+calls?\s+(?:from\s+(?:[\w'’-]+\s+){1,4}?)?(?:for|to)\s+(?:(?:pump|produce|supply|boost|raise|increase|lift)\s+)?"
            r"(?:more|higher|increased|extra|additional|an?\s+(?:increase|rise|boost|hike)\s+in)(?:\s+[\w-]+)?\s+(?:oil|crude|output|production|supply|supplies|barrels|gas)\b",
            denies=True, objects="call calls")
    # "a further cut of 1 million barrels per day to its crude production"
    lex.add("output_cut", "cut cuts reduction reductions cutback cutbacks", r"\s+of\s+(?:[\w$.,%-]+\s+){1,6}?(?:to|in|from)" + _GAP2 + r"(?:output|production|supply)\b")
    lex.add("output_increase", "unwind unwinds unwinding unwound ease eases eased easing reverse reversed reverses taper tapered phase phased",
            r"(?:\s+out)?" + _GAP2.replace("{0,2}", "{0,6}") + r"(?:cuts|curbs|reductions|cutbacks)\b")
    # Lifting a blockade or a ban "of the mine" is not raising output.
    # Nor is raising "demand for U.S. supplies" or "a stake in Red Hawk Mining"
    # (the object is lower case: a capitalised "Mining" is part of a name).
    no_ban = r"(?:\s+(?!and\b|but\b|or\b|that\b|blockade\b|ban\b|embargo\b|suspension\b|restrictions?\b|closure\b|strike\b|sanctions\b|demand\b|stakes?\b)[\w'’$%.-]+){0,5}?\s+"
    lex.add("output_increase", _RAISE + " open opens opened opening return returns returned returning bring brings brought bringing", no_ban + r"(?-i:full\s+production|output|production|producing|mining|operations|mine|mines|plant|plants|smelters?|facilit(?:y|ies)|potlines?|capacity|pumping|extraction|drilling|supply|supplies|lines|trains|units|furnaces?|fields?|oilfields?|pits?|shafts?|refinery|refineries|mills?|kilns?)\b(?!\s+(?:costs?|chain|royalt\w*|rights|permits?|licen[cs]es?|taxes|tax|industry|sector|stocks))",
            objects="production output producing mining operations mine mines plant plants smelter smelters facility facilities potline potlines capacity pumping extraction drilling supply supplies lines trains units furnace furnaces field fields oilfield oilfields pit pits shaft shafts refinery refineries mill mills kiln kilns")
    lex.add("output_increase", "output production", r"\s+(?:increases?|hikes?|boosts?|expansion|ramp-up|restart|resumption)\b")
    # "Severe weather hit Chinese aluminium output", "the strike crippled production at
    # Freeport's Grasberg mine": the cause is the subject, the owner sits inside.
    lex.add("output_cut", "hit hits hurt hurts crippled cripples disrupted disrupts dented dents hampered hampers slashed",
            r"(?!(?:\s+[\w'’.-]+){0,3}?\s+(?:records?|capacity|peak|highs?|targets?)\b)\s+(?:(?!and\b|but\b|or\b)[\w'’.-]+\s+){0,3}?(?:output|production)\b(?:\s+(?:at|in)\s+(?:[\w'’.&-]+\s+){0,2}?(?-i:[A-Z])[\w'’.&-]*(?:\s+(?:[\w'’.&-]+)){0,3})?",
            actor_inside=True, strict_subject=True, confidence=0.8, objects="output production")
    # "production will not resume in the coming week", "output resumed on Monday": a restart, its owner inside.
    lex.add("output_increase", "output production operations", r"(?:\s+(?:at|in|of)\s+(?:[\w'’.&-]+\s+){0,4}?[\w'’.&-]+)?(?:\s+(?:has|have|had|was|were|is|are|will|would|could|may|not|never|to|be|been|gradually|partially|fully|already))*\s+(?:resumed|resumes|resume|restarted|restarts|restart)\b",
            actor_inside=True, strict_subject=True)
    # "cancel expansion projects", "shelving a Fl 525m smelter expansion": an increase called off.
    lex.add("output_increase", _HALT + " abandon abandons abandoned abandoning drop dropped dropping delay delays delayed delaying",
            r"(?:\s+(?!and\b|but\b|or\b)[\w'’$%.,-]+){0,5}?\s+(?:expansions?|ramp-ups?|start-ups?|restarts?)\b(?!\s+of\s+(?:sales|exports))",
            negates=True, objects="expansion expansions ramp-up ramp-ups start-up start-ups restart restarts")
    # "opposed production cut proposals": a cut refused.
    lex.add("output_cut", "oppose opposes opposed opposing reject rejects rejected rejecting resist resists resisted block blocks blocked veto vetoed",
            r"(?:\s+(?!and\b|but\b)[\w'’-]+){0,4}?\s+(?:output|production|supply)\s+(?:cuts?|curbs?|reductions?)\b", negates=True, objects="output production supply")
    # "dismissed talk of output cuts", "downplayed output cuts": a cut refused.
    lex.add("output_cut", "downplay downplays downplayed downplaying dismiss dismisses dismissed dismissing",
            r"(?:\s+(?!and\b|but\b)[\w'’+-]+){0,6}?\s+(?:output|production|supply)\s+(?:cuts?|curbs?|reductions?)\b", negates=True, objects="output production supply")
    # "won't be joining voluntary oil cuts": joining a cut is cutting.
    lex.add("output_cut", "join joins joined joining",
            r"\s+(?:the\s+|its\s+|their\s+)?(?:(?:voluntary|oil|crude|output|production|supply|opec\+?|collective|global|further|new)\s+)+(?:cuts|curbs|reductions|cutbacks)\b")
    # "OPEC+ agreed to cut 2 million bpd", "would voluntarily cut an additional 1 million
    # barrels per day", "will add 500,000 b/d": a volume cut or added is output.
    volume = (
        r"(?:\s+(?:an?|another|additional|further|extra|some|about|around|nearly|roughly|almost|up\s+to|as\s+much\s+as|more\s+than|a\s+combined|a\s+total\s+of))*"
        r"\s+[\d.,]+\s*(?:million|mln|m|thousand|k)?\s*(?:barrels?(?:\s+(?:per|a)\s+day)?|bpd|b/d|bbl/d|mb/d|mbpd|tonnes|tons|metric\s+tons|ounces|oz)\b(?!\s+of\s+(?:imports|purchases))"
    )
    lex.add("output_cut", "cut cuts cutting curtail curtails curtailed curtailing reduce reduces reduced reducing trim trims trimmed slash slashes slashed", volume, confidence=0.85)
    lex.add("output_increase", "add adds added adding raise raises raised raising boost boosts boosted boosting increase increases increased increasing",
            volume + r"(?!\s+(?:of\s+)?(?:storage|capacity\s+to\s+store|imports?))", confidence=0.8)
    # "started production at its Statfjord Ost field", "will not begin oil production":
    # a producer starting to produce raises its output (a "not" negates it as usual).
    # ("had begun shutting down production" starts a cut: a stopping verb may not sit in the gap.)
    stopping = "|".join(sorted({w for w in (_CUT + " " + _STOP_OPS + " winding").split() if w.endswith("ing")}))
    lex.add("output_increase", "start starts started starting begin begins began begun beginning commence commences commenced commencing",
            r"(?:\s+(?!and\b|but\b|or\b|(?:" + stopping + r")\b)[\w'’-]+){0,2}?\s+(?:production|output|producing|mining|pumping|extraction|operations)\b(?!\s+(?:costs?|chain|of\s+(?:cars?|vehicles?|batteries|chips)))",
            objects="production output producing mining pumping extraction operations", confidence=0.85)
    # "expects a partial restart by October"
    lex.add("output_increase", "restart resumption reopening", r"(?=\s+(?:by|in|within|before|from|later|next|of\s+(?:operations|production|output|the\s+(?:mine|plant|smelter|refinery|facility|field|line)))\b)", confidence=0.8)
    lex.add("output_increase", "increase increases rise boost expansion restart resumption ramp-up hike hikes jump jumps surge rebound growth",
            r"\s+(?:in|of|to)" + _GAP2 + r"(?:output|production|operations|mining|capacity)\b(?!\s+(?:costs?|royalt\w*|rights|permits?|licen[cs]es?|taxes|tax|fees?))")
    # "BHP unveiled a 6 percent rise in quarterly iron ore output": a statistic its reporter owns.
    reported = r"\b(?:reported|reports|posted|posts|unveiled|unveils|announced|announces|recorded|records|booked|saw|sees|had|has)\s+(?:a|an)\s+(?:[\w.,%-]+\s+){0,3}?"
    in_output = r"\s+in\s+(?:its\s+|their\s+)?(?:[\w-]+\s+){0,4}?(?:output|production)\b"
    lex.add("output_increase", "rise increase jump gain growth surge", in_output, needs_left=reported)
    lex.add("output_cut", "fall drop decline slump dip decrease", in_output, needs_left=reported)


# "offers for July", "bid for Q3 cargoes": a capitalised date is not a company.
_NOT_A_DATE = r"(?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\b|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|Q[1-4]\b|H[12]\b)"


def _price_rules(lex: Lexicon) -> None:
    # "raised its urea offers": plural offers are prices ("raised its offer for X" is a bid).
    own_price = r"(?:prices?|(?:official\s+)?selling\s+prices?|osps?|list\s+prices?|premiums?|offers\b(?!\s+(?:for\s+" + _NOT_A_DATE + r"(?-i:[A-Z])|to\s+(?:buy|acquire|take)\b|from\b)))\b"
    lex.add("price_cut", "offer offers offered offering gave give gives giving grant granted grants", _GAP2.replace("{0,2}", "{0,4}") + r"(?:discounts|price\s+cuts|rebates)\b", confidence=0.85)
    # "cuts crop forecast as prices hit record": the price word must be the
    # verb's own object, not the subject of another clause.
    gap2 = r"(?:\s+(?!(?:and|but|or|as|while|after|before|because|amid|when|since|despite|following|with|to)\b)[\w'’$%.-]+){0,2}?\s+"
    gap3 = gap2.replace("{0,2}", "{0,4}")  # "slashed its lithium carbonate contract prices"
    lex.add("price_cut", "lower", gap2 + own_price, veto_left=r"\b(?:a|the|much|even|at|of|far|slightly|significantly|sharply|with|amid|on|by)\s+", confidence=0.8)
    lex.add("price_cut", "cut cuts cutting lowered lowers lowering reduce reduced reduces reducing slash slashed slashes slashing trim trimmed discount discounted", gap3 + own_price, confidence=0.85, objects=_PRICE_WORDS)
    lex.add("price_increase", "raise raised raises raising hike hiked hikes hiking increase increased increases increasing lift lifted lifts upped", gap3 + own_price, confidence=0.85, objects=_PRICE_WORDS)
    lex.add("price_cut", "price", r"\s+(?:cuts?|reductions?)\b", confidence=0.8)
    # "set its 2024 premium for Chinese buyers at $89 a ton, down from $140"
    setting = "set sets fixed fixes offered offers offer priced"
    lex.add("price_cut", setting, r"(?:\s+[\w$.,'’%-]+){0,6}?\s+(?:premiums?|prices?|osps?|tariffs?)\b[^.;]{0,70}?\b(?:down|lower)\s+(?:[\d.]+%\s+)?from\b", confidence=0.8)
    lex.add("price_increase", setting, r"(?:\s+[\w$.,'’%-]+){0,6}?\s+(?:premiums?|prices?|osps?|tariffs?)\b[^.;]{0,70}?\b(?:up|higher)\s+(?:[\d.]+%\s+)?from\b", confidence=0.8)
    lex.add("price_increase", "price", r"\s+(?:hikes?|increases?)\b(?!\s+in\b)", confidence=0.8)
    # "keep prices down" is an aim, and "expect a price rise" a forecast: neither is a move.
    keep = (r"\b(?:(?:keep|keeps|keeping|kept|hold|holds|holding|held|bring|bringing|push|pushing|drive|driving)\s+(?:[\w-]+\s+){0,2}"
            r"|(?:expect\w*|forecast\w*|predict\w*|anticipat\w*|fear\w*|see|sees|saw|bet\w*\s+on)\s+(?:a|an|further|more|some|another)\s+(?:[\w-]+\s+)?)")
    lex.add("price_fall", "price prices", _PRICE_AUX + _PRICE_DOWN, veto_left=keep)
    lex.add("price_rise", "price prices", _PRICE_AUX + _PRICE_UP, veto_left=keep)
    lex.add("price_fall", "fall falls drop drops decline declines slump slumps slide slides plunge plunges dip dips tumble collapse crash weakness softening downturn slump slumped decrease",
            r"\s+in\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?prices?\b")
    lex.add("price_rise", "rise rises jump jumps surge surges rally rallies increase increases spike spikes rebound recovery gain gains climb",
            r"\s+in\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?prices?\b")
    lex.add("price_fall", "pushed push pushes pushing drove drive drives driving sent send sends dragged drag drags weighed weigh weighs weighing knocked",
            r"(?:\s+[\w-]+){0,2}?\s+prices?\s+(?:\w+\s+)?(?:lower|down|to\s+(?:a\s+)?(?:\w+\s+)?lows?)\b")
    lex.add("price_rise", "pushed push pushes pushing drove drive drives driving sent send sends lifted lift lifts boosted boost boosts propelled",
            r"(?:\s+[\w-]+){0,2}?\s+prices?\s+(?:\w+\s+)?(?:higher|up|to\s+(?:a\s+)?(?:\w+\s+)?(?:highs?|records?))\b")
    lex.add("price_fall", "falling declining sliding slumping plunging tumbling collapsing sagging flagging weakening softening", r"\s+(?:[\w-]+\s+)?prices?\b", confidence=0.75)
    lex.add("price_rise", "rising soaring surging climbing rallying rebounding recovering strengthening firming", r"\s+(?:[\w-]+\s+)?prices?\b", confidence=0.75)
    # "sending bullion down 2.7%": a commodity pushed down or up.
    lex.add("price_fall", "sending sent send sends", r"(?:\s+[\w-]+){1,4}?\s+(?:down|lower|tumbling|plunging|sliding)\b", needs=("commodity",), confidence=0.8)
    lex.add("price_rise", "sending sent send sends", r"(?:\s+[\w-]+){1,4}?\s+(?:up|higher|soaring|surging)\b", needs=("commodity",), confidence=0.8)


# "lifted restrictions on beef exports", "ending a ban": the end of a measure is
# the measure negated, or its resume code (enrich.events, the convention, enrich/gold/CONVENTION.md).
LIFTED = (
    r"\b(?:lift(?:s|ed|ing)?|eas(?:e|es|ed|ing)|scrap(?:s|ped|ping)?|remov(?:e|es|ed|ing)|end(?:s|ed|ing)?|rescind(?:s|ed|ing)?"
    r"|revok(?:e|es|ed|ing)|overturn(?:s|ed|ing)?|relax(?:es|ed|ing)?|repeal(?:s|ed|ing)?)\s+(?:the\s+|a\s+|an\s+|its\s+|their\s+)?(?:[\w-]+\s+){0,2}"
)


# Verbs that limit trade without stopping it.
_CURB = "cap caps capped capping restrict restricted restricts restricting curb curbed curbs curbing limit limited limits limiting"


def _trade_rules(lex: Lexicon) -> None:
    for flow, action in (("import", "import_ban"), ("export", "export_ban")):
        flow_words = f"{flow} {flow}s {flow}ing {flow}ation"
        if flow == "export":
            # Capping or curbing exports restricts supply; only a prohibition or a
            # suspension bans them (the convention, enrich/gold/CONVENTION.md).
            lex.add("supply_restriction", _CURB, _GAP + r"(?:exports?|exporting)\b(?!\s+(?:duty|duties|tariffs?|taxes))", objects=flow_words)
        lex.add(action, _BAN, _GAP + rf"(?:{flow}s?|{flow}ing)\b(?!\s+(?:duty|duties|tariffs?|taxes))", objects=flow_words)
        lex.add(action, _BAN, rf"\s+(?:the\s+|all\s+)?(?:{flow}|{flow}ation)\s+of\b", objects=flow_words)
        # Export quotas and curbs restrict supply (the convention, enrich/gold/CONVENTION.md); import quotas ban.
        measures = r"bans?|embargo(?:es)?|prohibitions?|halt|suspension|freeze|moratorium" + ("|restrictions?|curbs?|quotas?|controls?|limits?" if flow == "import" else "")
        lex.add(action, f"{flow} {flow}s", rf"\s+(?:{measures})\b")
        if flow == "export":
            lex.add("supply_restriction", "export exports", r"\s+(?:restrictions?|curbs?|quotas?|controls?|limits?)\b")
        lex.add(action, f"{flow}s {flow}", _PASSIVE_AUX.replace("{0,3}", "{0,8}").replace("(?!and\\b|but\\b)", "(?!but\\b)") + r"(?:banned|halted|suspended|stopped|prohibited|blocked|restricted|curbed|barred|embargoed|frozen)\b", objects=_PASSIVE_WORDS)
        buying = r"|purchas(?:es|ing)|buying" if flow == "import" else ""  # "a ban on purchasing U.S. wheat"
        lex.add(action, _BAN_NOUN, r"\s+(?:on|of|to)" + _GAP2 + rf"(?:{flow}s?|{flow}ing|{flow}ation{buying})\b", objects=flow_words + (" purchases purchasing buying" if buying else ""))
    # "China hikes its 2019 crude import quota", "India raised its sugar export quota": a quota eased is the measure negated.
    raised = "raise raises raised raising hike hikes hiked hiking increase increases increased increasing expand expands expanded boost boosts boosted"
    for flow, action in (("import", "import_ban"), ("export", "supply_restriction")):
        lex.add(action, raised, r"(?:\s+(?!and\b|but\b|or\b)[\w'’$%.,-]+){0,5}?\s+" + flow + r"\s+(?:quotas?|allocations?|allowances?)\b", negates=True, objects=flow)
    for flow, action in (("import", "import_ban"), ("export", "export_ban")):
        lex.add(action, "permit permits permitted permitting allow allows allowed allowing resume resumes resumed resuming reopen reopened",
                _GAP + rf"(?:{flow}s?|{flow}ing)\b(?!\s+(?:duty|duties|tariffs?|taxes))", negates=True, objects=f"{flow} {flow}s {flow}ing")
    lex.add("export_ban", _HALT + " cut", r"(?:\s+off)?" + _GAP2 + r"(?:supplies|deliveries|shipments|flows|sales)\s+to\s+(?-i:[A-Z])", objects="supplies deliveries shipments flows sales")
    lex.add("export_ban", _BAN, _GAP2.replace("{0,2}", "{0,4}") + r"from\s+exporting\b")
    # "Shipments of nickel ore were suspended by Indonesia": only with the agent.
    lex.add("export_ban", "shipments", _PASSIVE_AUX.replace("{0,3}", "{0,6}") + r"(?:banned|halted|suspended|stopped|prohibited|blocked|frozen|embargoed)\b(?=(?:\s+[\w'’-]+){0,4}?\s+by\s)", objects=_PASSIVE_WORDS)
    lex.add("import_ban", _BAN, _GAP2.replace("{0,2}", "{0,4}") + r"from\s+importing\b")
    # The converse of a sale: "Japan will import 30,000 bpd of crude from Saudi
    # Arabia" is a sale by Saudi Arabia (the convention, enrich/gold/CONVENTION.md).
    lex.add("sales", "import imports imported importing buy buys bought buying purchase purchases purchased purchasing",
            r"(?:\s+(?!and\b|but\b|or\b)[\w'’$%.,-]+){1,8}?\s+from\s+(?:the\s+)?(?:neighbou?ring\s+|nearby\s+|fellow\s+)?(?=(?-i:[A-Z]))", needs=("commodity",), actor_after=True, confidence=0.8, objects="from",
            veto_left=_TRADE_MEASURE_ON)
    # "China imported 391,400 tons of Brazilian poultry": the origin sold it.
    lex.add("sales", "import imports imported importing buy buys bought buying purchase purchases purchased purchasing",
            r"\s+(?:(?!shares\b|stock\b|equity\b|stakes?\b)[\w$.,%-]+\s+){1,6}?of\s+(?=(?-i:[A-Z])[\w-]+\s+[a-z])", actor_after=True, confidence=0.75, objects="of")
    # "supplies from the United States as well as Russia and Mozambique": the origins sold.
    lex.add("sales", "supplies shipments imports cargoes deliveries purchases",
            r"\s+(?:of\s+(?:[\w-]+\s+){1,3}?)?from\s+(?:the\s+)?(?=(?-i:[A-Z]))", actor_after=True, confidence=0.75,
            veto_left=_TRADE_MEASURE_ON)
    # "a ban on Russian diamonds", "banned Russian diamonds": an import ban when
    # the span names a commodity and an origin (checked by the event grammar).
    lex.add("import_ban", _BAN_NOUN, r"\s+on\s+(?:all\s+|the\s+)?[\w.'’-]+(?:\s+[\w'’-]+){0,3}", needs=("origin", "commodity"), confidence=0.75)
    lex.add("import_ban", "ban bans banned banning prohibit prohibited prohibits embargo embargoed", r"\s+(?:all\s+|the\s+)?[\w.'’-]+(?:\s+[\w'’-]+){0,3}", needs=("origin", "commodity"), confidence=0.75)
    # "barred the LME from accepting new Russian aluminium": a sanction on trade.
    lex.add("sanctions", "barred bars bar barring banned bans prohibited prohibits blacklisted",
            r"(?:\s+[\w'’.&-]+){1,12}?\s+from\s+(?:accepting|trading|dealing|doing\s+business|handling|insuring|financing|servicing)\b", confidence=0.8)
    sanctions = r"(?:sanctions|restrictive\s+measures|penalties)\b"
    lex.add("sanctions", _IMPOSE, _GAP + sanctions, objects="sanctions restrictive penalties")
    lex.add("sanctions", "added adds add adding", r"(?:\s+[\w.'’&-]+){1,5}?\s+to\s+(?:its|the|their|a)\s+(?:\w+\s+)?(?:sanctions\s+list|blacklist|entity\s+list|list\s+of\s+sanctioned)\b")
    lex.add("sanctions", "hit hits", r"\s+(?:[\w.'’-]+\s+){1,5}?with\s+(?:\w+\s+)?sanctions\b")
    lex.add("sanctions", "hit slapped targeted", r"\s+with\s+(?:[\w-]+\s+){0,2}?sanctions\b", agent_only=True)
    # "the sanctions imposed on Russia by the United States and the EU"
    lex.add("sanctions", "sanctions embargo embargoes", r"\s+(?:imposed|levied|announced|placed|slapped)\s+(?:on|against)\s+(?:[\w.'’-]+\s+){1,5}?(?=by\b)", agent_only=True)
    lex.add("sanctions", "sanctioned sanctions sanctioning blacklisted blacklists blacklisting", r"(?=\s+(?:the\s+|state\s+|\w+\s+)?(?-i:[A-Z]))", confidence=0.85)
    lex.add("sanctions", "sanctions", r"(?=\s+(?:on|against|targeting|package|packages)\b)", strict=True, confidence=0.8)
    # "as a result of European Union sanctions", "U.S. sanctions bite": the owner imposed them.
    lex.add("sanctions", "sanctions", r"(?=[\s,.;]|$)", strict=True, confidence=0.75)
    # "a G7 price cap on Russian crude": a sanctions measure of its owner.
    lex.add("sanctions", "price", r"\s+caps?\s+on\b", strict=True, confidence=0.8)
    lex.add("sanctions", "sanctions", _PASSIVE_AUX + r"(?:imposed|announced|levied|introduced)\s+(?:\w+\s+){0,3}?by\b")
    # "has exempted Japan and 10 EU nations from financial sanctions": a sanction eased.
    lex.add("sanctions", "exempt exempts exempted exempting waive waives waived waiving",
            r"(?:\s+[\w'’.,-]+){0,8}?\s+from\s+(?:[\w-]+\s+){0,2}?sanctions\b", negates=True, objects="sanctions")
    # "will supply full contracted volumes to Asian buyers": supplies explicitly not cut.
    lex.add("supply_restriction", "supply supplies supplied supplying allocate allocates allocated", r"\s+(?:the\s+)?full\s+(?:contract(?:ed|ual)\s+|term\s+|nominated\s+|requested\s+)?(?:volumes?|allocations?|amounts?|quantities)\b",
            denies=True, objects="volumes volume allocations allocation amounts quantities")
    # "there are no disruptions to exports": sales explicitly not halted.
    lex.add("sales_halt", "no", r"\s+(?:[\w-]+\s+)?(?:disruptions?|interruptions?|halt|stoppage|suspension)\s+(?:to|in|of)\s+(?:[\w'’-]+\s+){0,2}?(?:exports|shipments|supplies|sales|loadings|deliveries)\b",
            denies=True, objects="exports shipments supplies sales loadings deliveries")


# "agreed to buy much larger Phelps Dodge", "bought privately held Foo": closed-class
# words a buyer puts before its target's name (an open gap would take "more Russian
# crude" for a company).
_BUYERS_ADJECTIVES = r"(?:much\s+|far\s+)?(?:larger|smaller|bigger|struggling|troubled|ailing|debt-laden|indebted|privately[\s-]held|family-owned|state-owned|[a-z]+-based|[a-z]+-listed)\s+"


def _corporate_rules(lex: Lexicon) -> None:
    # "a 40% operating working interest in", "a 50 percent stake for $3.1 billion" (not "Anglo's
    # stake": its owner sells it, and would be taken for the buyer)
    stake = (r"(?:a|an|the|its|their)?\s*(?:[\d.]+\s*(?:%|per\s*cent|percent)\s+(?:[\w-]+\s+){0,2}?|majority\s+|minority\s+|controlling\s+|further\s+|additional\s+|big\s+|large\s+|small\s+){0,2}"
             r"(?:stake|interest|holding)\s+(?:in|from|for\s+[$€£])")
    lex.add("acquisition", "acquire acquires acquired acquiring buy buys bought buying purchase purchased purchases purchasing", r"\s+" + stake)
    lex.add("acquisition", "acquire acquires acquired acquiring buy buys bought buying purchase purchased purchasing",
            r"(?!\s+back)\s+(?:the\s+|rival\s+|smaller\s+|fellow\s+|miner\s+|producer\s+|company\s+|firm\s+|peer\s+|all\s+of\s+|" + _BUYERS_ADJECTIVES + r"|(?:[\w-]+\s+){0,4}?(?:producer|miner|driller|explorer|company|firm|group|handler|exporter|refiner|smelter|steelmaker|processor|trader)\s+)*(?=(?-i:[A-Z])|\d+\s+(?-i:[A-Z]))(?![A-Z][a-z]+\s+(?:diamonds|gold|oil|crude|gas|coal|copper)\b)")
    lex.add("acquisition", "acquire acquires acquired acquiring buy buys bought buying purchase purchased purchasing",
            r"(?!\s+back|\s+by\b)" + _GAP2.replace("{0,2}", "{0,5}") + r"(?:company|firm|miner|producer|business|assets?|mines?|operations|unit|division|subsidiary|rival|competitor|project|deposit|refiner(?:y|ies)|smelters?|stake|operator|shares\s+in|mills|plants|oilfields|terminals)\b")
    lex.add("acquisition", "takeover takeovers acquisition acquisitions purchase buyout merger", r"\s+of\s+(?:a\s+|an\s+|the\s+)?(?:[\d.]+\s*%\s+(?:stake\s+in\s+)?|(?:majority|minority|controlling)\s+stake\s+in\s+)?(?:(?:rival|smaller|fellow|[\w-]+)\s+(?:miner|producer|company|firm|group|driller|steelmaker|refiner)\s+|(?:rival|smaller|larger|fellow)\s+)?(?=(?-i:[A-Z]))")
    lex.add("acquisition", "takeover acquisition purchase", r"\s+of\s+(?:a|an)\s+(?:[\d.]+\s*(?:%|percent|per\s+cent)\s+)?(?:[\w-]+\s+){0,2}?(?:stake|interest)\s+in\b")
    lex.add("acquisition", "merger", r"\s+with\s+(?:[a-z][\w-]*\s+){0,3}(?=(?-i:[A-Z]))")
    lex.add("acquisition", "takeover acquisition bid bids offer offers approach proposal",
            r"\s+(?:proposal\s+|offer\s+|bid\s+|approach\s+)?from\s+(?:(?:another|rival|fellow|the|a|an)\s+(?:[\w-]+\s+){0,3}?(?:miner|producer|company|firm|group|driller|steelmaker|refiner|trader|house),?\s+|(?:rival|fellow|larger|bigger)\s+)?(?=(?-i:[A-Z]))",
            modality="possible", confidence=0.8, actor_after=True)
    lex.add("acquisition", "merge merges merged merging", r"\s+with\b")
    lex.add("acquisition", "talks talk talking discussions negotiations", r"\s+(?:about|on|over|for|of)\s+(?:a\s+|an\s+)?(?:possible\s+|potential\s+)?(?:merger|tie-up|combination|takeover|acquisition|deal\s+to\s+(?:buy|acquire))\b", modality="possible", confidence=0.8)
    lex.add("acquisition", "take takes took taking taken assume assumes assumed", r"\s+over\s+(?=(?:the\s+|its\s+|rival\s+)?(?-i:[A-Z]))|\s+(?:(?:a|an)\s+)?(?:[\w%.-]+\s+){0,3}stake\s+in\b")
    # "won control of Riversdale Mining", "gained full control of the mine"
    lex.add("acquisition", "won win wins gained gain gains seized seize took take takes secured secure",
            r"\s+(?:full\s+|majority\s+|outright\s+|effective\s+|operational\s+)?control\s+(?:of|over)\s+(?:the\s+)?(?:(?!his\b|her\b)[\w-]+\s+){0,3}?(?:(?-i:[A-Z])|(?:mine|company|miner|producer|project|field|refinery|smelter|group)\b)", confidence=0.85)
    # "Tata Steel raises Corus bid", "sweetened its offer for Rio": a bid raised is still a bid.
    lex.add("acquisition", "raise raises raised raising sweeten sweetens sweetened sweetening lift lifts lifted increase increases increased improve improves improved",
            r"\s+(?:its\s+|the\s+|their\s+)?(?!(?:[\w$.-]+\s+){0,3}?(?:pay|wage|wages|salary|price|contract)\b)(?:(?-i:[A-Z])[\w&.-]*\s+){0,3}(?:[\w$.-]+\s+){0,2}?(?:takeover\s+)?(?:bid|offer)\b(?!\s+prices?)",
            veto_left=r"\b(?:the|a|an|its|their|this|that)\s+", modality="planned", confidence=0.8)
    lex.add("acquisition", "snap snaps snapped snapping", r"\s+up\b")
    # "CNOOC each got 10 percent stakes in Libra", "secured a 30% interest in the field"
    lex.add("acquisition", "got gets get secured secures secure won wins obtained obtains",
            r"\s+(?:a|an)?\s*(?:[\d.]+\s*(?:%|percent|per\s+cent)\s+|majority\s+|minority\s+|controlling\s+)(?:[\w-]+\s+){0,2}?(?:stakes?|interests?)\s+in\b")
    # "Falconbridge has been taken over by Xstrata": the agent acquires.
    lex.add("acquisition", "taken", r"\s+over(?=\s+by\b)")
    lex.add("acquisition", "bid bids offer offers offered approach approaches",
            r"\s+(?:(?:of\s+|worth\s+|valued\s+at\s+)?(?:about\s+|around\s+|nearly\s+|up\s+to\s+)?(?:[A-Z]{0,2}\$|US\$|C\$|A\$|£|€)?[\d.,]+\s*(?:billion|million|bln|mln|bn|m)?\s+(?:(?:a\s+share|per\s+share|in\s+cash)\s+)?)?(?:proposal\s+)?(?:to\s+(?:buy|acquire|take\s+over)|for)\s+(?=(?-i:[A-Z]))" + _NOT_A_DATE,
            modality="planned", confidence=0.8)
    # "Alcan rejected a $28.4 billion bid by Alcoa": the bidder is the agent.
    lex.add("acquisition", "bid bids takeover", r"(?=\s+by\s+(?:[\w'’-]+\s+){0,2}?(?-i:[A-Z]))", agent_only=True, modality="planned", confidence=0.75)
    # "Rio's purchase of the firm", "sealed its acquisition of the cocoa division of Petra Foods",
    # "weighing a purchase of the loss-making plant": a purchase whose owner is named.
    lex.add("acquisition", "takeover acquisition purchase",
            r"\s+of\s+(?:the|a|an|its|their)\s+(?:[\w'’-]+\s+){0,3}?(?:firm|company|miner|producer|group|business|unit|division|plant|mine|smelter|refinery|assets|operations|subsidiary)\b",
            strict=True, confidence=0.8)
    # "bought 110 million shares of Sabre": buying a company's shares is acquiring a stake.
    lex.add("acquisition", "acquire acquires acquired acquiring buy buys bought buying purchase purchased purchasing",
            r"\s+(?:[\w$.,%-]+\s+){0,5}?(?:shares|stock|equity)\s+(?:of|in)\s+(?=(?-i:[A-Z]))", confidence=0.85)
    lex.add("acquisition", "acquired", r"(?=\s+by\b)")
    # "agreed to pay $500 million for New Steel", "will take Uranium One private"
    lex.add("acquisition", "pay pays paid paying", r"\s+(?:about\s+|around\s+|nearly\s+|up\s+to\s+)?(?:[A-Z]{0,2}\$|US\$|C\$|A\$|£|€)[\d.,]+\s*(?:billion|million|bln|mln|bn|m)?\s+(?:in\s+cash\s+)?for\s+(?:rival\s+|the\s+)?(?=(?-i:[A-Z]))" + _NOT_A_DATE
            + r"(?!(?-i:[A-Z])[a-z]+\s+(?:[a-z]+\s+)?(?:iron|ore|oil|crude|gas|coal|copper|gold|wheat|soybeans?|corn|sugar|cargoes|barrels|tonnes)\b)",
            confidence=0.8)
    lex.add("acquisition", "take takes took taking", r"\s+(?-i:[A-Z])[\w&.-]*(?:\s+(?-i:[A-Z])[\w&.-]*){0,3}\s+private\b", confidence=0.8)
    # "Bidders in the running for Kestrel include EMR Capital, Whitehaven Coal and ...": possible buyers.
    lex.add("acquisition", "bidders suitors", r"(?:\s+[\w'’,.-]+){0,8}?\s+(?:include|includes|included|are|were)\s+(?=(?-i:[A-Z]))",
            actor_after=True, modality="possible", confidence=0.75)
    lex.add("acquisition", "bought purchased", r"(?=\s+by\s+(?:[\w'’-]+\s+){0,2}?(?-i:[A-Z]))", agent_only=True)
    # "the stake was sold to Gazprom Neft": the buyer named after a passive sale of an asset.
    lex.add("acquisition", "stake stakes assets unit units mine mines business division operations interest holding",
            r"\s+(?:was|were|has\s+been|had\s+been|will\s+be|would\s+be|is\s+being|are\s+being)\s+(?:\w+\s+)?sold\s+to\s+(?:rival\s+|the\s+)?(?=(?-i:[A-Z]))",
            actor_after=True, confidence=0.8)
    # "agreed to sell its coal mines in Australia to Peabody": the buyer acquires.
    lex.add("acquisition", "sell sells sold selling",
            r"(?:\s+[\w'’.-]+){1,8}?\s+(?:mines?|assets?|stakes?|units?|business(?:es)?|divisions?|operations|subsidiar(?:y|ies)|interests?|shares|holdings?)"
            r"(?:\s+(?:in|at)(?:\s+[\w'’.-]+){1,6}?)?(?:\s+for\s+[$€£]?[\w.,$€£]+(?:\s+(?:million|billion|mln|bln|bn|m))?)?\s+to\s+(?=(?:rival\s+|the\s+)?(?-i:[A-Z]))",
            actor_after=True, confidence=0.8, objects="mine mines asset assets stake stakes unit units business businesses division divisions operations subsidiary subsidiaries interest interests shares holding holdings")
    # "Tata Steel wins Corus with $12 bln offer", "Vale won Inco after a bidding war".
    lex.add("acquisition", "win wins won",
            r"\s+(?=(?-i:[A-Z])[\w&.-]+(?:\s+(?-i:[A-Z])[\w&.-]+){0,2}\s+(?:with|after|in\s+a|for\s+[$€£]))", confidence=0.8)
    # "Alcoa withdrew its offer", "BHP dropped its hostile bid": a bid given up.
    lex.add("acquisition", "withdraw withdraws withdrew withdrawn withdrawing abandon abandons abandoned abandoning drop drops dropped dropping scrap scraps scrapped scrapping",
            r"\s+(?:its|their|the|a)\s+(?:[\w$.,-]+\s+){0,3}?(?:offer|bid|takeover\s+(?:offer|bid|attempt|approach)|approach)\b(?!\s+prices?)", denies=True, confidence=0.8)
    # "would not make a firm offer", "made a formal bid": a takeover offer, not yet agreed.
    lex.add("acquisition", "make makes made making", r"\s+(?:a|an)\s+(?:firm|formal|binding|takeover|improved|revised|new|cash|all-share|higher)\s+(?:takeover\s+|cash\s+)?(?:offer|bid|proposal)\b", modality="planned", confidence=0.8)
    lex.add("force_majeure", "force", r"\s+majeure\b")
    lex.add("strike", "industrial", r"\s+action\b", actor_inside=True)
    lex.add("strike", "walk walks walked walking", r"\s+(?:off\s+the\s+job|out)\b", actor_inside=True)
    lex.add("strike", "workers miners employees union unions staff contractors workforce laborers labourers", r"(?:\s+[\w'’.,-]+){0,12}?\s+(?:(?:went|go|goes|are|were|have\s+been|began|started|launched|staged|called|vot(?:ed|e|es)\s+(?:unanimously\s+)?to|threatened\s+to|will|would|plan\s+to|to)\s+)?(?:on\s+strike|strikes?|struck|(?:(?<=are\s)|(?<=ere\s)|(?<=was\s)|(?<=lso\s)|(?<=till\s)|(?<=been\s))striking|walked\s+out|downed\s+tools|a\s+strike|strike\s+action|(?:a\s+)?sit-ins?|(?:a\s+)?go-slow|(?:a\s+)?work\s+stoppage|(?:a\s+)?work-to-rule|picket(?:ed|s)?|(?<=staged\s)(?:[\w-]+\s+)?stoppages?)\b(?!\s+(?:a|an)\s+(?:deal|agreement))",
            actor_inside=True)
    lex.add("strike", "strike strikes", r"(?=\s+(?:at|by|action|actions|hit|hits|halted|halts|disrupted|disrupts|over|entered|enters|continued|continues|ended|began|started|affected|affects|shut|closed|idled|paralysed|paralyzed|forced|has|have|had)\b)", actor_inside=True)
    lex.add("strike", "walkout walkouts sit-in sit-ins go-slow", r"(?=[\s,.;]|$)", actor_inside=True)
    # "after Nigeria oil strike ends", "effects seen from Potash Corp strike": the owner names it.
    lex.add("strike", "strike strikes", r"(?=\s*$|\s*[.,;:]|\s+(?:ends|end|enters|drags|looms|is\s+over|was\s+over)\b)", actor_inside=True, strict=True,
            veto_left=r"\b(?:air|drone|missile|military|rocket|artillery|naval|nuclear|pre-emptive|preemptive|first|hunger|lightning|tax|lucky|bowling|general)\s+")
    # "the return of half of the striking workforce at its South African mines"
    lex.add("strike", "striking", r"\s+(?:workers|miners|employees|staff|workforce|union\s+members)\b", actor_inside=True)
    lex.add("strike", "went go goes going gone", r"\s+on\s+strike\b", actor_inside=True)
    # "Escondida copper mine hit by surprise strike": the struck site's owner is its subject.
    lex.add("strike", "hit hits affected crippled halted", r"\s+by\s+(?:a\s+|an\s+)?(?!(?:[\w-]+\s+)?(?:drone|air|missile|military|rocket|artillery|naval)\b)(?:[\w-]+\s+){0,2}?(?:strikes?|walkouts?|stoppages?)\b")
