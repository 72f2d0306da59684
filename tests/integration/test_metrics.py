"""Metrics and health of a real run (issue 10): ``newsflow run`` on the real broker and Postgres,
scraped while it runs, its counters checked against what was stored.

Seed feeds and one feed that answers 404 on a loopback site, and one record on
the raw topic that is not JSON: the counters must say 4 feeds polled, 1 failed,
6 articles published, enriched and written (the rows in Postgres), and 1 dead
letter from enrich (the record on the dead-letter topic).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devstack.embedded import free_port, stop_process
from devstack.feedserver import serve_folder
from newsflow.settings import FeedConfig, FetchConfig, Settings
from seeds import FEEDS_DIR, SEEDS_DIR
from tests.http_helpers import http_get
from tests.kafka_helpers import produce, read_topic

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _samples(base: str) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: (name, sorted labels) -> value."""
    status, text = http_get(f"{base}/metrics")
    assert status == 200, text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _samples_or_empty(base: str) -> dict:
    try:
        return _samples(base)
    except AssertionError:
        return {}


def _topics(settings: Settings) -> str:
    """Where each record is, for a failure message: what reached which topic, and the enrich group's commits."""
    from kafka import KafkaConsumer, TopicPartition

    raw = read_topic(settings, settings.topics.raw, expect=7, timeout_s=10)
    enriched = read_topic(settings, settings.topics.enriched, expect=6, timeout_s=10)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=settings.enrich_group,
                             enable_auto_commit=False)
    try:
        partitions = range(settings.topics.partitions)
        committed = {p: consumer.committed(TopicPartition(settings.topics.raw, p)) for p in partitions}
    finally:
        consumer.close(autocommit=False)
    return (
        f"raw: {sorted((r.partition, r.offset, r.key) for r in raw)}\n"
        f"enriched keys: {sorted(r.key for r in enriched)}\n"
        f"enrich committed: {committed}"
    )


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def _wait(condition: Callable[[], bool], timeout_s: float, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, f"newsflow run exited with {proc.returncode} while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def _stored(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {
            "articles": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
            "entries": conn.execute("SELECT count(*) FROM ingest_entries").fetchone()[0],
            "feeds_polled": conn.execute("SELECT count(*) FROM ingest_feeds WHERE last_polled_at IS NOT NULL").fetchone()[0],
            "feeds_failing": conn.execute("SELECT count(*) FROM ingest_feeds WHERE consecutive_errors > 0").fetchone()[0],
        }


def _articles(dsn: str) -> int:
    try:
        return _stored(dsn)["articles"]
    except psycopg.errors.UndefinedTable:
        return 0


def test_metrics_scraped_during_a_run_match_what_was_stored(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve_folder(SEEDS_DIR) as base_url:
        feeds = [FeedConfig(url=f"{base_url}/feeds/{p.name}", name=p.stem, interval_s=3600) for p in sorted(FEEDS_DIR.iterdir())]
        feeds.append(FeedConfig(url=f"{base_url}/feeds/gone.xml", name="gone", interval_s=3600))
        # retry_base_s: the failed feed is not polled again while the test looks.
        fetch = FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, retry_base_s=3600.0)
        settings = make_settings(feeds=feeds, fetch=fetch)
        produce(settings, settings.topics.raw, [(b"poison", b"{not json")])
        port = free_port()
        config = tmp_path / "config.yaml"
        config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})))
        env = {
            **os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "DATABASE_URL": settings.database_dsn(), "NEWSFLOW_METRICS_PORT": str(port),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsflow", "run", "--config", str(config), "--log-level", "INFO"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        base = f"http://127.0.0.1:{port}"
        dsn = settings.database_dsn()
        try:
            _wait(lambda: http_get(f"{base}/healthz")[0] == 200, 60, "/healthz", proc)
            _wait(lambda: http_get(f"{base}/readyz")[0] == 200, 90, "/readyz (groups joined)", proc)
            _wait(
                lambda: _articles(dsn) == 6 and _value(_samples(base), "newsflow_articles_written_total") == 6
                and _value(_samples(base), "newsflow_dead_letters_total", stage="enrich", reason="DecodeError") == 1,
                120, "6 articles written and 1 dead letter", proc,
            )
            samples = _samples(base)
            stored = _stored(dsn)
            ready = http_get(f"{base}/readyz")
        except AssertionError as exc:
            seen = {k: v for k, v in _samples_or_empty(base).items() if k[0].startswith("newsflow_") and "bucket" not in k[0]}
            stop_process(proc, timeout_s=60)
            raise AssertionError(
                f"{exc}\nstored: {_stored(dsn)}\nmetrics: {seen}\n{_topics(settings)}\n{proc.stdout.read()[-6000:]}"
            ) from exc
        finally:
            stop_process(proc, timeout_s=60)
            output = proc.stdout.read() if proc.stdout else ""

    assert proc.returncode == 0, output[-3000:]
    assert ready == (200, "ready\n")
    assert _value(samples, "newsflow_feeds_polled_total") == stored["feeds_polled"] == 4
    assert _value(samples, "newsflow_feeds_failed_total", kind="permanent") == stored["feeds_failing"] == 1
    assert _value(samples, "newsflow_feeds_not_modified_total") == 0
    assert _value(samples, "newsflow_fetch_seconds_count", target="feed") == 4
    assert _value(samples, "newsflow_fetch_seconds_count", target="page") == 6  # one per entry; the 404 page is not retried
    assert _value(samples, "newsflow_articles_published_total") == stored["entries"] == 6
    assert _value(samples, "newsflow_articles_enriched_total") == 6
    assert _value(samples, "newsflow_articles_written_total") == stored["articles"] == 6
    dead = read_topic(settings, settings.topics.dlq, expect=1)
    assert len(dead) == 1 and dead[0].value == b"{not json"
    assert _value(samples, "newsflow_batch_seconds_count", stage="enrich") >= 1
    assert _value(samples, "newsflow_batch_seconds_count", stage="sink") >= 1
    lags = {labels: value for (name, labels), value in samples.items() if name == "newsflow_consumer_lag"}
    groups = {dict(labels)["group"] for labels in lags}
    assert groups == {settings.enrich_group, settings.sink_group}, lags
    assert all(value == 0 for value in lags.values()), lags
