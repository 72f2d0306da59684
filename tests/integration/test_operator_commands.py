"""``newsflow retag``, ``replay`` and ``dlq`` through the CLI, on a real broker and Postgres (issue 10).

Articles are stored with events the tagger would never find; a retag must
replace them with the tagger's own (nothing duplicated, the tagger version
recorded), survive a SIGKILL and end as an uninterrupted run would; a replay
must not add a row in Postgres; a poison record must show in ``dlq list`` and
go back to its topic with ``dlq replay``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import yaml

from enrich.tagger import TAGGER_VERSION
from enrich.worker import enrich_article, run_enrich
from newsflow.kafka import ensure_topics, next_offsets
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, Event, RawArticle, Tags, decode, encode
from newsflow.settings import Settings
from sinks.postgres import connect, write_rows
from sinks.rows import article_rows
from sinks.schema import migrate
from sinks.service import run_sink
from tests.factories import raw_article
from tests.integration.sink_helpers import counts, enriched_article, keyed, snapshot
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SettingsFactory = Callable[..., Settings]

#: An event no tagger finds in the seed text: it must be gone after a retag.
BOGUS = Event(actor="Nobody Mining", action="strike", object="tin", sentence="Nothing of the kind.", start=0, end=20)


def _command(settings: Settings, tmp_path: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "DATABASE_URL": settings.database_dsn()}
    return [sys.executable, "-m", "newsflow", *args, "--config", str(config)], env


def _cli(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    command, env = _command(settings, tmp_path, *args)
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)


def _store_with_bogus_events(settings: Settings, articles: list[RawArticle]) -> None:
    """Stored as an older tagger left them: one event the current tagger would never find."""
    old = [
        EnrichedArticle(article=a, tags=Tags(events=[BOGUS]), tagger_version="old-0.1",
                        enriched_at=datetime(2024, 1, 1, tzinfo=UTC))
        for a in articles
    ]  # fmt: skip
    with connect(settings.database_dsn()) as conn:
        migrate(conn)
        write_rows(conn, [article_rows(e) for e in old])


def _expected_events(articles: list[RawArticle]) -> list[tuple]:
    """The rows the current tagger's events make (no timestamps in them: comparable across runs)."""
    return sorted(row for a in articles for row in article_rows(enrich_article(a)).events)


def _stored_events(settings: Settings) -> list[tuple]:
    from sinks.rows import EVENT_COLUMNS

    columns = ", ".join(EVENT_COLUMNS)
    with psycopg.connect(settings.database_dsn()) as conn:
        return sorted(conn.execute(f"SELECT {columns} FROM article_events").fetchall())  # constant SQL


def _tagger_versions(settings: Settings) -> list[tuple]:
    with psycopg.connect(settings.database_dsn()) as conn:
        return conn.execute("SELECT tagger_version, count(*) FROM articles GROUP BY 1").fetchall()


def _articles(n: int) -> list[RawArticle]:
    # Titles with their own events, so the articles' event lists differ.
    titles = ("Alrosa halts diamond sales", "India bans diamond imports", "Story")
    return [raw_article(i, title=f"{titles[i % 3]} {i}") for i in range(n)]


def test_retag_replaces_events_through_the_sink(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    articles = _articles(6)
    _store_with_bogus_events(settings, articles)
    ensure_topics(settings)
    stopper = Stopper()
    sink = threading.Thread(target=run_sink, args=(settings, stopper), daemon=True)
    sink.start()
    try:
        done = _cli(settings, tmp_path, "retag", "--all", "--wait", "--wait-timeout", "120")
    finally:
        stopper.stop()
        sink.join(60)

    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert f"6 article(s) re-enriched with tagger {TAGGER_VERSION}" in done.stdout, done.stdout
    assert "the sink has stored every retagged article" in done.stdout
    expected = _expected_events(articles)
    assert len(expected) > 6  # the tagger finds several events per article
    assert _stored_events(settings) == expected  # the bogus ones replaced, none twice
    assert _tagger_versions(settings) == [(TAGGER_VERSION, 6)]
    events = read_topic(settings, settings.topics.events, len(expected))
    assert len(events) == len(expected)  # subscribers of news.events learn the new facts

    again = _cli(settings, tmp_path, "retag", "--all")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already done" in again.stdout
    assert len(read_topic(settings, settings.topics.enriched, 6)) == 6  # nothing published again
    restarted = _cli(settings, tmp_path, "retag", "--all", "--restart")
    assert restarted.returncode == 0 and "6 article(s) re-enriched" in restarted.stdout, restarted.stderr[-3000:]
    assert len(read_topic(settings, settings.topics.enriched, 12)) == 12


def test_retag_by_publication_date_selects_only_that_range(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    old = [raw_article(i, published_at=datetime(2022, 5, 1, 12, tzinfo=UTC)) for i in range(3)]
    new = [raw_article(i, published_at=datetime(2023, 12, 18, 23, 59, tzinfo=UTC)) for i in range(3, 5)]
    _store_with_bogus_events(settings, old + new)

    # No sink runs here: --wait gives up, with its own exit status.
    done = _cli(settings, tmp_path, "retag", "--since", "2023-12-01", "--until", "2023-12-18", "--no-progress",
                "--wait", "--wait-timeout", "1")  # fmt: skip

    assert done.returncode == 4, done.stderr[-3000:]
    assert "2 article(s) re-enriched" in done.stdout
    assert "the sink has not stored 2 retagged article(s)" in done.stderr
    published = [decode(EnrichedArticle, r.value).article.id for r in read_topic(settings, settings.topics.enriched, 2)]
    assert sorted(published) == sorted(a.id for a in new)


def test_an_article_that_cannot_be_retagged_keeps_its_tags_and_exits_3(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    articles = _articles(3)
    _store_with_bogus_events(settings, articles)
    with psycopg.connect(settings.database_dsn()) as conn:  # no longer a valid article: an unknown extraction
        conn.execute("UPDATE articles SET extraction = 'scanned' WHERE id = %s", (articles[1].id,))

    done = _cli(settings, tmp_path, "retag", "--all", "--no-progress")

    assert done.returncode == 3, done.stderr[-3000:]
    assert "2 article(s) re-enriched" in done.stdout and "1 failed" in done.stdout
    assert articles[1].id in done.stderr  # named in the log
    published = [decode(EnrichedArticle, r.value).article.id for r in read_topic(settings, settings.topics.enriched, 2)]
    assert sorted(published) == sorted(a.id for i, a in enumerate(articles) if i != 1)


def test_retag_resumes_after_sigkill(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    articles = _articles(300)
    _store_with_bogus_events(settings, articles)
    batch = 10
    command, env = _command(settings, tmp_path, "retag", "--all", "--batch-size", str(batch))
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        published = _wait_for_cursor(settings, at_least=3 * batch)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    killed_at = _run_row(settings)
    assert killed_at[1] is None and 0 < killed_at[0] < len(articles), killed_at  # killed mid-run

    done = _cli(settings, tmp_path, "retag", "--all", "--no-progress")

    assert done.returncode == 0, done.stderr[-3000:]
    assert "continuing after" in done.stdout, done.stdout
    total, finished = _run_row(settings)
    assert finished is not None and total == len(articles)
    records = read_topic(settings, settings.topics.enriched, len(articles), timeout_s=60)  # lingers for any extra
    # The kill costs at most the batch in hand, published again.
    assert len(articles) <= len(records) <= len(articles) + batch
    assert {decode(EnrichedArticle, r.value).article.id for r in records} == {a.id for a in articles}
    assert published >= 3 * batch
    # The sink stores what was published: the same end state as one uninterrupted run.
    run_sink(settings, Stopper(), targets=next_offsets(records))
    assert _stored_events(settings) == _expected_events(articles)
    assert _tagger_versions(settings) == [(TAGGER_VERSION, len(articles))]


def test_retag_stops_cleanly_on_sigterm(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    articles = _articles(300)
    _store_with_bogus_events(settings, articles)
    command, env = _command(settings, tmp_path, "retag", "--all", "--batch-size", "10", "--no-progress")
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_cursor(settings, at_least=10)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()

    assert proc.returncode == 0, err[-3000:]
    assert "run the same command again to continue" in out, out
    published, finished = _run_row(settings)
    assert finished is None and published < len(articles)
    # The batch in hand was finished and checkpointed: what is on the topic is what the cursor says.
    assert len(read_topic(settings, settings.topics.enriched, published)) == published


def _run_row(settings: Settings) -> tuple[int, datetime | None]:
    with psycopg.connect(settings.database_dsn()) as conn:
        return conn.execute("SELECT published, finished_at FROM retag_runs WHERE selection = 'all'").fetchone()


def _wait_for_cursor(settings: Settings, at_least: int, timeout_s: float = 120.0) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            row = _run_row(settings)
        except psycopg.errors.UndefinedTable:
            row = None
        if row and row[0] >= at_least:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the retag checkpointed nothing within the timeout")


@pytest.mark.smoke
def test_replay_from_a_time_stores_nothing_twice(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    ensure_topics(settings)
    first = produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(5)]))
    time.sleep(0.5)
    since = datetime.now(UTC)
    time.sleep(0.5)
    second = produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(5, 8)]))
    run_sink(settings, Stopper(), targets={**first, **{tp: max(o, first.get(tp, 0)) for tp, o in second.items()}})
    before_rows, before_counts = snapshot(settings.database_dsn()), counts(settings.database_dsn())
    assert before_counts["articles"] == 8

    done = _cli(settings, tmp_path, "replay", settings.topics.enriched, "--from-time", since.isoformat())

    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith(f"3 record(s) of {settings.topics.enriched} replayed"), done.stdout
    records = read_topic(settings, settings.topics.enriched, 11)
    assert len(records) == 11
    keys = [r.key for r in records]
    assert sorted(k for k in set(keys) if keys.count(k) == 2) == sorted(k for k, _ in keyed([enriched_article(i) for i in range(5, 8)]))
    run_sink(settings, Stopper(), targets=next_offsets(records))
    assert counts(settings.database_dsn()) == before_counts
    assert snapshot(settings.database_dsn()) == before_rows  # no row even rewritten


def test_replay_a_time_window_to_another_topic(make_settings: SettingsFactory, tmp_path: Path) -> None:
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    settings = make_settings()
    copy = f"{settings.topics.raw}.copy"
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        admin.create_topics([NewTopic(copy, 2, 1)])
    finally:
        admin.close()
    windows = []
    for batch in range(3):  # three batches, half a second apart
        windows.append(datetime.now(UTC))
        produce(settings, settings.topics.raw, [(f"{batch}-{i}".encode(), b"v%d" % batch) for i in range(4)])
        time.sleep(0.5)
    start, end = windows[1].isoformat(), windows[2].isoformat()

    dry = _cli(settings, tmp_path, "replay", settings.topics.raw, "--from-time", start, "--to-time", end, "--dry-run")
    done = _cli(settings, tmp_path, "replay", settings.topics.raw, "--from-time", start, "--to-time", end, "--to-topic", copy)

    assert dry.returncode == done.returncode == 0, dry.stderr[-2000:] + done.stderr[-2000:]
    assert dry.stdout.startswith("4 record(s) of") and "would be replayed" in dry.stdout
    assert done.stdout.startswith(f"4 record(s) of {settings.topics.raw} replayed to {copy}")
    assert sorted(r.key for r in read_topic(settings, copy, 4)) == [b"1-%d" % i for i in range(4)]  # the middle batch only


def test_replay_rejects_an_unknown_topic(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    ensure_topics(settings)
    done = _cli(settings, tmp_path, "replay", f"{settings.topics.raw}.nope", "--from-offset", "0")
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_dlq_lists_a_poison_record_and_replays_it(make_settings: SettingsFactory, tmp_path: Path) -> None:
    settings = make_settings()
    good = raw_article(1)
    targets = produce(settings, settings.topics.raw, [(b"poison-1", b"{not json"), (good.id.encode(), encode(good))])
    assert run_enrich(settings, Stopper(), targets=targets).dead_lettered == 1
    [poison] = [r for r in read_topic(settings, settings.topics.raw, 2) if r.key == b"poison-1"]

    listed = _cli(settings, tmp_path, "dlq", "list", "--json")
    table = _cli(settings, tmp_path, "dlq", "list")
    none = _cli(settings, tmp_path, "dlq", "list", "--stage", "sink")

    assert listed.returncode == table.returncode == none.returncode == 0, listed.stderr[-3000:]
    [letter] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (letter["stage"], letter["reason"], letter["key"]) == ("enrich", "DecodeError", "poison-1")
    assert (letter["source_topic"], letter["source_partition"], letter["source_offset"]) == (
        settings.topics.raw, poison.partition, poison.offset)
    assert "DecodeError" in table.stdout and f"{settings.topics.raw}[{poison.partition}]@{poison.offset}" in table.stdout
    assert table.stdout.rstrip().endswith(f"1 dead letter(s) on {settings.topics.dlq}")
    assert none.stdout.rstrip().endswith("0 dead letter(s) on " + settings.topics.dlq)

    nothing = _cli(settings, tmp_path, "dlq", "replay", "--offset", f"{letter['partition']}:{letter['offset'] + 1}")
    assert nothing.returncode == 3 and "0 dead letter(s) sent" in nothing.stdout
    sent = _cli(settings, tmp_path, "dlq", "replay", "--stage", "enrich", "--reason", "DecodeError")
    assert sent.returncode == 0, sent.stderr[-3000:]
    assert "1 dead letter(s) sent" in sent.stdout

    again = [r for r in read_topic(settings, settings.topics.raw, 3) if r.key == b"poison-1"]
    assert [r.value for r in again] == [b"{not json", b"{not json"]  # back on its topic, unchanged


def test_dlq_replay_needs_a_choice(make_settings: SettingsFactory, tmp_path: Path) -> None:
    done = _cli(make_settings(), tmp_path, "dlq", "replay")
    assert done.returncode == 2
    assert "choose the dead letters" in done.stderr
