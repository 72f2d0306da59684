"""The learned check: a small model decides which event candidates to keep.

The rule grammar proposes events; a wide net (``enrich/data/candidates.yaml``)
proposes more, from any sentence where a producer or country sits near an
action word. Each candidate gets a few dozen features of its context (which
action, how far the actor is from the cue, whether the sentence is the
headline, holds a figure or a negation, how much commodity talk the article
has...) and a logistic model trained on the labelled corpus
(``python -m enrich.train``) scores it. Rule events below their threshold are
dropped; wide-net candidates above theirs are added.

The model is a JSON file of weights (``enrich/data/event_model.json``): no
library is needed to apply it, and scoring costs a dot product per candidate.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from enrich.article import Article, Mention
from enrich.trusted import trusted
from newsflow.models import Event

DATA = Path(__file__).parent / "data"
CANDIDATES_PATH = DATA / "candidates.yaml"
MODEL_PATH = DATA / "event_model.json"

_WORD = re.compile(r"\S+")
_ACTOR_KINDS = {"producer": ("producer",), "country": ("country", "country_adj"), "commodity": ("commodity",)}


@dataclass(slots=True)
class Candidate:
    event: Event
    source: str  # "rule" (the grammar's) or "net" (the wide net's)
    features: dict[str, float]


@dataclass(frozen=True)
class ActionNet:
    action: str
    kinds: tuple[str, ...]
    cue: re.Pattern
    topic: re.Pattern | None


@dataclass(frozen=True)
class Model:
    weights: dict[str, float]
    rule_threshold: float
    net_threshold: float

    def probability(self, features: dict[str, float]) -> float:
        return probability(self.weights, features)


def probability(weights: dict[str, float], features: dict[str, float]) -> float:
    """The logistic model's belief in a candidate (training scores with it too)."""
    return sigmoid(sum(weights.get(name, 0.0) * value for name, value in features.items()))


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _words_pattern(words: str) -> re.Pattern:
    parts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in words.split()]
    return re.compile(r"(?<!\S)(?:" + "|".join(parts) + r")(?!\S)")


@lru_cache(maxsize=1)
def action_nets() -> tuple[tuple[ActionNet, ...], int]:
    with CANDIDATES_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    nets = []
    for action, spec in data["actions"].items():
        kinds = tuple(k for kind in spec["actors"] for k in _ACTOR_KINDS[kind])
        topic = _words_pattern(spec["topic"]) if spec.get("topic") else None
        nets.append(ActionNet(action, kinds, _words_pattern(spec["cue"]), topic))
    return tuple(nets), int(data["window"])


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> Model | None:
    """The shipped model, or None before one has been trained (the rules then stand alone)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Model(data["weights"], data["rule_threshold"], data["net_threshold"])


def review(article: Article, events: list[Event], has_title: bool, catalogued: Collection[str], model: Model) -> list[Event]:
    """The events the model keeps: rule events it believes, wide-net events it believes more."""
    kept: list[Event] = []
    best_net: dict[tuple[str, str], Candidate] = {}
    for candidate in candidates(article, events, has_title, catalogued):
        p = model.probability(candidate.features)
        if candidate.source == "rule":
            if p >= model.rule_threshold:
                kept.append(candidate.event)
            continue
        key = (candidate.event.actor, candidate.event.action)
        if p >= model.net_threshold and (key not in best_net or p > best_net[key].event.confidence):
            best_net[key] = Candidate(candidate.event.model_copy(update={"confidence": round(p, 2)}), "net", candidate.features)
    return kept + [c.event for c in best_net.values()]


def candidates(article: Article, events: list[Event], has_title: bool, catalogued: Collection[str]) -> list[Candidate]:
    """Every rule event and every wide-net candidate, each with its features."""
    context = _ArticleContext.of(article, events, catalogued)
    out = [Candidate(e, "rule", _rule_features(article, context, e, has_title)) for e in events]
    ruled = {(e.actor, e.action) for e in events}
    for index, sentence in enumerate(article.sentences):
        for candidate in _net_candidates(article, context, index, sentence, has_title):
            if (candidate.event.actor, candidate.event.action) not in ruled:
                out.append(candidate)
    return out


@dataclass
class _ArticleContext:
    commodity_mentions: int
    actor_mentions: dict[str, int]
    rule_sentences: set[int]
    catalogued: Collection[str]

    @classmethod
    def of(cls, article: Article, events: list[Event], catalogued: Collection[str]) -> _ArticleContext:
        counts: dict[str, int] = {}
        commodities = 0
        for m in article.mentions:
            if m.kind == "commodity":
                commodities += 1
            else:
                counts[m.name] = counts.get(m.name, 0) + 1
        return cls(commodities, counts, {article.sentence_index(e.start) for e in events}, catalogued)


def _net_candidates(article: Article, context: _ArticleContext, index: int, sentence: tuple[int, int], has_title: bool) -> list[Candidate]:
    start, end = sentence
    actors = article.mentions_between(start, end)
    if not actors:
        return []
    nets, window = action_nets()
    line = article.normalised[start + 1 : end + 1]
    words = [(w.start() + start, w.end() + start) for w in _WORD.finditer(line)]
    found = []
    for net in nets:
        for cue in net.cue.finditer(line):
            cue_start = cue.start() + start
            if net.topic is not None and not _topic_near(net.topic, line, words, cue_start - start, window, start):
                continue
            actor = _nearest_actor(actors, cue_start, net.kinds)
            if actor is None:
                continue
            event = _net_event(article, sentence, net.action, actor, cue_start)
            features = _shared_features(article, context, index, sentence, actor.name, has_title)
            features.update(_net_features(article, words, actors, actor, cue_start, net.action, cue.group()))
            found.append(Candidate(event, "net", features))
    return found


def _topic_near(topic: re.Pattern, line: str, words: list[tuple[int, int]], cue_at: int, window: int, base: int) -> bool:
    index = _word_index(words, cue_at + base)
    lo = words[max(0, index - window)][0] - base
    hi = words[min(len(words) - 1, index + window)][1] - base
    return topic.search(line, lo, hi) is not None


def _word_index(words: list[tuple[int, int]], position: int) -> int:
    for i, (s, e) in enumerate(words):
        if s <= position < e or s > position:
            return i
    return len(words) - 1


def _nearest_actor(actors: list[Mention], position: int, kinds: tuple[str, ...]) -> Mention | None:
    """The last fitting mention before the cue, else the first after it."""
    before = [m for m in actors if m.kind in kinds and m.end <= position]
    if before:
        return before[-1]
    after = [m for m in actors if m.kind in kinds and m.start >= position]
    return after[0] if after else None


def _net_event(article: Article, sentence: tuple[int, int], action: str, actor: Mention, cue_start: int) -> Event:
    start, end = sentence
    commodities = [m.name for m in article.mentions_between(start, end) if m.kind == "commodity"]
    # A price move belongs to the market, named broadly ("thermal coal" -> "coal"), as the rules name it.
    name = article.commodity_heads.get(actor.name, actor.name) if actor.kind == "commodity" else actor.name
    return trusted(
        Event,
        {
            "actor": name, "action": action, "object": commodities[0] if commodities else None,
            "when": None, "amount": None, "change_pct": None, "negated": False, "modality": "asserted",
            "sentence": article.text[start:end], "start": start, "end": end, "confidence": 0.5,
        },
    )


def _rule_features(article: Article, context: _ArticleContext, event: Event, has_title: bool) -> dict[str, float]:
    index = article.sentence_index(event.start)
    features = _shared_features(article, context, index, article.sentences[index], event.actor, has_title)
    features[f"rule:{event.action}"] = 1.0
    features["rule_conf"] = event.confidence
    features[f"rule_mod:{event.modality}"] = 1.0
    if event.negated:
        features["rule_negated"] = 1.0
    if event.amount is not None or event.change_pct is not None:
        features["rule_amount"] = 1.0
    if event.when is not None:
        features["rule_when"] = 1.0
    return features


def _shared_features(article: Article, context: _ArticleContext, index: int, sentence: tuple[int, int], actor: str, has_title: bool) -> dict[str, float]:
    start, end = sentence
    text = article.text[start:end]
    in_sentence = [m for m in article.mentions_between(start, end) if m.name == actor]
    words = len(text.split())
    features = {
        "bias": 1.0,
        "actor_in_sentence": 1.0 if in_sentence else 0.0,
        "headline": 1.0 if index == 0 and has_title else 0.0,
        "early": 1.0 if index <= 2 else 0.0,
        f"length:{_bucket(words, (8, 20, 35, 60))}": 1.0,
        f"commodity_talk:{_bucket(context.commodity_mentions, (0, 2, 5, 12))}": 1.0,
        f"actor_mentions:{_bucket(context.actor_mentions.get(actor, 0), (1, 3, 6))}": 1.0,
        "actor_catalogued": 1.0 if actor in context.catalogued else 0.0,
    }
    kinds = {m.kind for m in in_sentence}
    features["actor_country"] = 1.0 if kinds & {"country", "country_adj"} else 0.0
    if any(ch.isdigit() for ch in text):
        features["figure"] = 1.0
    if "%" in text or " per cent" in text or " percent" in text or " pct" in text:
        features["percent"] = 1.0
    if any(m.kind == "commodity" for m in article.mentions_between(start, end)):
        features["commodity_in_sentence"] = 1.0
    for role in ("negation", "possible", "planned", "forecast"):
        if article.has_cue(role, start, end):
            features[f"cue:{role}"] = 1.0
    if '"' in text or "“" in text:
        features["quote"] = 1.0
    if index in context.rule_sentences:
        features["rule_sentence"] = 1.0
    return features


def _net_features(article: Article, words: list[tuple[int, int]], actors: list[Mention], actor: Mention, cue_start: int, action: str, cue_word: str) -> dict[str, float]:
    after = actor.start >= cue_start
    lo, hi = (cue_start, actor.start) if after else (actor.end, cue_start)
    gap = sum(1 for s, _ in words if lo <= s < hi)
    between = sum(1 for m in actors if m is not actor and lo <= m.start < hi)
    features = {
        f"net:{action}": 1.0,
        f"net_cue:{action}:{cue_word[:7]}": 1.0,
        f"gap:{_bucket(gap, (1, 3, 6, 10))}": 1.0,
        "actor_after": 1.0 if after else 0.0,
        f"between:{min(between, 2)}": 1.0,
        f"net_kind:{action}:{actor.kind}": 1.0,
    }
    # The words between actor and cue, per action ("Alrosa halted sales" vs "Alrosa said sales"):
    # leave-one-batch-out F1 0.594 without them, 0.601 with them (1,100 articles).
    for word in article.words_between(lo, hi)[:6]:
        features[f"gap_word:{action}:{word}"] = 1.0
    return features


def _bucket(value: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if value <= edge:
            return f"<={edge}"
    return f">{edges[-1]}"
