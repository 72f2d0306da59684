"""Where the sink starts reading a partition: from Postgres, but only on the log the offsets came from.

An offset is a position in one particular log. The stored offset is reused
only when the sink can tell the log is the same one it wrote from (issue 8):

1. the cluster id, read at *every* assignment (rows are keyed by it, so a new
   cluster simply has no stored offsets);
2. the topic id (KIP-516), which a broker hands out anew whenever a topic is
   created: a topic deleted and recreated, or a memory-only broker (Tansu)
   restarted with the same cluster id, gets a new one;
3. the partition's current range: an offset before the log start points at
   records that are gone, and one past the end belongs to an older, longer log.

When any of these is in doubt the sink replays the partition from the log
start, which is safe because every write is an idempotent upsert, and says
why in a warning. Skipping is never the answer to doubt.

:func:`choose_start` is the decision, a pure function; the rest gathers its
inputs from the broker.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, OffsetOutOfRangeError

from newsflow.settings import Settings

log = logging.getLogger(__name__)

#: How long the end-of-log probe reads before it calls the answer "in doubt".
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class LogIdentity:
    """Which log a topic's offsets refer to; '' where the broker does not say."""

    cluster_id: str
    topic_id: str


@dataclass(frozen=True)
class StoredOffset:
    """A row of ``kafka_offsets``: the next offset to read, and the topic id it was read from."""

    next_offset: int
    topic_id: str


@dataclass(frozen=True)
class Start:
    """Where to start a partition. ``offset`` None means the log start; ``doubt`` says why we replay."""

    offset: int | None
    doubt: str | None = None

    @property
    def replay(self) -> bool:
        return self.doubt is not None


def choose_start(
    stored: StoredOffset | None,
    topic_id: str,
    beginning: int,
    end: int,
    beyond_end: Callable[[int], bool],
) -> Start:
    """Resume at the stored offset only when it surely belongs to this log; otherwise replay.

    ``end`` is what the broker reports as the log end. Tansu can under-report
    it (docs/tansu-end-offsets.md), so an offset past ``end`` is not taken as proof: the
    ``beyond_end(offset)`` probe asks the log itself. Either answer is safe
    (past the end -> replay, not past -> resume), but a false "past the end"
    would replay the whole partition on every rebalance.
    """
    if stored is None:
        return Start(None)
    offset = stored.next_offset
    if stored.topic_id != topic_id:
        return Start(None, f"topic id changed from {stored.topic_id or 'unknown'} to {topic_id or 'unknown'}")
    if offset < beginning:
        return Start(None, f"stored offset {offset} is before the log start {beginning} (records deleted)")
    if offset > end and beyond_end(offset):
        return Start(None, f"stored offset {offset} is past the log end (the log was reset or truncated)")
    return Start(offset)


class LogWatch:
    """Asks the broker, each time, which log the sink is reading: its cluster id and the topic's id.

    Its own admin client, not the consumer's cached metadata, which may
    predate a broker reset; kept open while the sink runs, rebuilt after an
    error. Raises KafkaError when no broker answers or the topic is missing.
    """

    def __init__(self, settings: Settings, topic: str) -> None:
        self._settings = settings
        self._topic = topic
        self._admin: KafkaAdminClient | None = None

    def identity(self) -> LogIdentity:
        try:
            if self._admin is None:
                self._admin = KafkaAdminClient(**self._settings.kafka_client_config())
            cluster = self._admin.describe_cluster().get("cluster_id") or ""
            return LogIdentity(cluster, _topic_id(self._admin.describe_topics([self._topic]), self._topic))
        except KafkaError:
            self.close()
            raise

    def close(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(KafkaError, OSError):
                self._admin.close()
            self._admin = None


def _topic_id(described: list[dict], topic: str) -> str:
    for entry in described:
        if entry.get("name") == topic and entry.get("error_code", 0) == 0:
            topic_id = entry.get("topic_id")
            # The all-zero UUID is Kafka's "no id" (brokers before 2.8).
            return "" if topic_id in (None, uuid.UUID(int=0)) else str(topic_id)
    raise KafkaError(f"topic {topic} is not in the broker's metadata")


def offset_beyond_end(settings: Settings, tp: TopicPartition, offset: int) -> bool:
    """True unless the log surely holds offset ``offset - 1`` (so ``offset`` is at or before its end).

    Reads one record at ``offset - 1`` with a throwaway, group-less consumer
    whose reset policy is "none": the broker's own range check then answers
    with OffsetOutOfRange instead of the consumer silently jumping elsewhere.
    No record within the timeout (or any error) counts as "beyond": in doubt
    the caller replays.
    """
    consumer = KafkaConsumer(
        **settings.kafka_client_config(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="none",
        fetch_max_wait_ms=200,
        max_partition_fetch_bytes=max(1_048_576, settings.max_message_bytes),
    )
    try:
        consumer.assign([tp])
        consumer.seek(tp, offset - 1)
        return not _reads_at_or_after(consumer, tp, offset - 1)
    except OffsetOutOfRangeError:
        return True
    except KafkaError as exc:
        log.info("end-of-log probe of %s at %d failed (%s); treating as past the end", tp, offset, exc)
        return True
    finally:
        consumer.close(autocommit=False)


def _reads_at_or_after(consumer: KafkaConsumer, tp: TopicPartition, offset: int) -> bool:
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    while time.monotonic() < deadline:
        records = consumer.poll(timeout_ms=200, max_records=1).get(tp, [])
        if records:
            return records[0].offset >= offset
    return False
