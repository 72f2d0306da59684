"""Negation and modality: is an event denied, planned or only possible?

The cue words ("not", "denied", "plans", "may", "is considering") are found
by the one-pass phrase matcher (:data:`CUE_MARKERS`); the regexes here only
confirm them inside the window between an event's actor and its trigger, so
"X said it would cut" is planned and "X denied it would cut" is negated.
"""

from __future__ import annotations

import re

from enrich.article import Actor, Article, Trigger
from enrich.lexicon import Rule
from enrich.vocabulary import CUES

# Where a second verb phrase of the same subject starts ("would not sell ... and
# would rather cut"): negation and modality before it belong to the first.
_VP_START = re.compile(
    r"(?:,|\band\b|\bbut\b|\bor\b)\s+(?=(?:also\s+|then\s+|rather\s+|instead\s+)?(?:would|will|could|can|may|might|did|does|do|has|had|have|is|was|were|are|should|must|\w+ed)\b)"
    # "... did not damage its mines, but it is facing an outage": a clause with a subject of its own.
    r"|\bbut\s+(?=(?:it|they|he|she|we)\s)",
    re.I,
)
_NEGATION = re.compile(
    # ("did not rule out a cut" leaves it possible: see _POSSIBLE.)
    r"\b(?:not(?!\s+(?:to\s+)?rule\s+out)|never|no\s+plans?|no\s+intention|den(?:y|ies|ied|ying)|rul(?:ed|es|ing)\s+out|refus(?:e|ed|es|ing)\s+to"
    r"|reject(?:ed|s|ing)?\s+(?:reports|suggestions|claims|speculation|calls)|dismiss(?:ed|es|ing)?\s+(?:reports|speculation|suggestions|claims)"
    r"|(?:has|have|had)\s+yet\s+to|fail(?:ed|s)?\s+to|(?:tried|trying|tries)\s+unsuccessfully|unsuccessful(?:ly)?\s+(?:to|bids?|attempts?|offers?|takeover|approach)|no\s+(?:need|reason)\b|nor|cannot|call(?:ed|s|ing)?\s+off|unlikely|improbable"
    # "decided against raising output", "no longer interested in buying",
    # "dropped an effort to force producers to cut"
    r"|(?:decid|vot|opt|argu)(?:e|es|ed|ing)\s+against|no\s+longer\s+(?:interested|plans?|intends?|wants?|seeks?|going)"
    r"|(?:dropp|scrapp|shelv|abandon)(?:ed|ing)?\s+(?:its\s+|their\s+|the\s+|an?\s+)?(?:plans?|efforts?|attempts?|bids?|proposals?)\s+to"
    # "decided to delay a decision on a new supply reduction": nothing decided yet.
    r"|(?:delay|postpon|defer)(?:ed|s|ing|red|ring)?\s+(?:a|any|the|its|their)\s+(?:final\s+)?decision\s+on)\b|n['’]t\b(?!\s+rule\s+out)|\bdeclined\s+to\s*$",
    re.I,
)
_POSSIBLE = re.compile(
    r"\b(?:may|might|could|consider(?:s|ing)?|weigh(?:s|ing)?|mull(?:s|ing|ed)?|explor(?:e|es|ing)|stud(?:y|ies|ying)"
    r"|discuss(?:es|ing)?|in\s+talks|talks\s+to|possibl[ey]|potential(?:ly)?|likely|unlikely|(?:is|are|was|were)\s+expected\s+to"
    r"|threaten(?:s|ed|ing)?\s+to|seek(?:s|ing)?\s+to|sought\s+to|look(?:s|ing)?\s+(?:to|at)|propos(?:e|es|ed|ing|al)"
    r"|whether|if|option|contemplat(?:e|es|ing)|could\s+be|reviewing|assessing|evaluating|(?:not|(?:did|do|does|wo|would|ca|could)n['’]t)\s+(?:to\s+)?rule\s+out)\b",
    re.I,
)
_PLANNED = re.compile(
    r"\b(?:will|would|shall|plan(?:s|ned|ning)?\s+(?:to|for)|intend(?:s|ed|ing)?\s+to|aim(?:s|ed|ing)?\s+to|set\s+to"
    r"|scheduled\s+to|due\s+to|going\s+to|(?:is|are|was|were)\s+to|prepar(?:es|ing|ed)\s+to|pledg(?:e|es|ed)\s+to|vow(?:s|ed)\s+to"
    r"|promis(?:e|es|ed)\s+to|commit(?:s|ted)\s+to|announced\s+plans|plans|intends|expects?|expected)\b|['’]ll\b",
    re.I,
)
# Words every match of the cue regexes contains. The phrase matcher reports
# where they are (role "negation", "possible", "planned"), so a window with
# none of them skips the regexes; most windows have none.
CUE_MARKERS = CUES
_DENIAL_BEFORE = re.compile(
    r"\b(?:den(?:y|ies|ied|ying)|dismiss(?:ed|es|ing)|reject(?:ed|s|ing)|rul(?:ed|es|ing)\s+out|(?:do|does|did)\s+not\s+(?:expect|see|believe|anticipate)|(?:don|doesn|didn)['’]t\s+(?:expect|see|believe|anticipate)|\bno\s+need\s+for|(?:not|n['’]t)\s+see\s+(?:any|the|a)\s+need\s+for)"
    r"(?:\s+(?:a\s+|the\s+|market\s+)?(?:media\s+|newspaper\s+|press\s+|market\s+)?(?:reports?|suggestions?|speculation|claims?|rumou?rs?))?(?:\s+that)?(?:\s+(?:the\s+)?[\w'’-]+(?:\s+[\w'’-]+)?\s+(?:had|has|have|was|were|is|are|would|will|could|might|may)(?:\s+been)?)?\s*$",
    re.I,
)
_PARENTHETICAL = re.compile(r",\s+(?:which|who|whose|one\s+of|a|an|the|its|part\s+of|owned|controlled|based)\b[^,]*,", re.I)


_SUBORDINATOR = re.compile(r"\b(?:after|before|because|since|when|while|although|though|once|until|as|but)\s+$", re.I)


def cue_window(article: Article, sentence: tuple[int, int], trigger: Trigger, actor: Actor) -> tuple[int, str]:
    """The words that can negate or hedge this trigger: from the actor (or the
    reporting clause, for "X denied it would ...") up to the end of the trigger."""
    start = actor.start if sentence[0] <= actor.start < trigger.start else sentence[0]
    if actor.how == "anaphor" and not _SUBORDINATOR.search(article.text, max(sentence[0], start - 12), start):
        # "OPEC+ will not deepen its cuts", "Alrosa denied it would halt sales":
        # the cues sit between the named antecedent and the pronoun (but not
        # across "... could restart, after the company idled": a clause of its own).
        antecedent = article.last_before(actor.kind, actor.start, 0)
        if antecedent is not None and sentence[0] <= antecedent.start < start:
            start = antecedent.start
    if actor.how == "commodity" and trigger.rule.action in ("price_fall", "price_rise") and trigger.start <= actor.start < trigger.end:
        start = trigger.start  # "blaming a 40% slump in nickel prices": the noun phrase has no modality of its own
    elif actor.how in ("commodity", "article") and trigger.rule.action in ("price_fall", "price_rise"):
        # A market's move is negated near it ("did not fall"), not by a doubt
        # elsewhere in the sentence ("unlikely to be decided ... because of rising prices").
        start = max(start, sentence[0], trigger.start - 30)
    elif actor.how in ("by", "inside", "article", "commodity") and start > trigger.start:
        start = sentence[0]
    window = article.text[start : trigger.end]
    cut = None
    if "," in window or " and " in window or " but " in window or " or " in window:
        for cut in _VP_START.finditer(window, 0, max(0, trigger.start - start)):  # noqa: B007 - keeps the last match
            pass
    if cut is not None:
        window = window[cut.end() :]
        start += cut.end()
    return start, _PARENTHETICAL.sub(",", window) if "," in window else window


def _modality(article: Article, start: int, end: int, window: str, rule: Rule) -> str:
    if article.has_cue("possible", start, end) and _POSSIBLE.search(window):
        return "possible"
    if article.has_cue("planned", start, end) and _PLANNED.search(window):
        return "planned"
    return rule.modality or "asserted"


# "there was no force majeure", "saw no reason to cut", "without cutting":
# a determiner "no" right on the trigger, or a reason/need denied.
_NO_BEFORE = re.compile(r"\b(?:no|without|nor)\s+(?:(?:reason|need|plan|plans|intention|sign|evidence|decision|move|immediate|further|new|such)\s+)?(?:(?:to|for|of)\s+)?(?:[\w-]+\s+)?$", re.I)


def is_negated(article: Article, sentence: tuple[int, int], window_start: int, window: str, trigger: Trigger) -> bool:
    """Negated inside the window ("will not cut"), or denied before it ("The
    Kremlin denied reports that Russia would halt exports")."""
    if article.has_cue("negation", window_start, trigger.end) and _NEGATION.search(window):
        return True
    if article.has_cue("negation", max(sentence[0], trigger.start - 30), trigger.start) and _NO_BEFORE.search(article.text, max(sentence[0], trigger.start - 30), trigger.start):
        return True
    if sentence[0] < window_start and article.has_cue("negation", sentence[0], window_start):
        if _DENIAL_BEFORE.search(article.text, sentence[0], window_start):
            return True
    # Doubt reaches the trigger from before its window, or, when the actor follows the trigger, from before the trigger.
    doubted_end = window_start if sentence[0] < window_start else trigger.start
    return article.has_cue("negation", sentence[0], doubted_end) and bool(_DOUBTED_BEFORE.search(article.text, sentence[0], doubted_end))


# "there is little evidence that Moscow has reduced", "played down the prospect
# of further OPEC+ cuts", "no basis to believe there is a ban": doubt cast on
# the event itself.
_DOUBTED_BEFORE = re.compile(
    r"\b(?:(?:little|no|scant|hardly\s+any)\s+(?:evidence|signs?|indications?|basis)(?:\s+to\s+(?:believe|suggest|think))?(?:\s+that)?"
    r"|play(?:s|ed|ing)?\s+down\s+(?:the\s+)?(?:prospects?|possibility|chances?|talk|speculation|reports?|likelihood)\s+(?:of|that))"
    r"(?:\s+(?:there\s+(?:is|was|were|are)|further|more|new|any|an?|the|so\s+far))*"
    r"(?:\s+[\w'’+-]+(?:\s+[\w'’+-]+)?\s+(?:had|has|have|was|were|is|are|would|will|could)(?:\s+(?:so\s+far|yet|actually|really))?(?:\s+been)?)?\s*$",
    re.I,
)


# "Alrosa to halt sales in March": a name followed by "to" and the action, the
# headline future (not "agreed to", which is decided).
_NAME_TO = re.compile(r"(?:[A-Z][\w&'’.+-]*\s+){1,5}to\s+")
# "prompting Albemarle to restart": a causative reports what happened.
_CAUSATIVE = re.compile(r"\b(?:prompt|force|lead|led|push|cause|drive|drove|allow|encourage|spur)(?:s|ed|ing)?\s+$", re.I)


def modality(article: Article, window_start: int, window: str, trigger: Trigger, rule: Rule) -> str:
    found = _modality(article, window_start, trigger.end, window, rule)
    if found == "asserted" and _NAME_TO.fullmatch(article.text, window_start, trigger.start):
        if not _CAUSATIVE.search(article.text, max(0, window_start - 20), window_start):
            return "planned"
    return found
