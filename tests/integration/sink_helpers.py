"""Helpers for the sink's integration tests: enriched-article factory, table reads, and
the one-call write (rows and offsets in one transaction) the tests use to fill a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from kafka import TopicPartition
from psycopg import sql

from newsflow.models import Amount, EnrichedArticle, Event, Producer, Tags, TimeRef, encode
from sinks.postgres import load_stored_offsets, store_offsets, write_rows
from sinks.rows import article_rows
from tests.factories import SEED_TEXT, raw_article

_COUNT = sql.SQL("SELECT count(*) FROM {}")
TABLES = ("articles", "article_producers", "article_events", "article_countries", "article_commodities")

# Per article, what enriched_article() tags: 2 producers, 3 events, 2 countries, 1 commodity.
PRODUCERS_PER_ARTICLE = 2
EVENTS_PER_ARTICLE = 3
COUNTRIES_PER_ARTICLE = 2
COMMODITIES_PER_ARTICLE = 1


def _month(text: str, start: date, end: date) -> TimeRef:
    return TimeRef(text=text, start=start, end=end, granularity="month")


def seed_tags() -> Tags:
    """The seed article's tags (the README's first run shows them), as the enricher would emit them."""
    november = _month("in late November", date(2023, 11, 1), date(2023, 11, 30))
    sold = Amount(value=1e8, unit="USD", approximate=True, text="about $100 million")
    events = [
        Event(actor="Alrosa", action="sales", object="diamonds", when=november, amount=sold,
              sentence=SEED_TEXT[:120], start=0, end=120, confidence=0.9),
        Event(actor="India", action="import_ban", object="diamonds",
              when=_month("in October", date(2023, 10, 1), date(2023, 10, 31)),
              sentence="India banned all imports of the gemstone in October.", start=400, end=452),
        Event(actor="diamonds", action="price_fall", object="diamonds", change_pct=-30.0, modality="asserted",
              sentence="diamond prices, which have fallen nearly 30% since March 2022.", start=200, end=262),
    ]  # fmt: skip
    producers = [
        Producer(name="Alrosa", kind="state", country="Russia", commodities=["diamonds"], mentions=2),
        Producer(name="De Beers", kind="company", country="United Kingdom", commodities=["diamonds"], mentions=2),
    ]
    return Tags(producers=producers, countries=["Russia", "India"], commodities=["diamonds"], events=events)


def enriched_article(n: int = 0, tags: Tags | None = None, **article: Any) -> EnrichedArticle:
    return EnrichedArticle(
        article=raw_article(n, **({"authors": ["Jane Doe"], "site_name": "Example News", "language": "en"} | article)),
        tags=tags if tags is not None else seed_tags(),
        tagger_version="test-1",
        enriched_at=datetime(2023, 12, 18, 14, 7, tzinfo=UTC),
    )


def keyed(articles: list[EnrichedArticle]) -> list[tuple[bytes, bytes]]:
    """(key, value) pairs as enrich publishes them: key = article id."""
    return [(a.article.id.encode(), encode(a)) for a in articles]


def counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {t: conn.execute(_COUNT.format(sql.Identifier(t))).fetchone()[0] for t in TABLES}


def snapshot(database_url: str) -> dict[str, list[tuple]]:
    """Every row of every table (articles with xmin: proof that no row was rewritten)."""
    queries = {
        "articles": "SELECT xmin::text, * FROM articles ORDER BY id",
        "article_producers": "SELECT xmin::text, * FROM article_producers ORDER BY article_id, producer",
        "article_events": "SELECT xmin::text, * FROM article_events ORDER BY article_id, ordinal",
        "article_countries": "SELECT xmin::text, * FROM article_countries ORDER BY 2, 3",
        "article_commodities": "SELECT xmin::text, * FROM article_commodities ORDER BY 2, 3",
    }
    with psycopg.connect(database_url) as conn:
        return {name: conn.execute(q).fetchall() for name, q in queries.items()}


def stored_offsets(database_url: str, group: str) -> dict[tuple[str, int], int]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT topic, partition, next_offset FROM kafka_offsets WHERE consumer_group = %s", (group,)
        ).fetchall()
    return {(topic, partition): offset for topic, partition, offset in rows}


def upsert_articles(
    conn: psycopg.Connection,
    articles: Sequence[EnrichedArticle],
    offsets: dict[TopicPartition, int],
    group: str,
    cluster: str = "",
) -> list[str]:
    """Write ``articles`` and advance ``group``'s ``offsets``, in one transaction.

    Returns the ids of the articles that were new or changed. The same id twice
    in ``articles``: the last one wins.
    """
    rows = [article_rows(a) for a in articles]
    with conn.transaction():
        changed = write_rows(conn, rows)
        store_offsets(conn, group, offsets, cluster)
    return changed


def load_offsets(conn: psycopg.Connection, group: str, topic: str, cluster: str = "") -> dict[int, int]:
    """The stored next offset per partition of ``topic`` for ``group`` on ``cluster``."""
    return {p: stored.next_offset for p, stored in load_stored_offsets(conn, group, topic, cluster).items()}
