"""THE KILL TEST: SIGKILL the sink at random moments while articles stream in.

Rows and offsets share one transaction and the consumer is positioned from
Postgres, so however often the sink dies, the end state must be exactly the
articles produced: none missing, none doubled, offsets at the end.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import yaml
from kafka import KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from newsflow.kafka import ensure_topics, make_producer
from newsflow.settings import Settings
from sinks.postgres import connect
from sinks.schema import migrate
from tests.integration.sink_helpers import (
    COMMODITIES_PER_ARTICLE,
    COUNTRIES_PER_ARTICLE,
    EVENTS_PER_ARTICLE,
    PRODUCERS_PER_ARTICLE,
    counts,
    enriched_article,
    keyed,
    stored_offsets,
)
from tests.kafka_helpers import read_topic

pytestmark = pytest.mark.integration

ARTICLES = 2000
CHUNK = 50
CHUNK_PAUSE_S = 0.4  # about 20 s of production: kills land while records arrive
MIN_KILLS = 6
POISON = b"\xff\xfe not json"  # one per chunk: dead letters must survive the kills too
REPO = Path(__file__).resolve().parents[2]


def _write_config(settings: Settings, path: Path) -> Path:
    config = {
        "topics": settings.topics.model_dump(),
        "sink_group": settings.sink_group,
        "sink_batch_size": 50,
        "sink_batch_timeout_ms": 300,
        # A SIGKILLed member holds its partitions until its session times out;
        # a short session keeps each restart quick.
        "consumer_session_timeout_ms": 3000,
        "consumer_heartbeat_interval_ms": 1000,
        "log_level": "INFO",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _start_sink(config: Path, settings: Settings, database_url: str, log_file: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(REPO),
    }
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "newsflow", "sink", "--config", str(config)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


class _Feeder(threading.Thread):
    """Produces the articles in chunks, one poison record per chunk; keeps what the broker acknowledged."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.settings = settings
        self.targets: dict[TopicPartition, int] = {}
        self.poison: set[tuple[int, int]] = set()  # (partition, offset) of each poison record
        self.error: BaseException | None = None

    def run(self) -> None:
        producer = make_producer(self.settings)
        try:
            for start in range(0, ARTICLES, CHUNK):
                self._send_chunk(producer, start)
                time.sleep(CHUNK_PAUSE_S)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test
            self.error = exc
        finally:
            producer.close()

    def _send_chunk(self, producer: KafkaProducer, start: int) -> None:
        items = keyed([enriched_article(i) for i in range(start, start + CHUNK)])
        items.insert(CHUNK // 2, (f"poison-{start}".encode(), POISON))
        topic = self.settings.topics.enriched
        futures = [producer.send(topic, key=key, value=value) for key, value in items]
        producer.flush()
        for (_, value), future in zip(items, futures, strict=True):
            meta = future.get(timeout=30)
            tp = TopicPartition(meta.topic, meta.partition)
            self.targets[tp] = max(self.targets.get(tp, 0), meta.offset + 1)
            if value is POISON:
                self.poison.add((meta.partition, meta.offset))


def _articles_stored(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def _articles_with_other_than(database_url: str, events: int) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM articles a "
            "WHERE (SELECT count(*) FROM article_events e WHERE e.article_id = a.id) <> %s",
            (events,),
        ).fetchone()[0]


def _header(record: ConsumerRecord, name: str) -> str:
    return dict(record.headers)[name].decode()


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _kill_once(proc: subprocess.Popen, database_url: str, rng: random.Random) -> bool:
    """Let the sink make some progress (or not, now and then), then SIGKILL it.

    Returns True when the kill hit a sink that was writing (rows still to come).
    """
    before = _articles_stored(database_url)
    if before < ARTICLES and rng.random() < 0.8:  # mostly mid-stream; sometimes at start-up or a join
        _wait_until(lambda: _articles_stored(database_url) > before, timeout_s=15)
    time.sleep(rng.uniform(0.0, 0.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return _articles_stored(database_url) < ARTICLES


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    settings = make_settings()
    ensure_topics(settings)
    with connect(database_url) as conn:
        migrate(conn)  # so progress can be watched from the first instant
    config = _write_config(settings, tmp_path / "sink.yaml")
    log_file = tmp_path / "sink.log"
    rng = random.Random(int(os.environ.get("NEWSFLOW_KILL_SEED", time.time_ns())))
    feeder = _Feeder(settings)
    feeder.start()

    kills = mid_stream = 0
    while kills < MIN_KILLS or feeder.is_alive():
        mid_stream += _kill_once(_start_sink(config, settings, database_url, log_file), database_url, rng)
        kills += 1
    feeder.join()
    assert feeder.error is None, feeder.error

    started = log_file.stat().st_size
    final = _start_sink(config, settings, database_url, log_file)
    try:
        expected_offsets = {(tp.topic, tp.partition): o for tp, o in feeder.targets.items()}
        done = _wait_until(lambda: stored_offsets(database_url, settings.sink_group) == expected_offsets, 60)
        # SIGTERM only once the final sink is up and positioned, so it tests the clean stop.
        _wait_until(lambda: b"positioned" in log_file.read_bytes()[started:], 30)
    finally:
        final.send_signal(signal.SIGTERM)
        returncode = final.wait(30)

    assert done, f"sink did not catch up after {kills} kills; log: {log_file}"
    assert returncode == 0
    assert counts(database_url) == {
        "articles": ARTICLES,
        "article_producers": ARTICLES * PRODUCERS_PER_ARTICLE,
        "article_events": ARTICLES * EVENTS_PER_ARTICLE,
        "article_countries": ARTICLES * COUNTRIES_PER_ARTICLE,
        "article_commodities": ARTICLES * COMMODITIES_PER_ARTICLE,
    }
    assert _articles_with_other_than(database_url, EVENTS_PER_ARTICLE) == 0
    # Every poison record reached the dead-letter topic (more than once if a kill
    # fell between the DLQ flush and the Postgres commit: at least once is the promise).
    letters = read_topic(settings, settings.topics.dlq, expect=len(feeder.poison))
    dead = {(int(_header(r, "newsflow.source.partition")), int(_header(r, "newsflow.source.offset"))) for r in letters}
    assert dead == feeder.poison
    assert mid_stream >= 2, "too few kills landed while the sink had work in hand"
    print(
        f"kill test: {kills} kills ({mid_stream} with rows still to write), "
        f"{ARTICLES} articles expected, {counts(database_url)['articles']} found, "
        f"{len(feeder.poison)} poison records, {len(letters)} dead letters"
    )
