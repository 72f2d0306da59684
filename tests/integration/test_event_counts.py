"""The timeline's monthly rollup (``event_counts``) against a real Postgres.

The rollup is written by triggers in the sink's own transactions, so these
tests write through the sink (``write_rows``, and ``upsert_articles`` of sink_helpers) and check
two things: the rollup is always exactly the events' own counts, whatever the
sink replays, rewrites or rolls back; and the timeline's counts read from it
equal the raw query's under every filter.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from kafka import TopicPartition

from newsflow.errors import ConfigError
from newsflow.models import EnrichedArticle, Event, Tags, TimeRef
from sinks.postgres import connect, write_rows
from sinks.rows import article_rows
from sinks.schema import MIGRATIONS, migrate
from tests.factories import raw_article
from tests.integration.sink_helpers import upsert_articles
from webapp.filters import Filters
from webapp.queries import raw_counts, scope, timeline_counts
from webapp.serve import check_schema

pytestmark = pytest.mark.integration

TP = TopicPartition("news.articles.enriched", 0)
ACTORS = ("De Beers", "Alrosa", "Glencore", "India", "Rio Tinto", "Codelco", "Russia")
COUNTRIES = {"De Beers": "United Kingdom", "Alrosa": "Russia", "Glencore": "Switzerland", "India": "India",
             "Rio Tinto": "United Kingdom", "Codelco": "Chile", "Russia": "Russia"}  # fmt: skip
ACTIONS = ("sales", "sales_halt", "purchase_deferral", "export_ban", "output_cut")
OBJECTS = ("diamonds", "copper", "coal", None)
FIRST_DAY = date(2021, 1, 1)

# What the rollup must hold: the events' own counts, grouped as it groups them.
EXPECTED = """
    SELECT g.grain, date_trunc(g.grain, e.on_date::timestamp)::date, e.actor, e.object,
           CASE WHEN e.negated THEN 'negated' ELSE e.modality END, count(*)
    FROM article_events e CROSS JOIN (VALUES ('month'), ('year')) AS g (grain)
    WHERE e.on_date IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
"""
STORED = "SELECT grain, period, actor, object, kind, n FROM event_counts ORDER BY 1, 2, 3, 4, 5"


@pytest.fixture
def conn(database_url: str) -> Iterator[psycopg.Connection]:
    with connect(database_url) as connection:
        migrate(connection)
        yield connection


def story(n: int, rng: random.Random, version: int = 0) -> EnrichedArticle:
    """Article ``n`` with a few random events; a higher ``version`` is a later enrichment."""
    published = FIRST_DAY + timedelta(days=rng.randrange(3 * 365))
    events = [_event(rng, published, i) for i in range(rng.randint(1, 6))]
    # Some articles have no date at all: their undated events sit nowhere on the timeline.
    published_at = datetime(published.year, published.month, published.day, 9, tzinfo=UTC) if n % 17 else None
    return EnrichedArticle(
        article=raw_article(n, published_at=published_at),
        tags=Tags(events=events),
        tagger_version="test-1",
        enriched_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=version),
    )


def _event(rng: random.Random, published: date, i: int) -> Event:
    when = None
    if rng.random() < 0.6:
        start = published - timedelta(days=rng.randrange(90))
        when = TimeRef(text="then", start=start, end=start + timedelta(days=rng.choice((0, 30))), granularity="day")
    return Event(
        actor=rng.choice(ACTORS), action=rng.choice(ACTIONS), object=rng.choice(OBJECTS), when=when,
        negated=rng.random() < 0.1, modality=rng.choice(("asserted", "asserted", "planned", "possible")),
        sentence=f"Event {i}.", start=i * 10, end=i * 10 + 8,
    )  # fmt: skip


def write(conn: psycopg.Connection, articles: list[EnrichedArticle]) -> list[str]:
    return write_rows(conn, [article_rows(a) for a in articles])


def rollup(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(STORED).fetchall()


def expected(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(EXPECTED).fetchall()


def test_the_rollup_stays_equal_to_the_events_through_replays_rewrites_and_rollbacks(conn) -> None:
    rng = random.Random(11)
    articles = [story(n, rng) for n in range(120)]
    write(conn, articles[:60])
    write(conn, articles[40:])  # overlapping batches: 20 replayed within the load
    before = rollup(conn)
    assert before == expected(conn)
    assert sum(row[-1] for row in before) > 200

    # A redelivered batch (a sink killed before it committed its offsets) stores nothing twice.
    assert upsert_articles(conn, articles, {TP: 120}, "g") == []
    assert rollup(conn) == before

    # A re-enriched article replaces its events: its old counts leave, its new ones arrive.
    rewritten = [story(n, random.Random(1000 + n), version=1) for n in range(0, 120, 7)]
    assert sorted(write(conn, rewritten)) == sorted(a.article.id for a in rewritten)
    after_rewrite = rollup(conn)
    assert after_rewrite != before
    assert after_rewrite == expected(conn)
    # The older enrichment arriving late changes nothing (the sink keeps the newer one).
    assert write(conn, [articles[0]]) == []
    assert rollup(conn) == after_rewrite

    # A batch that fails after writing (a crash before commit) leaves no count behind.
    with pytest.raises(RuntimeError), conn.transaction():
        write(conn, [story(n, rng, version=2) for n in range(500, 520)])
        raise RuntimeError("the sink died before committing")
    assert rollup(conn) == after_rewrite

    # Every other way events change: an article deleted (cascade), an event edited, all cleared.
    conn.execute("DELETE FROM articles WHERE id = %s", (articles[3].article.id,))
    conn.execute("UPDATE article_events SET actor = 'Anglo American', negated = NOT negated "
                 "WHERE ordinal = 0 AND article_id < '8'")
    assert rollup(conn) == expected(conn)
    assert rollup(conn) != after_rewrite
    assert not conn.execute("SELECT 1 FROM event_counts WHERE n <= 0").fetchall()
    conn.execute("TRUNCATE articles CASCADE")
    assert rollup(conn) == []


def test_rewriting_the_same_article_again_and_again_keeps_its_counts(conn) -> None:
    rng = random.Random(5)
    article = story(1, rng)
    write(conn, [article])
    once = rollup(conn)
    assert once == expected(conn) and once

    for version in range(1, 4):
        # The same events re-enriched later: the sink rewrites the article, deleting its events and
        # inserting them again, and the counts stay put.
        later = article.model_copy(update={"enriched_at": article.enriched_at + timedelta(hours=version)})
        assert write(conn, [later]) == [article.article.id]
        assert rollup(conn) == once
        # Then the first version redelivered: older, so nothing is written.
        assert upsert_articles(conn, [article], {TP: version}, "g") == []
        assert rollup(conn) == once

    # Changed content (another title) rewrites the article and its same events: the counts stay put.
    retitled = article.model_copy(update={
        "article": article.article.model_copy(update={"title": "Retitled"}),
        "enriched_at": article.enriched_at + timedelta(days=1),
    })  # fmt: skip
    assert write(conn, [retitled]) == [article.article.id]
    assert rollup(conn) == once


WINDOWS = (
    (date(2021, 1, 1), date(2023, 12, 31)),  # whole years: the rollup alone
    (date(2020, 6, 1), date(2024, 6, 30)),  # beyond the data at both ends, whole months
    (date(2021, 3, 17), date(2023, 8, 9)),  # part-months and part-years at both ends
    (date(2022, 2, 1), date(2022, 2, 28)),  # one whole month
    (date(2022, 2, 2), date(2022, 3, 30)),  # no whole month: the events alone
    (date(2021, 12, 31), date(2022, 1, 1)),  # two days across a year's end
)
FILTERS = (
    Filters(),
    Filters(producers=("De Beers",)),
    Filters(producers=("De Beers", "Alrosa"), actions=("sales", "export_ban")),
    Filters(actions=("purchase_deferral",), kinds=("negated",)),
    Filters(commodities=("copper",), kinds=("possible", "planned")),
    Filters(countries=("Russia",)),
    Filters(countries=("United Kingdom", "Chile"), lanes="country"),
    Filters(lanes="commodity"),
    Filters(lanes="commodity", kinds=("asserted",), producers=("Glencore", "India")),
    Filters(lanes="country", actions=("sales",)),  # no action in the rollup: the events alone
    Filters(producers=("Nobody",)),  # nothing at all
)


@pytest.mark.parametrize("unit", ["month", "year"])
def test_rollup_backed_counts_equal_the_raw_query_under_every_filter(conn, unit) -> None:
    rng = random.Random(3)
    write(conn, [story(n, rng) for n in range(400)])
    checked = 0
    for start, end in WINDOWS:
        for filters in FILTERS:
            windowed = replace(filters, date_from=start, date_to=end)
            raw = raw_counts(conn, scope(windowed, COUNTRIES), unit)
            assert timeline_counts(conn, windowed, COUNTRIES, unit) == raw, (windowed, unit)
            checked += bool(raw)
    assert checked > len(WINDOWS) * len(FILTERS) // 2  # most views count something

    # With fewer lanes than the data has, both pick the same busiest ones.
    windowed = Filters(date_from=date(2021, 3, 17), date_to=date(2023, 8, 9))
    assert timeline_counts(conn, windowed, COUNTRIES, unit, lanes=3) == raw_counts(
        conn, scope(windowed, COUNTRIES), unit, lanes=3)


def test_the_timeline_reads_the_rollup_for_whole_periods(conn) -> None:
    """Proof that the equality above compared the rollup, not the raw query with itself."""
    write(conn, [story(n, random.Random(n)) for n in range(50)])
    windowed = Filters(date_from=date(2021, 1, 1), date_to=date(2023, 12, 31))
    assert timeline_counts(conn, windowed, COUNTRIES, "year") == raw_counts(conn, scope(windowed, COUNTRIES), "year")
    with pytest.raises(RuntimeError), conn.transaction():
        conn.execute("UPDATE event_counts SET n = n + 1000 WHERE grain = 'year'")
        inflated = timeline_counts(conn, windowed, COUNTRIES, "year")
        assert inflated != raw_counts(conn, scope(windowed, COUNTRIES), "year")
        assert sum(row["n"] for row in inflated) >= 1000
        raise RuntimeError("undo the inflation")


def test_serve_refuses_a_database_without_the_rollup_and_says_how_to_migrate(database_url) -> None:
    with connect(database_url) as connection:
        migrate(connection, MIGRATIONS[:4])
    with pytest.raises(ConfigError, match="version 4, the page needs 5"):
        check_schema(database_url)
    with connect(database_url) as connection:
        assert migrate(connection) == [5, 6, 7]
    check_schema(database_url)


def test_two_sinks_writing_and_rewriting_at_once_keep_the_counts_exact(conn, database_url) -> None:
    """Two writers share rollup rows (same actors and months): no update is lost, and no
    deadlock although a rewrite changes shared rows twice (the triggers' advisory lock)."""
    failures: list[BaseException] = []

    def sink(first: int) -> None:
        rng = random.Random(first)
        try:
            with connect(database_url) as own:
                for batch in range(12):
                    ids = range(first + batch * 5, first + batch * 5 + 5)
                    # New articles, plus a rewrite of the previous batch's.
                    articles = [story(n, rng) for n in ids]
                    articles += [story(n - 5, rng, version=batch) for n in ids if batch]
                    write(own, articles)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=sink, args=(first,)) for first in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert failures == []
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 120
    assert rollup(conn) == expected(conn)
