"""The sink against a real broker and a real Postgres: rows, replays, poison, limits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import jsonschema
import psycopg
import pytest
from kafka import KafkaAdminClient, TopicPartition

from newsflow.kafka import ensure_topics
from newsflow.lifecycle import Stopper
from newsflow.models import TOPIC_DLQ, encode
from newsflow.settings import Settings
from newsflow.topic_schemas import SCHEMAS_DIR, file_name
from sinks.postgres import connect
from sinks.schema import MIGRATIONS, current_version, migrate
from sinks.service import run_sink
from tests.integration.sink_helpers import (
    COMMODITIES_PER_ARTICLE,
    COUNTRIES_PER_ARTICLE,
    EVENTS_PER_ARTICLE,
    PRODUCERS_PER_ARTICLE,
    counts,
    enriched_article,
    keyed,
    snapshot,
    stored_offsets,
)
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

SettingsFactory = Callable[..., Settings]


def _expected_counts(n: int) -> dict[str, int]:
    return {
        "articles": n,
        "article_producers": n * PRODUCERS_PER_ARTICLE,
        "article_events": n * EVENTS_PER_ARTICLE,
        "article_countries": n * COUNTRIES_PER_ARTICLE,
        "article_commodities": n * COMMODITIES_PER_ARTICLE,
    }


def _publish(settings: Settings, items: list[tuple[bytes, bytes]]) -> dict[TopicPartition, int]:
    """Produce to the enriched topic (created first, with the configured partitions)."""
    ensure_topics(settings)
    return produce(settings, settings.topics.enriched, items)


def _sink_once(settings: Settings, targets: dict[TopicPartition, int]):
    return run_sink(settings, Stopper(), targets=targets)


def _offsets_by_key(targets: dict[TopicPartition, int]) -> dict[tuple[str, int], int]:
    return {(tp.topic, tp.partition): offset for tp, offset in targets.items()}


def test_writes_articles_tags_and_offsets(make_settings: SettingsFactory, database_url: str) -> None:
    settings = make_settings(sink_batch_size=25)
    targets = _publish(settings, keyed([enriched_article(i) for i in range(60)]))

    report = _sink_once(settings, targets)

    assert (report.written, report.dead_lettered) == (60, 0)
    assert report.batches >= 3
    assert counts(database_url) == _expected_counts(60)
    assert stored_offsets(database_url, settings.sink_group) == _offsets_by_key(targets)
    assert _kafka_committed(settings) == targets  # mirrored for lag tools


def _kafka_committed(settings: Settings) -> dict[TopicPartition, int]:
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        offsets = admin.list_group_offsets(settings.sink_group)[settings.sink_group]
    finally:
        admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def test_rows_hold_canonical_names_and_typed_values(make_settings: SettingsFactory, database_url: str) -> None:
    settings = make_settings()
    targets = _publish(settings, keyed([enriched_article(0)]))
    _sink_once(settings, targets)

    with psycopg.connect(database_url) as conn:
        event = conn.execute(
            "SELECT actor, action, object, when_start::text, when_end::text, when_granularity, "
            "amount_value, amount_unit, amount_approximate, negated, modality, "
            "occurred @> date '2023-11-20' FROM event_facts WHERE action = 'sales'"
        ).fetchone()
        producers = conn.execute(
            "SELECT producer, kind, in_catalogue, country, commodities FROM article_producers ORDER BY producer"
        ).fetchall()
        article = conn.execute(
            "SELECT title, authors, site_name, language, extraction, tagger_version, "
            "published_at = timestamptz '2023-12-18 14:05Z', truncated_fields FROM articles"
        ).fetchone()
    assert event == ("Alrosa", "sales", "diamonds", "2023-11-01", "2023-11-30", "month",
                     1e8, "USD", True, False, "asserted", True)  # fmt: skip
    assert producers == [
        ("Alrosa", "state", True, "Russia", ["diamonds"]),
        ("De Beers", "company", True, "United Kingdom", ["diamonds"]),
    ]
    assert article == ("Story 0", ["Jane Doe"], "Example News", "en", "page", "test-1", True, [])


def test_replay_changes_nothing(make_settings: SettingsFactory, database_url: str) -> None:
    settings = make_settings()
    targets = _publish(settings, keyed([enriched_article(i) for i in range(40)]))
    _sink_once(settings, targets)
    before = snapshot(database_url)

    # A new consumer group reads everything again; then the first group with its offsets reset.
    _sink_once(make_settings(sink_group=f"{settings.sink_group}.replay"), targets)
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM kafka_offsets WHERE consumer_group = %s", (settings.sink_group,))
    report = _sink_once(settings, targets)

    assert report.written == 40
    assert snapshot(database_url) == before  # same contents, same xmin: no row rewritten


def test_same_article_twice_in_a_batch_last_wins(make_settings: SettingsFactory, database_url: str) -> None:
    settings = make_settings(sink_batch_size=100)
    versions = [enriched_article(7, title=f"version {v}") for v in range(3)]
    targets = _publish(settings, keyed(versions))

    _sink_once(settings, targets)

    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT title FROM articles").fetchall() == [("version 2",)]
    assert counts(database_url)["article_events"] == EVENTS_PER_ARTICLE


def test_a_changed_article_replaces_its_tags_and_keeps_ingested_at(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings()
    first = enriched_article(1)
    _sink_once(settings, _publish(settings, keyed([first])))
    with psycopg.connect(database_url) as conn:
        ingested = conn.execute("SELECT ingested_at FROM articles").fetchone()[0]

    retagged = first.model_copy(update={"tags": first.tags.model_copy(update={"events": first.tags.events[:1]})})
    _sink_once(settings, _publish(settings, keyed([retagged])))

    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT ingested_at, updated_at > ingested_at FROM articles").fetchone()
    assert row == (ingested, True)
    assert counts(database_url)["article_events"] == 1


def _valid_json(n: int) -> dict:
    return json.loads(encode(enriched_article(n)))


def _poison_values() -> dict[str, bytes]:
    """docs/bad-inputs.md #20: what must be dead-lettered."""
    surrogate = encode(enriched_article(900)).replace(b'"Story 900"', b'"\\ud800"')
    wrong_version = _valid_json(901) | {"schema_version": 99}
    return {
        "lone surrogate": surrogate,
        "raw FF FE": b"\xff\xfe",
        "truncated json": encode(enriched_article(902))[:-40],
        "empty": b"",
        "wrong schema version": json.dumps(wrong_version).encode(),
    }


def test_poison_is_dead_lettered_and_the_good_records_beside_it_are_written(
    make_settings: SettingsFactory, database_url: str
) -> None:
    settings = make_settings()
    nul = enriched_article(1, title="a\x00b", text="before\x00after")
    # Duplicate keys: JSON parsers keep the last, so this one is valid (schema_version 1).
    duplicate_keys = encode(enriched_article(2)).replace(
        b'{"schema_version":1,', b'{"schema_version":7,"schema_version":1,'
    )
    poison = _poison_values()
    items = (
        keyed([enriched_article(0)])
        + [(b"poison", value) for value in poison.values()]
        + keyed([nul])
        + [(b"dup", duplicate_keys)]
        + keyed([enriched_article(3)])
    )
    targets = _publish(settings, items)

    report = _sink_once(settings, targets)

    assert (report.written, report.dead_lettered) == (4, len(poison))
    with psycopg.connect(database_url) as conn:
        cleaned = conn.execute("SELECT title, text FROM articles WHERE id = %s", (nul.article.id,)).fetchone()
    assert cleaned == ("ab", "beforeafter")
    assert counts(database_url)["articles"] == 4
    assert stored_offsets(database_url, settings.sink_group) == _offsets_by_key(targets)
    _assert_dead_letters(settings, expected=set(poison.values()))


def _assert_dead_letters(settings: Settings, expected: set[bytes]) -> None:
    letters = read_topic(settings, settings.topics.dlq, expect=len(expected))
    assert {r.value or b"" for r in letters} == expected
    for record in letters:
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["newsflow.stage"] == "sink"
        assert headers["newsflow.error"]
        assert headers["newsflow.source.topic"] == settings.topics.enriched
        assert int(headers["newsflow.source.partition"]) in range(settings.topics.partitions)
        assert int(headers["newsflow.source.offset"]) >= 0
        # ... and fit the published contract (schemas/news.articles.dlq.v1.schema.json).
        schema = json.loads((SCHEMAS_DIR / file_name(TOPIC_DLQ)).read_text(encoding="utf-8"))
        jsonschema.validate({k: v for k, v in headers.items() if k.startswith("newsflow.")}, schema)


def test_a_record_postgres_refuses_is_isolated_and_dead_lettered(
    make_settings: SettingsFactory, database_url: str
) -> None:
    """A row the database itself rejects (here a CHECK) costs only that record."""
    with connect(database_url) as conn:
        migrate(conn)
        conn.execute("ALTER TABLE articles ADD CONSTRAINT no_rejects CHECK (title IS DISTINCT FROM 'REJECT ME')")
    settings = make_settings(sink_batch_size=200)
    articles = [enriched_article(i, title="REJECT ME" if i in (5, 31) else f"Story {i}") for i in range(40)]
    targets = _publish(settings, keyed(articles))

    report = _sink_once(settings, targets)

    assert (report.written, report.dead_lettered) == (38, 2)
    assert counts(database_url) == _expected_counts(38)
    assert stored_offsets(database_url, settings.sink_group) == _offsets_by_key(targets)
    _assert_dead_letters(settings, expected={encode(articles[5]), encode(articles[31])})


def test_oversized_fields_are_truncated_and_recorded(make_settings: SettingsFactory, database_url: str) -> None:
    settings = make_settings()
    huge = enriched_article(
        1,
        url="https://news.example.com/" + "p" * 3000,
        title="T" * 10_000,
        text="diamonds " * 250_000,  # about 2.2 MB
        authors=["x" * 70_000],
    )
    targets = _publish(settings, keyed([huge]))

    report = _sink_once(settings, targets)

    assert report.written == 1
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT octet_length(text), octet_length(title), octet_length(url), "
            "octet_length(authors[1]), truncated_fields FROM articles"
        ).fetchone()
    assert row == (1_000_000, 2048, 3025, 1024, ["authors", "text", "title"])


def test_schema_migrations_are_recorded_and_concurrent_starts_do_not_race(database_url: str) -> None:
    errors: list[BaseException] = []
    applied: list[list[int]] = []

    def start() -> None:
        try:
            with connect(database_url) as conn:
                applied.append(migrate(conn))
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(applied, key=len) == [[], [], [], [m.version for m in MIGRATIONS]]
    with connect(database_url) as conn:
        assert current_version(conn) == MIGRATIONS[-1].version
        recorded = conn.execute("SELECT count(*) FROM newsflow.migrations WHERE component = 'sink' AND applied_at IS NOT NULL").fetchone()[0]
        assert recorded == len(MIGRATIONS)


def test_survives_losing_its_database_connection(make_settings: SettingsFactory, database_url: str) -> None:
    with connect(database_url) as conn:
        migrate(conn)  # so the test can count rows from the start
    settings = make_settings(sink_batch_size=20)
    stopper = Stopper()
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("report", run_sink(settings, stopper)))
    worker.start()
    try:
        _publish(settings, keyed([enriched_article(i) for i in range(30)]))
        _wait_for(lambda: counts(database_url)["articles"] == 30)
        _terminate_sink_sessions(database_url)
        targets = _publish(settings, keyed([enriched_article(i) for i in range(30, 60)]))
        _wait_for(lambda: counts(database_url)["articles"] == 60)
        _wait_for(lambda: stored_offsets(database_url, settings.sink_group) == _offsets_by_key(targets))
    finally:
        stopper.stop()
        worker.join(30)
    assert not worker.is_alive()
    assert counts(database_url) == _expected_counts(60)


def _terminate_sink_sessions(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'newsflow-sink' AND datname = current_database()"
        ).fetchone()[0]
    assert killed >= 1


def _wait_for(condition: Callable[[], bool], timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def test_two_sinks_in_one_group_share_the_partitions(make_settings: SettingsFactory, database_url: str) -> None:
    """Scaling out: a second sink joins mid-stream; the rebalance loses and doubles nothing."""
    with connect(database_url) as conn:
        migrate(conn)
    settings = make_settings(sink_batch_size=20)
    stopper = Stopper()
    reports: list = []
    workers = [threading.Thread(target=lambda: reports.append(run_sink(settings, stopper))) for _ in range(2)]
    workers[0].start()
    try:
        first = _publish(settings, keyed([enriched_article(i) for i in range(150)]))
        _wait_for(lambda: counts(database_url)["articles"] > 0)
        workers[1].start()
        second = _publish(settings, keyed([enriched_article(i) for i in range(150, 300)]))
        targets = {tp: max(first.get(tp, 0), second.get(tp, 0)) for tp in first | second}
        _wait_for(lambda: stored_offsets(database_url, settings.sink_group) == _offsets_by_key(targets))
    finally:
        stopper.stop()
        for worker in workers:
            worker.join(30)
    assert not any(worker.is_alive() for worker in workers)
    assert counts(database_url) == _expected_counts(300)
    assert len(reports) == 2 and sum(r.written for r in reports) >= 300
