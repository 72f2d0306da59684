"""End to end: the seed feeds over loopback → ingest → enrich → sink → Postgres."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import jsonschema
import psycopg
import pytest

from commands.pipeline import run_once
from devstack.feedserver import serve_folder
from newsflow.lifecycle import Stopper
from newsflow.logs import is_own_logger
from newsflow.models import TOPIC_ENRICHED, TOPIC_RAW, EnrichedArticle, article_id, decode
from newsflow.settings import FeedConfig
from newsflow.topic_schemas import SCHEMAS_DIR, file_name
from seeds import FEEDS_DIR, SEEDS_DIR
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.integration

SEED_PAGE = "/pages/diamond-sales-rising.html"
# (actor, action, object, month the event happened in)
SEED_EVENTS = {
    ("Alrosa", "sales", "diamonds", date(2023, 11, 1)),
    ("De Beers", "sales", "diamonds", date(2023, 11, 1)),
    ("Alrosa", "sales_halt", "diamonds", date(2023, 9, 1)),
    ("India", "import_ban", "diamonds", date(2023, 10, 1)),
    ("De Beers", "purchase_deferral", "diamonds", date(2023, 11, 1)),
}


def _seed_feeds(base_url: str) -> list[FeedConfig]:
    return [FeedConfig(url=f"{base_url}/feeds/{p.name}", name=p.stem) for p in sorted(FEEDS_DIR.iterdir())]


def _events(dsn: str, article: str) -> set[tuple]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT actor, action, object, when_start FROM article_events WHERE article_id = %s AND NOT negated",
            (article,),
        ).fetchall()
    return {(actor, action, obj, start.replace(day=1) if start else None) for actor, action, obj, start in rows}


def _count(dsn: str, table: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(table))).fetchone()[0]


@pytest.mark.smoke
def test_seed_article_reaches_postgres_and_enriched_topic(make_settings):
    with serve_folder(SEEDS_DIR) as base_url:
        settings = make_settings(feeds=_seed_feeds(base_url))
        ingested = run_once(settings, Stopper())
        ids = ingested.article_ids
        assert ingested.feed_errors == 0
        seed_id = article_id(base_url + SEED_PAGE)

        assert seed_id in ids
        dsn = settings.database_dsn()
        assert _events(dsn, seed_id) >= SEED_EVENTS
        with psycopg.connect(dsn) as conn:
            producers = {r[0] for r in conn.execute(
                "SELECT producer FROM article_producers WHERE article_id = %s", (seed_id,))}
            price = conn.execute(
                "SELECT change_pct FROM article_events WHERE article_id = %s AND action = 'price_fall' "
                "AND actor = 'diamonds'", (seed_id,)).fetchone()
        assert producers == {"Alrosa", "De Beers"}
        assert price is not None and price[0] == pytest.approx(-30, abs=0.5)

        enriched_records = read_topic(settings, settings.topics.enriched, len(ids))
        on_topic = [decode(EnrichedArticle, r.value) for r in enriched_records]
        # What went over the real broker fits the published schema files (schemas/).
        raw_records = read_topic(settings, settings.topics.raw, len(ids))
        assert len(raw_records) == len(enriched_records) == len(ids)
        for topic, records in ((TOPIC_RAW, raw_records), (TOPIC_ENRICHED, enriched_records)):
            schema = json.loads((SCHEMAS_DIR / file_name(topic)).read_text(encoding="utf-8"))
            for record in records:
                jsonschema.validate(json.loads(record.value), schema)
        seed = next(e for e in on_topic if e.article.id == seed_id)
        assert {(e.actor, e.action) for e in seed.tags.events} >= {(a, b) for a, b, _, _ in SEED_EVENTS}

        # A second pass finds nothing new and writes nothing twice.
        counts = {t: _count(dsn, t) for t in ("articles", "article_events", "article_producers")}
        assert run_once(settings, Stopper()).article_ids == []
        assert counts == {t: _count(dsn, t) for t in counts}


@pytest.mark.smoke
def test_cli_run_once_prints_seed_events_and_fills_the_database(kafka_bootstrap, database_url, tmp_path, unique):
    config = tmp_path / "config.yaml"
    config.write_text(
        f"topics: {{raw: r{unique}, enriched: e{unique}, dlq: d{unique}, events: v{unique}, partitions: 2}}\n"
        f"enrich_group: ge{unique}\nsink_group: gs{unique}\n"
        "consumer_session_timeout_ms: 6000\nconsumer_heartbeat_interval_ms: 2000\n"
    )
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "newsflow", "run", "--once", "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Diamond sales by top producers" in out, out + done.stderr[-5000:]
    for actor, action, _, _ in SEED_EVENTS:
        assert any(actor in line and action in line for line in out.splitlines()), (actor, action, out)
    assert _count(database_url, "articles") >= 6


# A log line as newsflow formats it: time, level, logger.
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ([\w.]+): ")
# What the libraries under the embedded stack say when let loose (issue 10).
_THIRD_PARTY = re.compile(r"pgserver:|initdb|pg_ctl|Successful postgres command|kafka\.|httpx|httpcore|trafilatura|Warning\b")
_STAGES = ("ingest: polling", "ingest: 6 article(s) published", "enrich: joining", "enrich: 6 article(s) tagged",
           "sink: joining", "sink: 6 article(s) written")


def assert_clean_first_run(stdout: str, stderr: str) -> None:
    """Progress line per stage; stderr only newsflow's own log lines; nothing from libraries, no warnings."""
    for stage in _STAGES:
        assert any(line.startswith(stage) for line in stdout.splitlines()), (stage, stdout)
    for line in stderr.splitlines():
        own = _LOG_LINE.match(line)
        assert own is not None and is_own_logger(own.group(1)), f"not a newsflow log line: {line!r}\n{stderr[-3000:]}"
    noisy = [line for line in (stdout + stderr).splitlines() if _THIRD_PARTY.search(line)]
    assert noisy == [], noisy


def test_cli_run_once_with_nothing_configured_starts_the_embedded_stack(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL")}
    env["NEWSFLOW_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-m", "newsflow", "run", "--once"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 failed" in done.stdout, done.stdout + done.stderr[-3000:]
    assert "embedded Tansu broker" in done.stdout
    assert "embedded Postgres" in done.stdout
    assert_clean_first_run(done.stdout, done.stderr)
    data = env["NEWSFLOW_DATA_DIR"]
    assert f"data in {data}/postgres; query it with `newsflow psql`" in done.stdout
    assert "Alrosa" in done.stdout and "sales_halt" in done.stdout and "import_ban" in done.stdout

    # The embedded Postgres keeps the poller's state: a second run finds nothing new.
    again = subprocess.run(
        [sys.executable, "-m", "newsflow", "run", "--once"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "0 new entr" in again.stdout and "0 article(s) written" in again.stdout, again.stdout

    # `newsflow psql` opens the embedded database the run printed.
    query = subprocess.run(
        [sys.executable, "-m", "newsflow", "psql", "-c", "SELECT count(*) FROM articles", "--", "-At"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert query.returncode == 0, query.stderr[-3000:]
    assert query.stdout.strip() == "6", query.stdout
