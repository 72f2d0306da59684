"""Kafka plumbing shared by the stages: clients, topics, dead letters.

Every client is built from :class:`newsflow.settings.Settings`. Consumers never
auto-commit: kafka-python's default commits *consumed* offsets on a timer and
on rebalance, which would lose records that were read but not yet processed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, TopicAlreadyExistsError

from newsflow.backoff import backoff
from newsflow.settings import Settings

log = logging.getLogger(__name__)

#: Room left in a record for Kafka's own framing (batch and record headers).
DEAD_LETTER_OVERHEAD = 4096

#: Offsets per partition: the next offset to read (Kafka's "committed" sense).
Offsets = dict[TopicPartition, int]


#: How long a client rebuilt after a broker error looks for a broker before
#: giving up (the caller retries later, and can notice a stop request meanwhile).
REBUILD_BOOTSTRAP_MS = 5000

#: What a group consumer's fetch waits for (see make_consumer): about ten articles, or 500 ms.
CONSUMER_FETCH_MIN_BYTES = 64 * 1024
CONSUMER_FETCH_MAX_WAIT_MS = 500


def make_producer(settings: Settings, **overrides: Any) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas."""
    config: dict[str, Any] = {
        **settings.kafka_client_config(),
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "max_request_size": settings.max_message_bytes,
        "retries": 2**31 - 1,
        "delivery_timeout_ms": 120_000,
    }
    config.update(overrides)
    return KafkaProducer(**config)


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> KafkaConsumer:
    """A group consumer with auto-commit off; the caller subscribes and commits."""
    config: dict[str, Any] = {
        **settings.kafka_client_config(),
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": settings.consumer_session_timeout_ms,
        "heartbeat_interval_ms": settings.consumer_heartbeat_interval_ms,
        "max_poll_interval_ms": 300_000,
        "fetch_max_bytes": max(52_428_800, settings.max_message_bytes),
        "max_partition_fetch_bytes": max(1_048_576, settings.max_message_bytes),
        # The broker holds a fetch until it has about ten articles' worth or
        # the wait has passed: with kafka-python's default of 1 byte a consumer
        # that keeps up fetches once per produce request, and on Tansu a fetch
        # of 6 partitions costs the broker ~1 ms of CPU, an emptier one as much
        # as a full one (issue 9 #4). A lone record waits at most the 500 ms.
        "fetch_min_bytes": CONSUMER_FETCH_MIN_BYTES,
        "fetch_max_wait_ms": CONSUMER_FETCH_MAX_WAIT_MS,
    }
    config.update(overrides)
    return KafkaConsumer(**config)


def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> None:
    """Create the pipeline's topics if missing (idempotent; tolerates a slow broker start)."""
    topics = settings.topics
    wanted = [
        NewTopic(name, topics.partitions, topics.replication_factor, topic_configs=topic_configs(settings))
        for name in (topics.raw, topics.enriched, topics.dlq, topics.events)
    ]
    admin = _admin_client(settings, timeout_s)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another process won the race; the topic is there
            log.info("created topics %s", ", ".join(t.name for t in missing))
    finally:
        admin.close()


def topic_configs(settings: Settings) -> dict[str, str]:
    """What every pipeline topic is created with.

    ``max.message.bytes`` comes from the one size setting that also sizes the
    producers' requests and the consumers' fetches, so a record a stage may
    produce is always one the topic accepts and a consumer can fetch.
    """
    return {
        "max.message.bytes": str(settings.max_message_bytes),
        # With three replicas an acknowledged write survives losing any one broker.
        "min.insync.replicas": str(min(2, settings.topics.replication_factor)),
    }


def cluster_id(settings: Settings, timeout_s: float = 30.0) -> str:
    """The id the cluster reports for itself ('' if the broker does not say)."""
    admin = _admin_client(settings, timeout_s)
    try:
        return admin.describe_cluster().get("cluster_id") or ""
    finally:
        admin.close()


def _admin_client(settings: Settings, timeout_s: float) -> KafkaAdminClient:
    deadline = time.monotonic() + timeout_s
    failures = 0
    while True:
        try:
            # Bounded by what is left of timeout_s: kafka-python would otherwise
            # spend 30 s per attempt looking for a broker that is not there.
            remaining_ms = max(1000, int((deadline - time.monotonic()) * 1000))
            return KafkaAdminClient(**settings.kafka_client_config(), bootstrap_timeout_ms=remaining_ms)
        except KafkaError:  # no broker answered yet (kafka-python 3 raises several kinds)
            if time.monotonic() > deadline:
                raise
            failures += 1
            time.sleep(backoff(failures, 0.25, 1.0))


def dead_letter(
    producer: KafkaProducer,
    dlq_topic: str,
    record: ConsumerRecord,
    error: BaseException,
    stage: str,
    max_bytes: int | None = None,
) -> Any:
    """Send ``record`` unchanged to the dead-letter topic, the error in its headers.

    Returns the send future; the caller flushes before committing the offset,
    so a dead letter is never lost between "skipped" and "recorded". A record
    that would not fit the topic with its headers keeps only the head of its
    value that fits, and says so in ``newsflow.value.truncated``.
    """
    headers = [
        ("newsflow.error", _header(f"{type(error).__name__}: {error}")),
        ("newsflow.error.type", _header(type(error).__name__)),
        ("newsflow.stage", _header(stage)),
        ("newsflow.source.topic", _header(record.topic)),
        ("newsflow.source.partition", _header(str(record.partition))),
        ("newsflow.source.offset", _header(str(record.offset))),
    ]
    headers.extend((k, v) for k, v in (record.headers or []) if not k.startswith("newsflow."))
    value = record.value
    if max_bytes is not None and value is not None:
        room = max_bytes - DEAD_LETTER_OVERHEAD - len(record.key or b"") - sum(len(k) + len(v) for k, v in headers)
        if len(value) > room:
            headers.append(("newsflow.value.truncated", _header(f"{len(value)} bytes cut to {max(0, room)}")))
            value = value[: max(0, room)]
    log.warning(
        "dead-lettering %s[%d]@%d (%s): %s",
        record.topic, record.partition, record.offset, type(error).__name__, _short(error),
    )
    return producer.send(dlq_topic, key=record.key, value=value, headers=headers)


def _header(text: str) -> bytes:
    # Headers are for humans and tools; keep them bounded and valid UTF-8.
    return text[:2000].encode("utf-8", "replace")


def _short(error: BaseException) -> str:
    text = str(error)
    return text if len(text) <= 300 else text[:300] + "..."


def next_offsets(records: Iterable[ConsumerRecord]) -> Offsets:
    """The offsets to commit after processing ``records``: last offset + 1 per partition."""
    offsets: Offsets = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
    return offsets


def reached(positions: Mapping[TopicPartition, int], targets: Mapping[TopicPartition, int]) -> bool:
    """True when every target partition's position is at or past its target offset.

    Used by ``--once`` runs. Targets come from producer acknowledgements, never
    from ``end_offsets()``, which Tansu can under-report (docs/tansu-end-offsets.md).
    """
    return all(positions.get(tp, 0) >= offset for tp, offset in targets.items())

