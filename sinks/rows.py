"""From an :class:`EnrichedArticle` to the rows the sink writes: a pure function.

Every string goes through :class:`sinks.clean.Cleaner`, so what reaches
psycopg is always encodable and never longer than its column is meant to be.
Column order here is the column order of the ``*_COLUMNS`` tuples, which
``sinks.postgres`` uses for COPY.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from newsflow.models import EnrichedArticle, Event, Producer
from sinks import clean
from sinks.clean import Cleaner

ARTICLE_COLUMNS = (
    "id", "url", "canonical_url", "feed_url", "feed_name", "entry_id", "site_name",
    "title", "summary", "text", "authors", "language", "published_at", "fetched_at",
    "extraction", "extraction_error", "tagger_version", "enriched_at",
    "truncated_fields", "digest",
)  # fmt: skip
PRODUCER_COLUMNS = (
    "article_id", "producer", "kind", "in_catalogue", "country", "commodities", "mentions",
)  # fmt: skip
EVENT_COLUMNS = (
    "article_id", "ordinal", "actor", "action", "object",
    "when_text", "when_start", "when_end", "when_granularity",
    "amount_value", "amount_unit", "amount_approximate", "amount_text", "change_pct",
    "negated", "modality", "confidence", "sentence", "start_offset", "end_offset",
)  # fmt: skip
COUNTRY_COLUMNS = ("article_id", "country")
COMMODITY_COLUMNS = ("article_id", "commodity")

Row = tuple[Any, ...]


@dataclass(frozen=True)
class ArticleRows:
    """One article as rows: its ``articles`` row and its child rows."""

    id: str
    article: Row
    producers: list[Row]
    events: list[Row]
    countries: list[Row]
    commodities: list[Row]


def article_rows(enriched: EnrichedArticle) -> ArticleRows:
    """Clean ``enriched`` and lay it out as rows; the digest covers everything stored."""
    cleaner = Cleaner()
    article_id = cleaner.text(enriched.article.id, "id", clean.NAME_LIMIT)
    tags = enriched.tags
    producers = [(article_id, *p) for p in _producers(tags.producers, cleaner)]
    events = [(article_id, *e) for e in _events(tags.events, cleaner)]
    countries = [
        (article_id, c) for c in cleaner.texts(tags.countries, "countries", clean.NAME_LIMIT, clean.TAGS_LIMIT)
    ]
    commodities = [
        (article_id, c) for c in cleaner.texts(tags.commodities, "commodities", clean.NAME_LIMIT, clean.TAGS_LIMIT)
    ]
    fields = _article_fields(enriched, cleaner)
    children = (producers, events, countries, commodities)
    digest = _digest(fields, children)
    truncated = sorted(set(cleaner.truncated) | set(enriched.truncated_fields))
    article = (article_id, *fields, truncated, digest)
    return ArticleRows(article_id, article, producers, events, countries, commodities)


def _article_fields(enriched: EnrichedArticle, cleaner: Cleaner) -> Row:
    """The ``articles`` columns between ``id`` and ``truncated_fields``."""
    a = enriched.article
    return (
        cleaner.text(a.url, "url", clean.URL_LIMIT),
        cleaner.text(a.canonical_url, "canonical_url", clean.URL_LIMIT),
        cleaner.text(a.feed_url, "feed_url", clean.URL_LIMIT),
        cleaner.optional(a.feed_name, "feed_name", clean.SHORT_LIMIT),
        cleaner.text(a.entry_id, "entry_id", clean.URL_LIMIT),
        cleaner.optional(a.site_name, "site_name", clean.SHORT_LIMIT),
        cleaner.optional(a.title, "title", clean.TITLE_LIMIT),
        cleaner.optional(a.summary, "summary", clean.SUMMARY_LIMIT),
        cleaner.text(a.text, "text", clean.TEXT_LIMIT),
        cleaner.texts(a.authors, "authors", clean.SHORT_LIMIT, clean.AUTHORS_LIMIT),
        cleaner.optional(a.language, "language", clean.NAME_LIMIT),
        clean.aware(a.published_at),
        clean.aware(a.fetched_at),
        a.extraction,
        cleaner.optional(a.extraction_error, "extraction_error", clean.SHORT_LIMIT),
        cleaner.text(enriched.tagger_version, "tagger_version", clean.NAME_LIMIT),
        clean.aware(enriched.enriched_at),
    )


def _producers(producers: list[Producer], cleaner: Cleaner) -> list[Row]:
    """One row per producer name: a repeated name adds its mentions to the first."""
    by_name: dict[str, list[Any]] = {}
    for p in cleaner.items(producers, "producers", clean.TAGS_LIMIT):
        name = cleaner.text(p.name, "producers.name", clean.NAME_LIMIT)
        if name in by_name:
            by_name[name][-1] += p.mentions
            continue
        by_name[name] = [
            name,
            cleaner.text(p.kind, "producers.kind", clean.NAME_LIMIT),
            p.in_catalogue,
            cleaner.optional(p.country, "producers.country", clean.NAME_LIMIT),
            cleaner.texts(p.commodities, "producers.commodities", clean.NAME_LIMIT, clean.TAGS_LIMIT),
            p.mentions,
        ]
    return [(*row[:-1], clean.clamp_int(row[-1], 0)) for row in by_name.values()]


def _events(events: list[Event], cleaner: Cleaner) -> list[Row]:
    return [_event(i, e, cleaner) for i, e in enumerate(cleaner.items(events, "events", clean.EVENTS_LIMIT))]


def _event(ordinal: int, e: Event, cleaner: Cleaner) -> Row:
    when, amount = e.when, e.amount
    return (
        ordinal,
        cleaner.text(e.actor, "events.actor", clean.NAME_LIMIT),
        cleaner.text(e.action, "events.action", clean.NAME_LIMIT),
        cleaner.optional(e.object, "events.object", clean.NAME_LIMIT),
        cleaner.text(when.text, "events.when.text", clean.SHORT_LIMIT) if when else None,
        when.start if when else None,
        when.end if when else None,
        when.granularity if when else None,
        clean.finite(amount.value) if amount else None,
        cleaner.text(amount.unit, "events.amount.unit", clean.NAME_LIMIT) if amount else None,
        amount.approximate if amount else None,
        cleaner.text(amount.text, "events.amount.text", clean.SHORT_LIMIT) if amount else None,
        clean.finite(e.change_pct),
        e.negated,
        e.modality,
        clean.finite(e.confidence),
        cleaner.text(e.sentence, "events.sentence", clean.SENTENCE_LIMIT),
        cleaner.offset(e.start, "events.start"),
        cleaner.offset(e.end, "events.end"),
    )


def _digest(fields: Row, children: tuple[list[Row], ...]) -> str:
    """A fingerprint of the stored content: equal digests mean a replay changes nothing.

    Strings are hashed as length-prefixed UTF-8 (cheap for a 1 MB text);
    other values by ``repr``, which for these plain types (int, float, bool,
    date, datetime, list, tuple) is stable across processes. The strings are
    already cleaned, so the encode cannot fail.
    """
    digest = hashlib.sha256()
    for value in fields:
        encoded = value.encode("utf-8") if isinstance(value, str) else repr(value).encode("utf-8")
        digest.update(b"%c%d:" % (115 if isinstance(value, str) else 114, len(encoded)))
        digest.update(encoded)
    digest.update(repr(children).encode("utf-8"))
    return digest.hexdigest()
