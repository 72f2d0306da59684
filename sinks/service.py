"""``newsflow sink``: a consumer group on the enriched topic, writing batches to Postgres.

Postgres, not Kafka, holds the truth about progress: every batch's rows and
the offsets after it are committed in one transaction, and when partitions are
assigned the consumer is positioned from ``kafka_offsets``. Killing the sink at
any instant therefore loses no row and stores none twice; Kafka's committed
offsets are written afterwards for lag tools only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from newsflow.errors import DecodeError
from newsflow.kafka import (
    Offsets,
    cluster_id,
    dead_letter,
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
from sinks.retry import backoff_s
from sinks.rows import ArticleRows, article_rows
from sinks.schema import migrate

log = logging.getLogger(__name__)

STAGE = "sink"
DLQ_TIMEOUT_S = 30.0
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
    see design.md).
    """
    ensure_topics(settings)
    database = Database(settings.database_dsn(), stopper, settings.database)
    consumer = dlq = None
    try:
        applied = database.call(migrate)
        if applied:
            log.info("schema migrated to version %d", applied[-1])
        consumer = make_consumer(settings, settings.sink_group)
        dlq = make_producer(settings)
        sink = PostgresSink(settings, stopper, consumer, dlq, database, cluster_id(settings))
        return sink.run(targets)
    except Interrupted:
        log.info("sink stopped while waiting for the database at start")
        return SinkReport()
    finally:
        _close(consumer, dlq, database)


def _close(consumer: KafkaConsumer | None, dlq: KafkaProducer | None, database: Database) -> None:
    if consumer is not None:
        consumer.close(autocommit=False)
    if dlq is not None:
        dlq.close(timeout=DLQ_TIMEOUT_S)
    database.close()


class PostgresSink:
    """The work loop: collect a batch, store it with its offsets, repeat."""

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
        self._topic_id = ""  # both re-read at every assignment (issue 8)
        self._topic = settings.topics.enriched
        self._log_watch = LogWatch(settings, self._topic)
        self._batch: list[ConsumerRecord] = []
        self._batch_bytes = 0
        # Assigned partitions not yet positioned from Postgres (it was away); paused.
        self._unpositioned: set[TopicPartition] = set()
        self._mirrored: Offsets = {}  # what was stored, for Kafka's (monitoring-only) offsets
        self.report = SinkReport()

    def run(self, targets: dict[TopicPartition, int] | None) -> SinkReport:
        try:
            return self._run(targets)
        finally:
            self._log_watch.close()

    def _run(self, targets: dict[TopicPartition, int] | None) -> SinkReport:
        self._consumer.subscribe([self._topic], listener=_PositionFromPostgres(self))
        failures = 0
        while not self._finished(targets):
            try:
                self._position_pending()
                self._collect()
                if self._batch:
                    self._checkpoint()
                failures = 0
            except Interrupted:
                log.info("sink stopped while waiting for the database; the batch in hand will be replayed")
                break
            except KafkaError as exc:
                # The batch stays in hand and is stored on the next pass.
                log.warning("kafka error in sink loop (%s); retrying", exc)
                self._stopper.wait(backoff_s(failures))
                failures += 1
        self._mirror_final_offsets()
        log.info("sink done: %s", self.report)
        return self.report

    def _finished(self, targets: dict[TopicPartition, int] | None) -> bool:
        if self._stopper.stopped:
            return True
        return targets is not None and not self._batch and reached(self._positions(targets), targets)

    def _positions(self, targets: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        assigned = self._consumer.assignment() - self._unpositioned
        return {tp: self._consumer.position(tp) for tp in targets if tp in assigned}

    # --- batching -------------------------------------------------------------

    def _collect(self) -> None:
        """Poll until the batch is full, the batch timeout passes, or the stream pauses."""
        size = self._settings.sink_batch_size
        deadline = time.monotonic() + self._settings.sink_batch_timeout_ms / 1000
        while len(self._batch) < size and self._batch_bytes < MAX_BATCH_BYTES and not self._stopper.stopped:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                break
            # Once something is in hand, a short lull ends the batch: low latency when idle.
            wait_ms = min(remaining_ms, 100) if self._batch else remaining_ms
            polled = self._consumer.poll(timeout_ms=wait_ms, max_records=size - len(self._batch))
            if not polled and self._batch:
                break
            for records in polled.values():
                self._batch.extend(records)
                self._batch_bytes += sum(len(r.value or b"") for r in records)

    def drop_in_hand(self, partitions: set[TopicPartition]) -> None:
        """Forget records of revoked partitions: their new owner reads them from Postgres' offset."""
        self._batch = [r for r in self._batch if TopicPartition(r.topic, r.partition) not in partitions]
        self._batch_bytes = sum(len(r.value or b"") for r in self._batch)
        self._unpositioned -= partitions

    # --- the checkpoint -------------------------------------------------------

    def _checkpoint(self) -> None:
        """Store the batch in hand. The order is what makes a kill at any instant safe:

        1. decode; a record that cannot be decoded is dead-lettered, and the
           DLQ producer is flushed and acknowledged *before* step 2, so the
           offset never moves past a dead letter that was not recorded;
        2. one Postgres transaction: the rows, then the offsets after the
           batch (poison found by bisection is dead-lettered and flushed
           inside it, before COMMIT);
        3. only then commit the same offsets to Kafka, for lag tools.
        """
        if self._log_changed():
            return
        records = self._batch
        items, undecodable = _decode_all(records)
        self._send_dead_letters(undecodable)
        offsets = next_offsets(records)
        written, poisoned = self._database.call(lambda conn: self._store(conn, items, offsets))
        self._batch, self._batch_bytes = [], 0
        self._commit_to_kafka(offsets)
        self.report.written += written
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
        except Exception as exc:  # noqa: BLE001 - classified right below
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
        if not failed:
            return
        futures = [dead_letter(self._dlq, self._settings.topics.dlq, r, e, STAGE) for r, e in failed]
        self._dlq.flush(timeout=DLQ_TIMEOUT_S)
        for future in futures:
            future.get(timeout=DLQ_TIMEOUT_S)

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
            self._consumer.commit(mirror)
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
        so the loop does it before it reads anything from these partitions.
        Pausing also keeps Kafka's own committed offsets from ever being used.
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

    def _choose_starts(self, partitions: set[TopicPartition]) -> dict[TopicPartition, Start]:
        """Decide each partition's start from the log as the broker describes it *now* (issue 8).

        The cluster id and topic id are read afresh at every assignment: a
        broker reset or a recreated topic happens under a running sink. A
        partition to replay has its stored offset reset to the log start, or
        GREATEST in store_offsets would keep the old log's offset.
        """
        identity = self._log_watch.identity()
        group, topic, cluster = self._group, self._topic, identity.cluster_id
        stored = self._database.call(lambda conn: load_stored_offsets(conn, group, topic, cluster))
        beginning = self._consumer.beginning_offsets(sorted(partitions))
        end = self._consumer.end_offsets(sorted(partitions))
        starts = {
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
        return starts

    def _log_changed(self) -> bool:
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
            self._cluster, identity.cluster_id, self._topic_id or "unknown", identity.topic_id or "unknown",
            len(self._batch),
        )  # fmt: skip
        assigned = {tp for tp in self._consumer.assignment() if tp.topic == self._topic}
        self.drop_in_hand(assigned)
        self._consumer.pause(*assigned)
        self._unpositioned |= assigned
        return True

    def _seek(self, starts: dict[TopicPartition, Start]) -> None:
        for tp, start in sorted(starts.items()):
            if start.offset is None:
                self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, start.offset)
        log.info(
            "positioned %d partitions from postgres: %s",
            len(starts),
            {tp.partition: "beginning" if s.offset is None else s.offset for tp, s in sorted(starts.items())},
        )


class _PositionFromPostgres(ConsumerRebalanceListener):
    def __init__(self, sink: PostgresSink) -> None:
        self._sink = sink

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self._sink.drop_in_hand(set(revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._sink.position(set(assigned))


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
