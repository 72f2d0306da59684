"""Reading a stretch of a topic once, outside any consumer group: for replay and dlq.

A reader assigns partitions itself (no group, nothing committed: an operator
command must not move a service's offsets) and stops at each partition's end
*as it was when the command started*, so a replay into the topic it reads
never chases its own records.

That end is found by reading, not taken from ``end_offsets()`` alone: Tansu
can answer the base offset of the last batch instead of the high watermark
(design.md). The reader seeks to what ``end_offsets()`` says and reads on
until the partition is quiet; the offset after the last record it saw is the
end. On Apache Kafka that read finds nothing and costs one quiet poll.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from newsflow.errors import ConfigError, TransientError
from newsflow.kafka import Offsets
from newsflow.settings import Settings

#: A partition that returns nothing for this long is at its end.
QUIET_S = 1.0
#: Bound on any one read, so a broker that stops answering ends the command.
READ_TIMEOUT_S = 120.0


def reader(settings: Settings) -> KafkaConsumer:
    """A consumer with no group: assign, seek, read; never commits."""
    return KafkaConsumer(
        **settings.kafka_client_config(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_bytes=max(52_428_800, settings.max_message_bytes),
        max_partition_fetch_bytes=max(1_048_576, settings.max_message_bytes),
    )


def partitions_of(consumer: KafkaConsumer, topic: str, wanted: list[int] | None = None) -> list[TopicPartition]:
    """The topic's partitions (or the ``wanted`` ones); a missing topic or partition is a usage error."""
    known = consumer.partitions_for_topic(topic)
    if not known:
        raise ConfigError(f"topic {topic!r} does not exist")
    if wanted:
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ConfigError(f"topic {topic!r} has no partition {', '.join(map(str, unknown))} (it has 0..{max(known)})")
        return [TopicPartition(topic, p) for p in sorted(set(wanted))]
    return [TopicPartition(topic, p) for p in sorted(known)]


def ends(consumer: KafkaConsumer, partitions: list[TopicPartition]) -> Offsets:
    """Each partition's end now: the offset after its last record (see the module's note on Tansu)."""
    reported = consumer.end_offsets(partitions)
    consumer.assign(partitions)
    consumer.resume(*partitions)
    for tp in partitions:
        consumer.seek(tp, reported[tp])
    found = dict(reported)
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < QUIET_S:
        for tp, records in consumer.poll(timeout_ms=200).items():
            found[tp] = max(found[tp], records[-1].offset + 1)
            quiet_since = time.monotonic()
    return found


def starts_at_time(consumer: KafkaConsumer, partitions: list[TopicPartition], when: datetime, end: Offsets) -> Offsets:
    """The first offset of each partition whose record timestamp is at or after ``when`` (its end if none)."""
    found = consumer.offsets_for_times({tp: int(when.timestamp() * 1000) for tp in partitions})
    return {tp: found[tp].offset if found.get(tp) is not None else end[tp] for tp in partitions}


def starts_at_offset(consumer: KafkaConsumer, partitions: list[TopicPartition], offset: int) -> Offsets:
    """``offset`` in each partition, or its log start when the log no longer goes back that far."""
    beginning = consumer.beginning_offsets(partitions)
    return {tp: max(offset, beginning[tp]) for tp in partitions}


def read_range(consumer: KafkaConsumer, starts: Offsets, end: Offsets) -> Iterator[ConsumerRecord]:
    """Every record from ``starts`` up to (not including) ``end``, partition by partition interleaved."""
    pending = {tp for tp in starts if starts[tp] < end[tp]}
    if not pending:
        return
    consumer.assign(sorted(pending))
    consumer.resume(*pending)  # an earlier read on this consumer paused what it finished
    for tp in pending:
        consumer.seek(tp, starts[tp])
    deadline = time.monotonic() + READ_TIMEOUT_S
    while pending:
        if time.monotonic() > deadline:
            raise TransientError(f"reading {_names(pending)} made no progress for {READ_TIMEOUT_S:.0f} s")
        for tp, records in consumer.poll(timeout_ms=500).items():
            deadline = time.monotonic() + READ_TIMEOUT_S
            for record in records:
                if record.offset < end[tp]:
                    yield record
        # Checked for every partition, not only those that returned records: a
        # gap (compaction, transaction markers) moves the position without one.
        for tp in [tp for tp in pending if consumer.position(tp) >= end[tp]]:
            pending.discard(tp)
            consumer.pause(tp)


def _names(partitions: set[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions))
