"""Benchmark the Postgres sink end to end: Kafka topic -> run_sink -> rows.

    python benchmarks/bench_sink.py [-n 5000] [--batch 500]

Uses ``KAFKA_BOOTSTRAP_SERVERS`` / ``DATABASE_URL`` when set, else the embedded
broker and Postgres (devstack/embedded.py). Produces N enriched articles of realistic size
(~6 kB of text, 2 producers, 4 events, countries, commodities) to a fresh
topic, then runs the sink over them twice: a first load, and a replay by a
new consumer group (every row unchanged, so nothing is rewritten). Prints
articles/s and rows/s for both, measured over the whole run (group join and
schema migration included) and over the writing itself.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from kafka import TopicPartition
from psycopg import sql

from devstack.embedded import (
    create_database,
    drop_database,
    kafka_service,
    postgres_service,
)
from newsflow.kafka import ensure_topics, make_producer
from newsflow.lifecycle import Stopper
from newsflow.migrations import with_search_path
from newsflow.models import (
    Amount,
    EnrichedArticle,
    Event,
    Producer,
    RawArticle,
    Tags,
    TimeRef,
    article_id,
    encode,
)
from newsflow.settings import Settings, TopicsConfig
from sinks.service import run_sink

PARAGRAPH = (
    "The two top gem producers, Alrosa and De Beers, both sold about $100 million worth of diamonds "
    "in late November, sources told Bloomberg on Monday. Sales have picked up slightly after some of "
    "the industry's biggest players took radical steps to prop up diamond prices, which have fallen "
    "nearly 30% since March 2022. "
)
CHILD_TABLES = ("article_producers", "article_events", "article_countries", "article_commodities")


def build_article(n: int) -> EnrichedArticle:
    url = f"https://bench.example.com/markets/{n}"
    published = datetime(2023, 12, 18, tzinfo=UTC) + timedelta(minutes=n)
    raw = RawArticle(
        id=article_id(url), url=url, canonical_url=url, feed_url="https://bench.example.com/feed.xml",
        feed_name="bench", entry_id=f"bench-{n}", title=f"Diamond sales pick up, story {n}",
        summary=PARAGRAPH[:200], text=f"Story {n}. " + PARAGRAPH * 20, authors=["Jane Doe", "John Roe"],
        published_at=published, site_name="Bench News", language="en", fetched_at=published,
    )  # fmt: skip
    return EnrichedArticle(article=raw, tags=_tags(), tagger_version="bench-1", enriched_at=published)


def _tags() -> Tags:
    november = TimeRef(text="in late November", start=date(2023, 11, 20), end=date(2023, 11, 30), granularity="range")
    amount = Amount(value=1e8, unit="USD", approximate=True, text="about $100 million")
    events = [
        Event(actor=actor, action=action, object="diamonds", when=november, amount=amount,
              sentence=PARAGRAPH[:140], start=0, end=140, confidence=0.9)
        for actor, action in (("Alrosa", "sales"), ("De Beers", "sales"), ("Alrosa", "sales_halt"),
                              ("De Beers", "purchase_deferral"))
    ]  # fmt: skip
    producers = [
        Producer(name="Alrosa", kind="state", country="Russia", commodities=["diamonds"], mentions=3),
        Producer(name="De Beers", kind="company", country="United Kingdom", commodities=["diamonds"], mentions=3),
    ]
    return Tags(producers=producers, countries=["Russia", "India"], commodities=["diamonds"], events=events)


def produce_all(settings: Settings, n: int) -> tuple[dict[TopicPartition, int], float, int]:
    """Produce n articles; return the acknowledged targets, seconds taken and bytes sent."""
    producer = make_producer(settings, linger_ms=20, batch_size=1_000_000)
    started = time.perf_counter()
    futures, sent = [], 0
    for i in range(n):
        article = build_article(i)
        value = encode(article)
        sent += len(value)
        futures.append(producer.send(settings.topics.enriched, key=article.article.id.encode(), value=value))
    producer.flush()
    targets: dict[TopicPartition, int] = {}
    for future in futures:
        meta = future.get(timeout=60)
        tp = TopicPartition(meta.topic, meta.partition)
        targets[tp] = max(targets.get(tp, 0), meta.offset + 1)
    producer.close()
    return targets, time.perf_counter() - started, sent


def table_rows(database_url: str) -> dict[str, int]:
    with psycopg.connect(with_search_path(database_url)) as conn:
        return {
            t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
            for t in ("articles", *CHILD_TABLES)
        }


def write_span_s(database_url: str, group: str) -> float:
    """Seconds between the first and the last batch transaction of ``group``.

    ``kafka_offsets.updated_at`` is the start time of the last transaction
    that advanced each partition; the first is the earliest ``ingested_at``.
    """
    with psycopg.connect(with_search_path(database_url)) as conn:
        first = conn.execute("SELECT min(ingested_at) FROM articles").fetchone()[0]
        last = conn.execute("SELECT max(updated_at) FROM kafka_offsets WHERE consumer_group = %s", (group,)).fetchone()[
            0
        ]
    return max((last - first).total_seconds(), 1e-6)


def timed_sink(settings: Settings, targets: dict[TopicPartition, int]) -> tuple[float, int, int]:
    started = time.perf_counter()
    report = run_sink(settings, Stopper(), targets=targets)
    return time.perf_counter() - started, report.written, report.batches


def _rate(what: str, seconds: float, articles: int, rows: int) -> None:
    print(f"  {what}: {seconds:.2f}s -> {articles / seconds:,.0f} articles/s, {rows / seconds:,.0f} rows/s")


def bench(settings: Settings, database_url: str, n: int) -> None:
    ensure_topics(settings)
    targets, produce_s, sent = produce_all(settings, n)
    print(f"produced {n} articles ({sent / n / 1024:.1f} KiB each) in {produce_s:.2f}s ({n / produce_s:,.0f}/s)")

    wall, written, batches = timed_sink(settings, targets)
    rows = table_rows(database_url)
    total_rows = sum(rows.values())
    span = write_span_s(database_url, settings.sink_group)
    print(f"first load: {written} articles in {batches} batches; rows {rows}")
    _rate("whole run (join + migrate + write)", wall, written, total_rows)
    _rate("writing (first to last transaction)", span, written, total_rows)

    replay = settings.model_copy(update={"sink_group": settings.sink_group + ".replay"})
    wall, written, batches = timed_sink(replay, targets)
    assert table_rows(database_url) == rows, "a replay must change nothing"
    print(f"replay (new group, nothing changes): {written} articles in {wall:.2f}s -> {written / wall:,.0f} articles/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="articles to produce (default 5000)")
    parser.add_argument("--batch", type=int, default=500, help="sink_batch_size (default 500)")
    parser.add_argument("--partitions", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    run = uuid.uuid4().hex[:8]
    configured = Settings()  # KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL from the environment, if set
    database = configured.database_url.get_secret_value() if configured.database_url else None
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        kafka = stack.enter_context(kafka_service(configured.kafka_bootstrap_servers, Path(tmp) / "broker.log"))
        postgres = stack.enter_context(postgres_service(database, Path(tmp) / "pg"))
        database_url = create_database(postgres.address, f"bench_sink_{run}")
        stack.callback(drop_database, postgres.address, f"bench_sink_{run}")
        print(f"kafka: {kafka.how}; postgres: {postgres.how}")
        settings = Settings(
            kafka_bootstrap_servers=kafka.address,
            database_url=database_url,
            topics=TopicsConfig(
                raw=f"bench{run}.raw",
                enriched=f"bench{run}.enriched",
                dlq=f"bench{run}.dlq",
                partitions=args.partitions,
            ),
            sink_group=f"bench{run}.sink",
            sink_batch_size=args.batch,
            consumer_session_timeout_ms=6000,
            consumer_heartbeat_interval_ms=2000,
        )
        bench(settings, database_url, args.n)


if __name__ == "__main__":
    main()
