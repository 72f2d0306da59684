"""No record can stall a stage: large articles on Apache Kafka, whose limits are real.

Tansu accepts any record, so these run on Apache Kafka only (the default
broker of the integration suite).
"""

from __future__ import annotations

import psycopg
import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from commands.pipeline import run_once
from enrich.worker import run_enrich
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, decode, encode
from newsflow.settings import FeedConfig, FetchConfig
from sinks.service import run_sink
from tests.factories import raw_article
from tests.integration.ingest_site import Site, article_html, rss, serve
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def long_text(size: int) -> str:
    """Ordinary sentences that keep naming producers and actions, ``size`` characters long."""
    parts, total, n = [], 0, 0
    while total < size:
        sentence = (
            f"Alrosa sold about ${n % 900 + 10} million worth of diamonds in {MONTHS[n % 12]} {1990 + n % 30}, "
            f"and De Beers halted sales of rough stones in {MONTHS[(n + 3) % 12]} {1990 + (n * 7) % 30}. "
        )
        parts.append(sentence)
        total += len(sentence)
        n += 1
    return "".join(parts)[:size]


def _stored(dsn: str) -> dict[str, tuple[int, list[str]]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT id, length(text), truncated_fields FROM articles").fetchall()
    return {row[0]: (row[1], list(row[2] or [])) for row in rows}


def _enrich_then_sink(settings, raw_items) -> tuple:
    targets = produce(settings, settings.topics.raw, raw_items)
    enriched = run_enrich(settings, Stopper(), targets=targets)
    sunk = run_sink(settings, Stopper(), targets=enriched.targets)
    return enriched, sunk


def test_a_1_1_mb_article_goes_through_because_the_topics_take_the_configured_size(make_settings):
    # Before, topics had Apache Kafka's 1 MiB default and enrich died on this article.
    settings = make_settings()
    big = raw_article(1, text=long_text(1_100_000))
    small = raw_article(2)

    enriched, _ = _enrich_then_sink(settings, [(a.id.encode(), encode(a)) for a in (big, small)])

    assert (enriched.enriched, enriched.dead_lettered) == (2, 0)
    on_topic = {decode(EnrichedArticle, r.value).article.id: r for r in read_topic(settings, settings.topics.enriched, 2)}
    whole = decode(EnrichedArticle, on_topic[big.id].value)
    assert len(whole.article.text) == 1_100_000 and whole.truncated_fields == []
    stored = _stored(settings.database_dsn())
    # The sink keeps the text column to a million characters, and says so.
    assert stored[big.id] == (1_000_000, ["text"])
    assert stored[small.id][1] == []


def test_an_article_over_the_limit_is_trimmed_and_says_so(make_settings):
    # Apache Kafka's own default limit, 1 MiB: the raw article fits, its tags push it over.
    settings = make_settings(max_message_bytes=1_048_576)
    big = raw_article(1, text=long_text(1_000_000))
    assert len(encode(big)) < settings.max_message_bytes
    small = raw_article(2)

    enriched, _ = _enrich_then_sink(settings, [(a.id.encode(), encode(a)) for a in (big, small)])

    assert (enriched.enriched, enriched.dead_lettered) == (2, 0)
    on_topic = {decode(EnrichedArticle, r.value).article.id: r for r in read_topic(settings, settings.topics.enriched, 2)}
    assert all(len(r.value) <= settings.max_message_bytes for r in on_topic.values())
    trimmed = decode(EnrichedArticle, on_topic[big.id].value)
    assert "text" in trimmed.truncated_fields and len(trimmed.article.text) < 1_000_000
    assert trimmed.tags.events, "the tags found in the whole text are kept"
    stored = _stored(settings.database_dsn())
    assert "text" in stored[big.id][1] and stored[big.id][0] == len(trimmed.article.text)
    assert stored[small.id][1] == []


def test_a_record_the_broker_refuses_is_dead_lettered_and_the_partition_moves_on(make_settings):
    settings = make_settings()
    # Someone created the enriched topic with a smaller limit than ours: the
    # broker refuses what the producer allowed. Before, enrich died and replayed
    # the same record forever.
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        admin.create_topics([NewTopic(settings.topics.enriched, 1, 1, topic_configs={"max.message.bytes": "200000"})])
    finally:
        admin.close()
    big = raw_article(1, text=long_text(400_000))
    after = [raw_article(n) for n in range(2, 5)]
    items = [(a.id.encode(), encode(a)) for a in (big, *after)]
    targets = produce(settings, settings.topics.raw, items)

    report = run_enrich(settings, Stopper(), targets=targets)

    assert (report.enriched, report.dead_lettered) == (3, 1)
    dead = read_topic(settings, settings.topics.dlq, 1)
    assert len(dead) == 1 and dead[0].key == big.id.encode()
    headers = dict(dead[0].headers)
    assert headers["newsflow.stage"] == b"enrich"
    assert b"TooLarge" in headers["newsflow.error.type"], headers
    enriched = {decode(EnrichedArticle, r.value).article.id for r in read_topic(settings, settings.topics.enriched, 3)}
    assert enriched == {a.id for a in after}


def test_a_50_mb_page_gives_a_stored_article_and_stalls_nothing(make_settings):
    site = Site()
    huge = "<html><body><article>" + "<p>" + "Alrosa halted sales. " * 40 + "</p>" * 1 + "</article>"
    filler = ("<p>" + "diamond market news " * 50 + "</p>") * (50 * 1024 * 1024 // 1010)
    site.set("/news/huge.html", huge + filler + "</body></html>")
    site.set("/news/fine.html", article_html(2, "Fine story"))
    with serve(site):
        site.set("/feed.xml", rss([
            ("huge", f"{site.base_url}/news/huge.html", "Huge page"),
            ("fine", f"{site.base_url}/news/fine.html", "Fine story"),
        ]), "application/rss+xml")
        settings = make_settings(
            feeds=[FeedConfig(url=f"{site.base_url}/feed.xml", name="loopback")],
            fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=30.0),
        )
        report = run_once(settings, Stopper())

    assert len(report.article_ids) == 2
    with psycopg.connect(settings.database_dsn()) as conn:
        rows = dict(conn.execute("SELECT title, extraction FROM articles").fetchall())
    # The 50 MB page is over the fetch cap: stored from the feed entry, with the reason.
    assert rows == {"Huge page": "feed_only", "Fine story": "page"}
