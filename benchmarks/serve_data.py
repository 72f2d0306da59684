"""Synthetic newsflow data for the `newsflow serve` benchmark, loaded with COPY.

The rows are made up but shaped like the sink's: catalogue producers and
countries as actors (a few of them far more active than the rest, as in real
news), the action vocabulary, commodities as objects, dates over six years,
mostly asserted events with some planned, possible and negated ones.

The timeline's rollup (``event_counts``) is filled as in production: the
triggers of migration 5 run on this COPY of ``article_events`` as they do on
the sink's, in the same transaction.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import psycopg
from psycopg import sql

from newsflow.migrations import with_search_path
from sinks.schema import migrate

ACTIONS = (
    "sales", "sales_halt", "sales_resume", "purchase_deferral", "supply_restriction", "output_cut",
    "output_increase", "price_cut", "price_increase", "price_fall", "price_rise", "import_ban",
    "export_ban", "sanctions", "acquisition", "force_majeure", "strike",
)  # fmt: skip
FIRST_DAY = date(2020, 1, 1)
DAYS = 6 * 365
EVENTS_PER_ARTICLE = 10


def _actors(rng: random.Random) -> list[tuple[str, str | None, str]]:
    """(name, country, commodity) for catalogue producers and countries, busiest first."""
    from enrich.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    producers = [
        (p.name, p.country, p.commodities[0] if p.commodities else "oil")
        for p in taxonomy.producers.values()
    ]
    countries = [(c, c, "oil") for c in list(taxonomy.countries)[:60]]
    actors = producers + countries
    rng.shuffle(actors)
    # De Beers busy, as in the seed data.
    actors.sort(key=lambda a: a[0] != "De Beers")
    return actors


def fill(dsn: str, events: int, seed: int = 7) -> int:
    """Create the schema and load ``events`` events in articles of 10; return the article count."""
    rng = random.Random(seed)
    actors = _actors(rng)
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(actors))]
    articles = events // EVENTS_PER_ARTICLE
    with psycopg.connect(with_search_path(dsn)) as conn:
        migrate(conn)
        with conn.transaction():
            _copy_rows(conn, rng, actors, weights, articles)
        conn.execute("ANALYZE")
    return articles


def _copy_rows(conn, rng, actors, weights, articles: int) -> None:
    cur = conn.cursor()
    with (
        cur.copy("COPY articles (id, url, canonical_url, feed_url, entry_id, title, text, published_at, "
                 "fetched_at, extraction, tagger_version, enriched_at, digest) FROM STDIN") as art,
    ):
        rows_events, rows_producers, rows_countries, rows_commodities = [], [], [], []
        for n in range(articles):
            aid = f"{n:032x}"
            published = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            at = datetime(published.year, published.month, published.day, 12, tzinfo=UTC)
            chosen = rng.choices(actors, weights, k=EVENTS_PER_ARTICLE)
            sentences = []
            offset = 0
            for i, (actor, _country, commodity) in enumerate(chosen):
                action = ACTIONS[rng.randrange(len(ACTIONS))]
                sentence = f"{actor} reported {action.replace('_', ' ')} of {commodity} number {i}."
                # About a third of real events state no time: the page places them at publication.
                start = published - timedelta(days=rng.randrange(60)) if rng.random() < 0.7 else None
                end = start + timedelta(days=rng.choice((0, 9, 29))) if start else None
                roll = rng.random()
                modality = "asserted" if roll < 0.8 else "planned" if roll < 0.92 else "possible"
                negated = rng.random() < 0.05
                rows_events.append((
                    aid, i, actor, action, commodity, start and start.strftime("%B %Y"), start, end, start and "month",
                    negated, modality, 0.9, sentence, offset, offset + len(sentence),
                ))
                sentences.append(sentence)
                offset += len(sentence) + 1
            for actor, country, commodity in {c[0]: c for c in chosen}.values():
                rows_producers.append((aid, actor, "company", True, country, [commodity], 1))
            for country in {c[1] for c in chosen if c[1]}:
                rows_countries.append((aid, country))
            for commodity in {c[2] for c in chosen}:
                rows_commodities.append((aid, commodity))
            art.write_row((
                aid, f"https://news.example.com/{n}", f"https://news.example.com/{n}",
                "https://news.example.com/feed", f"e{n}", f"Synthetic story {n}", " ".join(sentences),
                at, at, "page", "bench", at, aid,
            ))
    _copy(cur, "article_events (article_id, ordinal, actor, action, object, when_text, when_start, when_end, "
          "when_granularity, negated, modality, confidence, sentence, start_offset, end_offset)", rows_events)
    _copy(cur, "article_producers (article_id, producer, kind, in_catalogue, country, commodities, mentions)",
          rows_producers)
    _copy(cur, "article_countries (article_id, country)", rows_countries)
    _copy(cur, "article_commodities (article_id, commodity)", rows_commodities)


def _copy(cur, target: str, rows: list[tuple]) -> None:
    table, columns = target.split(" ", 1)
    names = [c.strip() for c in columns.strip("()").split(",")]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
