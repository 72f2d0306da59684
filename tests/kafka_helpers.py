"""Small Kafka helpers for tests: produce and read back a topic completely."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from newsflow.kafka import Offsets, ensure_topics, make_producer
from newsflow.settings import Settings


def produce(settings: Settings, topic: str, items: Iterable[tuple[bytes | None, bytes | None]]) -> Offsets:
    """Send (key, value) pairs and return the acknowledged next offset per partition.

    Creates the pipeline's topics first, as the services do: Apache Kafka is
    configured like production, with auto-creation off.
    """
    ensure_topics(settings)
    producer = make_producer(settings)
    futures = [producer.send(topic, key=key, value=value) for key, value in items]
    producer.flush()
    targets: Offsets = {}
    for future in futures:
        meta = future.get(timeout=30)
        tp = TopicPartition(meta.topic, meta.partition)
        targets[tp] = max(targets.get(tp, 0), meta.offset + 1)
    producer.close()
    return targets


def read_topic(settings: Settings, topic: str, expect: int, timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Read a topic from the beginning until ``expect`` records or the timeout.

    Counting what was actually read is reliable on every broker; ``end_offsets()``
    is not on Tansu (docs/tansu-end-offsets.md).
    """
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
    )
    consumer.subscribe([topic])
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expect and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        # Linger briefly so a test that expects N also sees an unexpected N+1.
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
    finally:
        consumer.close()
    return records
