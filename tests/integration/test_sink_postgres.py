"""sinks.postgres against a real Postgres: idempotent upserts and offset bookkeeping."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from kafka import TopicPartition

from newsflow.lifecycle import Stopper
from newsflow.settings import DatabaseConfig
from sinks.database import Database
from sinks.poison import is_poison
from sinks.positioning import StoredOffset
from sinks.postgres import (
    connect,
    load_stored_offsets,
    reset_offsets,
    store_offsets,
    write_rows,
)
from sinks.rows import article_rows
from sinks.schema import migrate
from tests.integration.sink_helpers import counts, enriched_article, load_offsets, upsert_articles

pytestmark = pytest.mark.integration

TP0, TP1 = TopicPartition("news.articles.enriched", 0), TopicPartition("news.articles.enriched", 1)


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with connect(database_url) as connection:
        migrate(connection)
        yield connection


def test_upsert_reports_only_new_or_changed_articles(conn: psycopg.Connection) -> None:
    articles = [enriched_article(i) for i in range(3)]
    first = upsert_articles(conn, articles, {TP0: 3}, "g")
    again = upsert_articles(conn, articles, {TP0: 3}, "g")
    changed = upsert_articles(conn, [enriched_article(1, title="new title")], {TP0: 4}, "g")

    assert sorted(first) == sorted(a.article.id for a in articles)
    assert again == []
    assert changed == [articles[1].article.id]


def test_an_older_version_never_overwrites_a_newer_one(conn: psycopg.Connection) -> None:
    new = enriched_article(1, title="newer")
    older_article = new.article.model_copy(update={"title": "older"})
    old = new.model_copy(update={"enriched_at": new.enriched_at - timedelta(hours=1), "article": older_article})
    upsert_articles(conn, [new], {TP0: 2}, "g")
    assert upsert_articles(conn, [old], {TP0: 1}, "g") == []
    assert conn.execute("SELECT title FROM articles").fetchone() == ("newer",)


def test_offsets_never_move_backwards(conn: psycopg.Connection) -> None:
    upsert_articles(conn, [], {TP0: 10, TP1: 4}, "g")
    upsert_articles(conn, [], {TP0: 7, TP1: 9}, "g")
    upsert_articles(conn, [], {TP0: 12}, "other")

    assert load_offsets(conn, "g", TP0.topic) == {0: 10, 1: 9}
    assert load_offsets(conn, "other", TP0.topic) == {0: 12}
    assert load_offsets(conn, "g", "another.topic") == {}


def test_offsets_of_one_cluster_never_position_a_consumer_on_another(conn: psycopg.Connection) -> None:
    # The embedded broker is a new, empty cluster on every start: offsets it
    # left behind must not make the sink skip the new cluster's first records.
    upsert_articles(conn, [], {TP0: 40}, "g", "cluster-a")

    assert load_offsets(conn, "g", TP0.topic, "cluster-b") == {}
    assert load_offsets(conn, "g", TP0.topic, "cluster-a") == {0: 40}


def test_rows_and_offsets_commit_together_or_not_at_all(conn: psycopg.Connection, database_url: str) -> None:
    rows = article_rows(enriched_article(2))
    poison = dataclasses.replace(rows, producers=rows.producers * 2)  # the same producer twice: a PK violation
    with pytest.raises(psycopg.IntegrityError) as caught, conn.transaction():
        write_rows(conn, [article_rows(enriched_article(1)), poison])
        store_offsets(conn, "g", {TP0: 2})
    assert is_poison(caught.value)
    assert counts(database_url)["articles"] == 0
    assert load_offsets(conn, "g", TP0.topic) == {}


def test_uncleaned_text_fails_as_poison_and_leaves_the_connection_usable(conn: psycopg.Connection) -> None:
    rows = article_rows(enriched_article(1))
    for bad in ("a\x00b", "lone \ud800"):
        dirty = dataclasses.replace(rows, article=(*rows.article[:7], bad, *rows.article[8:]))
        with pytest.raises(Exception) as caught, conn.transaction():
            write_rows(conn, [dirty])
        assert is_poison(caught.value), caught.value
    assert write_rows(conn, [rows]) == [rows.id]


def test_every_connection_carries_deadlines(database_url: str) -> None:
    deadlines = DatabaseConfig(statement_timeout_s=7.5, idle_in_transaction_timeout_s=42, tcp_user_timeout_s=11)
    with connect(database_url, deadlines=deadlines) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "7500ms"
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone()[0] == "42s"
        assert conn.execute("SHOW TimeZone").fetchone()[0] == "UTC"
        params = {p.keyword: p.val for p in conn.pgconn.info}
    assert params[b"keepalives"] == b"1"
    assert params[b"tcp_user_timeout"] == b"11000"
    assert params[b"connect_timeout"] == b"5"
    with pytest.raises(psycopg.errors.QueryCanceled), connect(database_url, deadlines=deadlines) as conn:
        conn.execute("SELECT pg_sleep(0.5)")  # fine
        conn.execute("SET statement_timeout = 200")
        conn.execute("SELECT pg_sleep(2)")


def test_offsets_of_a_recreated_topic_replace_the_old_ones(conn: psycopg.Connection) -> None:
    # Same cluster, new topic id: GREATEST must not keep the old log's higher offset.
    store_offsets(conn, "g", {TP0: 500}, "c", "old-topic-id")
    store_offsets(conn, "g", {TP0: 20}, "c", "new-topic-id")
    assert load_stored_offsets(conn, "g", TP0.topic, "c") == {0: StoredOffset(20, "new-topic-id")}
    store_offsets(conn, "g", {TP0: 10}, "c", "new-topic-id")  # a late writer on the same log
    assert load_offsets(conn, "g", TP0.topic, "c") == {0: 20}
    reset_offsets(conn, "g", {TP0: 0}, "c", "new-topic-id")  # a replay decided at positioning
    assert load_offsets(conn, "g", TP0.topic, "c") == {0: 0}


def test_a_unit_of_work_that_outlives_its_deadline_is_cut_and_the_next_one_reconnects(database_url: str) -> None:
    stopper = Stopper()
    database = Database(database_url, stopper, DatabaseConfig(work_timeout_s=1.0, statement_timeout_s=60))
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        database.attempt(lambda c: c.execute("SELECT pg_sleep(10)"))
    assert time.monotonic() - started < 3.0
    database.drop()
    assert database.call(lambda c: c.execute("SELECT 1").fetchone()[0]) == 1  # a new connection
    database.close()
