"""``newsflow sink``: a consumer group on the enriched topic, writing batches to Postgres.

Postgres, not Kafka, holds the truth about progress: every batch's rows and
the offsets after it are committed in one transaction, and when partitions are
assigned the consumer is positioned from ``kafka_offsets``. Killing the sink at
any instant therefore loses no row and stores none twice; Kafka's committed
offsets are written afterwards for lag tools only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newsflow import metrics
from newsflow.consume import BatchLimits, ConsumerLoop, DeadLetters, Stopped
from newsflow.errors import DecodeError
from newsflow.kafka import (
    REBUILD_BOOTSTRAP_MS,
    Offsets,
    cluster_id,
    ensure_topics,
    make_consumer,
    make_producer,
    next_offsets,
    reached,
)
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, decode
from newsflow.settings import Settings
from sinks.database import Database, Interrupted
from sinks.poison import is_poison, isolate_poison
from sinks.positioning import LogIdentity, LogWatch, Start, choose_start, offset_beyond_end
from sinks.postgres import load_stored_offsets, reset_offsets, store_offsets, write_rows
from sinks.rows import ArticleRows, article_rows
from sinks.schema import migrate

log = logging.getLogger(__name__)
# How long positioning waits for a partition range before the loop retries.
OFFSETS_TIMEOUT_MS = 10_000

STAGE = "sink"
DLQ_TIMEOUT_S = 30.0
SINK_FETCH_MIN_BYTES = 256 * 1024
# Records can be up to max_message_bytes (4 MiB) each: bound a batch by bytes too,
# or 500 large articles would hold 2 GiB in memory.
MAX_BATCH_BYTES = 64 * 1024 * 1024

#: A decoded record ready to write: the record (for its offset and for a dead
#: letter) and its cleaned rows.
Item = tuple[ConsumerRecord, ArticleRows]


@dataclass
class SinkReport:
    written: int = 0
    dead_lettered: int = 0
    batches: int = 0


def run_sink(
    settings: Settings,
    stopper: Stopper,
    targets: dict[TopicPartition, int] | None = None,
) -> SinkReport:
    """Consume ``settings.topics.enriched`` into Postgres.

    Without ``targets`` runs until ``stopper`` is stopped, then stores the batch
    in hand and returns. With ``targets`` (``newsflow run --once``) returns as
    soon as every target partition has been stored up to its target offset,
    offsets taken from producer acknowledgements (never ``end_offsets()``,
    see docs/tansu-end-offsets.md).
    """
    ensure_topics(settings)
    database = Database(settings.database_dsn(), stopper, settings.database)
    consumer = sink = None
    try:
        applied = database.call(migrate)
        if applied:
            log.info("schema migrated to version %d", applied[-1])
        # The broker holds a fetch until it has this much or the lull has passed:
        # fewer fetch round trips per article below saturation (issue 9 #4).
        consumer = make_consumer(settings, settings.sink_group, fetch_min_bytes=SINK_FETCH_MIN_BYTES,
                                 fetch_max_wait_ms=max(1, min(settings.sink_batch_lull_ms, 500)))
        sink = PostgresSink(settings, stopper, consumer, make_producer(settings), database, cluster_id(settings))
        return sink.run(targets)
    except Interrupted:
        log.info("sink stopped while waiting for the database at start")
        return SinkReport()
    finally:
        if consumer is not None:
            consumer.close(autocommit=False, timeout_ms=5000)
        if sink is not None:
            sink.close_producer(DLQ_TIMEOUT_S)
        database.close()


class PostgresSink:
    """The sink stage of the core consumer loop: store a batch with its offsets, then mirror them."""

    name = STAGE

    def __init__(
        self,
        settings: Settings,
        stopper: Stopper,
        consumer: KafkaConsumer,
        dlq: KafkaProducer,
        database: Database,
        cluster: str,
    ) -> None:
        self._settings = settings
        self._stopper = stopper
        self._consumer = consumer
        self._dlq = dlq
        self._database = database
        self._group = settings.sink_group
        self._cluster = cluster
        self._topic_id = ""  # both re-read at every positioning (issue 8)
        self._topic = settings.topics.enriched
        self._log_watch = LogWatch(settings, self._topic)
        # Assigned partitions not yet positioned from Postgres (it was away); paused.
        self._unpositioned: set[TopicPartition] = set()
        self._mirrored: Offsets = {}  # what was stored, for Kafka's (monitoring-only) offsets
        self.report = SinkReport()

    def run(self, targets: dict[TopicPartition, int] | None) -> SinkReport:
        limits = BatchLimits(
            records=self._settings.sink_batch_size,
            bytes=MAX_BATCH_BYTES,
            timeout_ms=self._settings.sink_batch_timeout_ms,
            lull_ms=self._settings.sink_batch_lull_ms,
        )
        loop = ConsumerLoop(self._consumer, self, self._stopper, limits)
        finished = (lambda: reached(self._positions(targets), targets)) if targets is not None else None
        try:
            loop.run([self._topic], finished)
        finally:
            self._log_watch.close()
        self._mirror_final_offsets()
        log.info("sink done: %s", self.report)
        return self.report

    def _positions(self, targets: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        assigned = self._consumer.assignment() - self._unpositioned
        return {tp: self._consumer.position(tp) for tp in targets if tp in assigned}

    # --- what the core loop calls ----------------------------------------------

    def prepare(self) -> None:
        self._guarded(self._position_pending)

    def store(self, records: list[ConsumerRecord]) -> None:
        self._guarded(lambda: self._checkpoint(records))

    def commit(self, offsets: Offsets) -> None:
        self._commit_to_kafka(offsets)

    def rebuild_clients(self) -> None:
        """A new dead-letter producer (a fatal sequence or epoch error poisons the old one); topics ensured."""
        ensure_topics(self._settings, timeout_s=5.0)
        old, self._dlq = self._dlq, make_producer(self._settings, bootstrap_timeout_ms=REBUILD_BOOTSTRAP_MS)
        old.close(timeout=0)
        log.info("sink: dead-letter producer rebuilt and topics ensured")

    def assigned(self, partitions: set[TopicPartition]) -> None:
        self.position(partitions)

    def revoked(self, partitions: set[TopicPartition]) -> None:
        # Their new owner positions them from Postgres.
        self._unpositioned -= partitions

    def close_producer(self, timeout_s: float) -> None:
        self._dlq.close(timeout=timeout_s)

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Interrupted:
            log.info("sink stopped while waiting for the database; the batch in hand will be replayed")
            raise Stopped from None

    # --- the checkpoint -------------------------------------------------------

    def _checkpoint(self, records: list[ConsumerRecord]) -> None:
        """Store one batch. Within the core loop's order (store, then commit), storing is:

        1. decode; a record that cannot be decoded is dead-lettered, and the
           DLQ producer is flushed and acknowledged *before* step 2, so the
           offset never moves past a dead letter that was not recorded;
        2. one Postgres transaction: the rows, then the offsets after the
           batch (poison found by bisection is dead-lettered and flushed
           inside it, before COMMIT);
        3. only then (the loop's commit step) the same offsets go to Kafka,
           for lag tools.

        A batch read from a log that is no longer the one positioned on is not
        stored: its partitions go back to positioning, and the loop's commit of
        it to Kafka only feeds lag tools.
        """
        if self._log_changed(len(records)):
            return
        items, undecodable = _decode_all(records)
        self._send_dead_letters(undecodable)
        offsets = next_offsets(records)
        written, poisoned = self._database.call(lambda conn: self._store(conn, items, offsets))
        self.report.written += written
        metrics.ARTICLES_WRITTEN.inc(written)
        self.report.dead_lettered += len(undecodable) + poisoned
        self.report.batches += 1
        log.debug("stored batch of %d records (%d written)", len(records), written)

    def _store(self, conn: psycopg.Connection, items: list[Item], offsets: Offsets) -> tuple[int, int]:
        """Write rows and offsets in one transaction; return (written, dead-lettered)."""
        try:
            with conn.transaction():
                write_rows(conn, [rows for _, rows in items])
                store_offsets(conn, self._group, offsets, self._cluster, self._topic_id)
            return len(items), 0
        except Exception as exc:
            if not is_poison(exc):
                raise
            log.warning("batch of %d hit a poison record (%s); isolating it", len(items), type(exc).__name__)
        return self._store_isolating(conn, items, offsets)

    def _store_isolating(self, conn: psycopg.Connection, items: list[Item], offsets: Offsets) -> tuple[int, int]:
        """Bisect the batch in savepoints; dead-letter the poison, keep the good rows."""

        def attempt(part: Sequence[Item]) -> None:
            write_rows(conn, [rows for _, rows in part])  # a savepoint: a failure undoes only this part

        with conn.transaction():
            good, bad = isolate_poison(items, attempt, whole_failed=True)
            self._send_dead_letters([(record, error) for (record, _), error in bad])
            store_offsets(conn, self._group, offsets, self._cluster, self._topic_id)
        return len(good), len(bad)

    def _send_dead_letters(self, failed: list[tuple[ConsumerRecord, BaseException]]) -> None:
        """Send, flush and confirm every dead letter; raises KafkaError if one was not stored."""
        dead = DeadLetters(self._dlq, self._settings.topics.dlq, STAGE, self._settings.max_message_bytes)
        dead.extend(failed)
        dead.confirm(self._stopper)

    def _commit_to_kafka(self, offsets: Offsets) -> None:
        """Mirror the stored offsets into Kafka so lag tools see progress; Postgres stays the truth."""
        self._mirrored.update(offsets)
        mirror = self._mirror_for_assigned()
        if mirror:
            self._consumer.commit_async(mirror, callback=_log_commit_failure)

    def _mirror_final_offsets(self) -> None:
        """A last synchronous mirror on the way out, so lag tools do not show stale lag."""
        mirror = self._mirror_for_assigned()
        if not mirror:
            return
        try:
            # Bounded: with the broker gone an unbounded commit would hold up SIGTERM.
            self._consumer.commit(mirror, timeout_ms=5000)
        except KafkaError as exc:
            log.debug("final offset mirror to kafka failed (harmless): %s", exc)

    def _mirror_for_assigned(self) -> dict[TopicPartition, OffsetAndMetadata]:
        assigned = self._consumer.assignment()
        return {tp: OffsetAndMetadata(o, "", -1) for tp, o in self._mirrored.items() if tp in assigned}

    # --- positioning from Postgres --------------------------------------------

    def position(self, partitions: set[TopicPartition]) -> None:
        """Pause newly assigned partitions until the loop has positioned them from Postgres.

        This runs on kafka-python's IO thread, where blocking Kafka calls are
        refused, and positioning needs several (the log's identity and range);
        so the loop does it (``prepare``) before it reads anything from these
        partitions. Pausing also keeps Kafka's own committed offsets from ever being used.
        """
        partitions = {tp for tp in partitions if tp.topic == self._topic}
        if partitions:
            self._consumer.pause(*partitions)
            self._unpositioned |= partitions

    def _position_pending(self) -> None:
        if not self._unpositioned:
            return
        pending = self._unpositioned & self._consumer.assignment()
        if pending:
            # A KafkaError leaves them pending; the loop retries after a backoff.
            self._seek(self._choose_starts(pending))
            self._consumer.resume(*pending)
        self._unpositioned = set()

    def _choose_starts(self, partitions: set[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's start, decided from the log as the broker describes it *now* (issue 8).

        The cluster id and topic id are read afresh at every positioning: a
        broker reset or a recreated topic happens under a running sink. A
        partition to replay has its stored offset reset to the log start, or
        GREATEST in store_offsets would keep the old log's offset. The log
        start is asked for explicitly: kafka-python's lazy seek_to_beginning
        was seen never to complete for a partition created moments before.
        """
        identity = self._log_watch.identity()
        group, topic, cluster = self._group, self._topic, identity.cluster_id
        stored = self._database.call(lambda conn: load_stored_offsets(conn, group, topic, cluster))
        # Bounded: kafka-python's default is the consumer's 305 s request timeout, and a
        # sink once sat in end_offsets for a just-created topic past its session timeout,
        # out of its group and silent. A timeout raises; the loop logs it and positions again.
        beginning = self._consumer.beginning_offsets(sorted(partitions), timeout_ms=OFFSETS_TIMEOUT_MS)
        end = self._consumer.end_offsets(sorted(partitions), timeout_ms=OFFSETS_TIMEOUT_MS)
        starts: dict[TopicPartition, Start] = {
            tp: choose_start(
                stored.get(tp.partition), identity.topic_id, beginning[tp], end[tp],
                lambda offset, tp=tp: offset_beyond_end(self._settings, tp, offset),
            )
            for tp in partitions
        }  # fmt: skip
        replays = {tp: beginning[tp] for tp, start in starts.items() if start.replay}
        if replays:
            self._database.call(lambda conn: reset_offsets(conn, group, replays, cluster, identity.topic_id))
        for tp in sorted(replays):
            log.warning(
                "replaying %s partition %d from the log start: %s (upserts are idempotent, so this is safe)",
                tp.topic, tp.partition, starts[tp].doubt,
            )  # fmt: skip
        self._cluster, self._topic_id = identity.cluster_id, identity.topic_id
        return {tp: beginning[tp] if start.offset is None else start.offset for tp, start in starts.items()}

    def _log_changed(self, in_hand: int) -> bool:
        """True, and every partition sent back to positioning, when the log is not the one positioned on.

        A topic deleted and recreated under a running sink may bring no
        rebalance at all (Tansu brings none): the consumer would read the new
        log from the old log's positions. So the log's identity is checked
        before every write; the batch in hand is dropped, to be read again.
        """
        identity = self._log_watch.identity()
        if identity == LogIdentity(self._cluster, self._topic_id):
            return False
        log.warning(
            "the log changed under the sink (cluster id %s -> %s, topic id %s -> %s); "
            "dropping %d records in hand and positioning again",
            self._cluster, identity.cluster_id, self._topic_id or "unknown", identity.topic_id or "unknown", in_hand,
        )  # fmt: skip
        assigned = {tp for tp in self._consumer.assignment() if tp.topic == self._topic}
        self._consumer.pause(*assigned)
        self._unpositioned |= assigned
        return True

    def _seek(self, starts: dict[TopicPartition, int]) -> None:
        for tp, offset in sorted(starts.items()):
            self._consumer.seek(tp, offset)
        log.info("positioned %d partitions from postgres: %s", len(starts), {tp.partition: offset for tp, offset in sorted(starts.items())})


def _decode_all(records: list[ConsumerRecord]) -> tuple[list[Item], list[tuple[ConsumerRecord, BaseException]]]:
    items: list[Item] = []
    failed: list[tuple[ConsumerRecord, BaseException]] = []
    for record in records:
        try:
            items.append((record, article_rows(decode(EnrichedArticle, record.value))))
        except DecodeError as exc:
            failed.append((record, exc))
    return items, failed


def _log_commit_failure(offsets: dict, response: object) -> None:
    if isinstance(response, Exception):
        log.debug("mirroring offsets to kafka failed (harmless, postgres holds them): %s", response)
