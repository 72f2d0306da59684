"""The one consumer loop of the stages that read a topic: enrich and sink.

A stage says how to make a batch durable (:meth:`Stage.store`) and how to
commit it (:meth:`Stage.commit`); the loop polls, batches, keeps a batch that
failed in hand and retries it, rebuilds the stage's Kafka clients after an
error that leaves them unusable, and logs plainly what it is waiting for.

Per-record failures never reach the loop: a stage dead-letters a record it
cannot decode, validate, process or produce (:class:`DeadLetters`), and the
batch goes on. Only failures of the batch as a whole (the broker or the
database away) come back here, and those are retried, never skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as kafka_errors
from kafka.consumer.fetcher import ConsumerRecord
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from newsflow import metrics
from newsflow.backoff import backoff
from newsflow.kafka import Offsets, dead_letter, next_offsets
from newsflow.lifecycle import Stopper

log = logging.getLogger(__name__)

#: Errors the broker gives for one record, the same on every retry: that record
#: is dead-lettered, the rest of its batch goes on.
RECORD_ERRORS: tuple[type[KafkaError], ...] = (
    kafka_errors.MessageSizeTooLargeError,
    kafka_errors.RecordListTooLargeError,
    kafka_errors.InvalidRecordError,
    kafka_errors.CorruptRecordError,
    kafka_errors.InvalidTimestampError,
)
ACK_WAIT_LOG_S = 5.0
ACK_GIVE_UP_S = 15.0
MISSING_LOG_S = 5.0
# Metadata answers that must agree before the consumer joins its group (see _wait_for_partitions).
AGREEING_READS = 3
HEARTBEAT_STALE_S = 10.0
MAX_BACKOFF_S = 5.0


class Stopped(Exception):
    """A stop was requested while waiting on the broker; the batch in hand is replayed later."""


def is_record_error(error: BaseException) -> bool:
    return isinstance(error, RECORD_ERRORS)


class Stage(Protocol):
    """What a stage gives the loop."""

    name: str

    def prepare(self) -> None:
        """Before each poll (the sink positions partitions it could not position at assignment)."""

    def store(self, records: list[ConsumerRecord]) -> None:
        """Make every record's result durable, or raise and leave the batch to be retried."""

    def commit(self, offsets: Offsets) -> None:
        """Record that the batch up to ``offsets`` is done."""

    def rebuild_clients(self) -> None:
        """Replace producers that may be unusable after a broker error (fatal sequence/epoch state)."""

    def assigned(self, partitions: set[TopicPartition]) -> None: ...

    def revoked(self, partitions: set[TopicPartition]) -> None: ...


@dataclass
class BatchLimits:
    records: int = 500
    bytes: int = 64 * 1024 * 1024
    #: Longest wait for a batch to fill once polling starts.
    timeout_ms: int = 500
    #: Once something is in hand, a lull this long ends the batch: low latency when idle.
    lull_ms: int = 100


@dataclass
class ConsumerLoop:
    consumer: KafkaConsumer
    stage: Stage
    stopper: Stopper
    limits: BatchLimits = field(default_factory=BatchLimits)
    in_hand: list[ConsumerRecord] = field(default_factory=list)
    failures: int = 0
    _missing_since: float | None = None
    _said_missing: float = 0.0

    def run(self, topics: list[str], finished: Callable[[], bool] | None = None) -> None:
        """Poll, store, commit until stopped (or until ``finished()`` with nothing in hand)."""
        metrics.READINESS.expect_group(self.stage.name)  # not ready until it has joined its group
        try:
            self._run(topics, finished)
        finally:
            metrics.READINESS.forget_group(self.stage.name)

    def _run(self, topics: list[str], finished: Callable[[], bool] | None) -> None:
        # Subscribe first, then read the metadata: kafka-python notes the partitions
        # it will assign from only while subscribed, and a group leader that
        # assigned from an older note rejoins at once (see _wait_for_partitions).
        self.consumer.subscribe(topics, listener=_Rebalance(self))
        self._wait_for_partitions(topics)
        while not self.stopper.stopped:
            if finished is not None and not self.in_hand and finished():
                break
            try:
                self.stage.prepare()
                if not self.in_hand:
                    self._collect()
                if self.in_hand:
                    self._checkpoint()
                self._recovered()
            except Stopped:
                break
            except KafkaError as exc:
                self._retry_later(exc)

    def _wait_for_partitions(self, topics: list[str]) -> None:
        """Until fresh reads of the cluster's metadata agree on every topic's partitions.

        Runs after ``subscribe`` and before the first ``poll`` (which joins the
        group). kafka-python's group leader compares the partitions it assigned
        from with the ones it sees afterwards and rejoins at once if they differ;
        they did in 55 of 134 joins on the test broker, because the consumer had
        not read the metadata while subscribed. That immediate second join was
        followed, in a few runs, by a consumer that stopped heartbeating or never
        fetched a partition: silent, storing nothing. Reading the metadata here
        makes the first assignment the settled one. Several agreeing answers also
        mean a just-created topic has reached every broker that answers.
        """
        started = time.monotonic()
        agreed, last = 0, None
        while not self.stopper.stopped:
            seen = self._fresh_partitions(topics)
            agreed = agreed + 1 if seen is not None and seen == last else (1 if seen is not None else 0)
            last = seen
            if agreed >= AGREEING_READS:
                return
            if time.monotonic() - started > MISSING_LOG_S:
                log.warning("%s: waiting for Kafka to list the partitions of %s", self.stage.name, ", ".join(topics))
                started = time.monotonic()
            self.stopper.wait(0.3)

    def _fresh_partitions(self, topics: list[str]) -> dict[str, frozenset[int]] | None:
        """Each topic's partitions from a metadata request made now; None while any topic has none."""
        try:
            self.consumer.topics()  # always a request to the cluster, unlike partitions_for_topic
        except KafkaError:
            return None
        seen = {topic: frozenset(self.consumer.partitions_for_topic(topic) or ()) for topic in topics}
        return seen if all(seen.values()) else None

    def _checkpoint(self) -> None:
        """Store the batch in hand, then commit it. The order, for every stage:

        1. ``stage.store``: every record's result is durable -- produced and
           acknowledged (enrich), or written to Postgres in one transaction
           with the offsets after the batch (sink) -- and every record that
           failed is an acknowledged dead letter. A failure raises, and the
           batch stays in hand to be stored again: nothing is skipped.
        2. ``stage.commit``: only now are the offsets after the batch
           committed. A crash before this replays the batch, which is
           harmless: every output is keyed by article id and upserted.
        """
        batch = self.in_hand
        started = time.monotonic()
        self.stage.store(batch)
        self.in_hand = []
        offsets = next_offsets(batch)
        self.stage.commit(offsets)
        metrics.BATCH_SECONDS.labels(self.stage.name).observe(time.monotonic() - started)
        self._record_lag(offsets)

    def _record_lag(self, offsets: Offsets) -> None:
        """The committed partitions' distance to their high watermark (from the last fetch; None if unknown)."""
        group = str(self.consumer.config.get("group_id"))
        for tp, committed in offsets.items():
            high = self.consumer.highwater(tp)
            if high is not None:
                metrics.CONSUMER_LAG.labels(group, tp.topic, str(tp.partition)).set(max(0, high - committed))

    def _collect(self) -> None:
        """Poll until the batch is full, the timeout passes, or the stream pauses."""
        deadline = time.monotonic() + self.limits.timeout_ms / 1000
        size = 0
        while len(self.in_hand) < self.limits.records and size < self.limits.bytes and not self.stopper.stopped:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                break
            wait_ms = min(remaining_ms, self.limits.lull_ms) if self.in_hand else remaining_ms
            asked = time.monotonic()
            polled = self.consumer.poll(timeout_ms=wait_ms, max_records=self.limits.records - len(self.in_hand))
            if not polled and self.in_hand:
                break
            if not polled and time.monotonic() - asked < wait_ms / 2000:
                # poll() returns at once while no group coordinator answers; without
                # a pause this loop would spin a core for as long as the broker is away.
                self.stopper.wait(0.2)
            if polled or _heartbeat_age_s(self.consumer) < HEARTBEAT_STALE_S:
                self._coordinator_found()
            else:
                self._coordinator_missing()
            for records in polled.values():
                self.in_hand.extend(records)
                size += sum(len(r.value or b"") for r in records)

    def _coordinator_missing(self) -> None:
        now = time.monotonic()
        if self._missing_since is None:
            self._missing_since = now
        elif now - self._missing_since >= MISSING_LOG_S and now - self._said_missing >= MISSING_LOG_S:
            self._said_missing = now
            log.warning(
                "%s: waiting for Kafka: the group coordinator has not answered for %.0fs (is the broker reachable?)",
                self.stage.name, now - self._missing_since + HEARTBEAT_STALE_S,
            )

    def _coordinator_found(self) -> None:
        if self._missing_since is not None and self._said_missing:
            log.info("%s: Kafka's group coordinator answers again", self.stage.name)
        self._missing_since, self._said_missing = None, 0.0

    def _retry_later(self, exc: KafkaError) -> None:
        delay = backoff(self.failures + 1, 0.5, MAX_BACKOFF_S)
        self.failures += 1
        log.warning(
            "%s: waiting for Kafka (%s: %s); %d record(s) in hand, retrying in %.1fs",
            self.stage.name, type(exc).__name__, exc, len(self.in_hand), delay,
        )
        # A producer that failed may be stuck in a fatal state (sequence numbers,
        # epoch) after a broker restart; a fresh one gets a new producer id.
        try:
            self.stage.rebuild_clients()
        except KafkaError as rebuild_error:
            log.warning("%s: cannot rebuild Kafka clients yet (%s)", self.stage.name, rebuild_error)
        self.stopper.wait(delay)

    def _recovered(self) -> None:
        if self.failures:
            log.info("%s: Kafka is back after %d failed attempt(s); carrying on", self.stage.name, self.failures)
        self.failures = 0

    def drop_in_hand(self, partitions: set[TopicPartition]) -> None:
        """Forget records of revoked partitions: their new owner reads them again."""
        self.in_hand = [r for r in self.in_hand if TopicPartition(r.topic, r.partition) not in partitions]


def _heartbeat_age_s(consumer: KafkaConsumer) -> float:
    """Seconds since the group coordinator last answered a heartbeat (0 if unknown).

    An idle consumer whose broker is gone never raises; this is how the loop
    notices, to say what it is waiting for.
    """
    for group in consumer.metrics().values():
        age = group.get("last-heartbeat-seconds-ago")
        if isinstance(age, int | float) and 0 <= age < 10**6:  # "never" reads as a huge number
            return float(age)
    return 0.0


class _Rebalance(ConsumerRebalanceListener):
    def __init__(self, loop: ConsumerLoop) -> None:
        self._loop = loop

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        metrics.READINESS.group_joined(self._loop.stage.name, False)
        self._loop.drop_in_hand(set(revoked))
        self._loop.stage.revoked(set(revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._loop.stage.assigned(set(assigned))
        metrics.READINESS.group_joined(self._loop.stage.name, True)


# --- waiting for acknowledgements, and dead letters ---------------------------------


def wait_for_acks(
    producer: KafkaProducer, stopper: Stopper, what: str, count: int, give_up_s: float = ACK_GIVE_UP_S
) -> None:
    """Flush ``producer``, saying every few seconds what is still unacknowledged.

    A stop request ends the wait with :class:`Stopped` (nothing is committed, so
    the batch is replayed by whoever runs next). After ``give_up_s`` the wait
    ends with a timeout, and the loop retries the batch on a new producer:
    after a whole-cluster restart kafka-python's producer was seen never to
    deliver what it held, long after the brokers were back.
    """
    started = time.monotonic()
    next_log = started + ACK_WAIT_LOG_S
    while True:
        try:
            producer.flush(timeout=1.0)
            return
        except kafka_errors.KafkaTimeoutError:
            pass
        if stopper.stopped:
            raise Stopped
        if time.monotonic() - started >= give_up_s:
            raise kafka_errors.KafkaTimeoutError(f"{count} {what} record(s) not acknowledged in {give_up_s:.0f}s")
        if time.monotonic() >= next_log:
            log.warning(
                "waiting %.0fs for Kafka to acknowledge %d %s record(s) (is the broker reachable?)",
                time.monotonic() - started, count, what,
            )
            next_log += ACK_WAIT_LOG_S


def outcome(future: Any) -> BaseException | None:
    """The error of a completed send future, or None if the broker stored the record."""
    try:
        future.get(timeout=0)
    except KafkaError as exc:
        return exc
    return None


class DeadLetters:
    """Dead letters of one batch: sent, then all acknowledged before the batch commits."""

    def __init__(self, producer: KafkaProducer, topic: str, stage: str, max_bytes: int) -> None:
        self._producer = producer
        self._topic = topic
        self._stage = stage
        self._max_bytes = max_bytes
        self._futures: list[Any] = []
        self._reasons: list[str] = []

    def add(self, record: ConsumerRecord, error: BaseException) -> None:
        self._futures.append(dead_letter(self._producer, self._topic, record, error, self._stage, self._max_bytes))
        self._reasons.append(type(error).__name__)

    def extend(self, failed: Iterable[tuple[ConsumerRecord, BaseException]]) -> None:
        for record, error in failed:
            self.add(record, error)

    def __len__(self) -> int:
        return len(self._futures)

    def confirm(self, stopper: Stopper) -> None:
        """Wait until every dead letter is stored; raise if one was refused."""
        if not self._futures:
            return
        wait_for_acks(self._producer, stopper, "dead-letter", len(self._futures))
        for future in self._futures:
            future.get(timeout=0)
        # Counted once stored: a batch retried after a failure sends them again.
        for reason in self._reasons:
            metrics.DEAD_LETTERS.labels(self._stage, reason).inc()
