"""``newsflow dlq list|replay``: look at dead letters and send chosen ones back.

A dead letter (``newsflow.kafka.dead_letter``) is the poison record's own key
and value with ``newsflow.*`` headers: the error, its type (the "reason"),
the stage that gave up, and the source topic, partition and offset. ``list``
reads the dead-letter topic outside any consumer group; ``replay`` produces
the chosen records, key, value and their own headers, back to their source
topic, once the cause is fixed (a tagger bug, a database constraint). A
record still poison is dead-lettered again, as a new dead letter; a record
whose value was cut to fit the topic (``newsflow.value.truncated``) is never
replayed, as it is no longer the record that failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from pydantic import ValidationError

from newsflow.models import DeadLetterHeaders
from newsflow.settings import Settings


@dataclass(frozen=True)
class DeadLetterFilter:
    stages: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # error types, e.g. DecodeError
    positions: tuple[tuple[int, int], ...] = ()  # (partition, offset) on the dead-letter topic

    def matches(self, letter: DeadLetter) -> bool:
        return (
            (not self.stages or letter.stage in self.stages)
            and (not self.reasons or letter.reason in self.reasons)
            and (not self.positions or (letter.partition, letter.offset) in self.positions)
        )


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic, its headers read."""

    partition: int
    offset: int
    timestamp_ms: int
    stage: str
    reason: str
    error: str
    source_topic: str
    source_partition: int
    source_offset: int
    truncated: str | None
    key: bytes | None
    record: ConsumerRecord

    def as_json(self) -> dict[str, Any]:
        return {
            "partition": self.partition, "offset": self.offset, "timestamp_ms": self.timestamp_ms,
            "stage": self.stage, "reason": self.reason, "error": self.error,
            "source_topic": self.source_topic, "source_partition": self.source_partition,
            "source_offset": self.source_offset, "value_truncated": self.truncated,
            "key": self.key.decode("utf-8", "replace") if self.key is not None else None,
            "value_bytes": len(self.record.value or b""),
        }  # fmt: skip


def read_dead_letters(settings: Settings, wanted: DeadLetterFilter) -> Iterator[DeadLetter]:
    """The dead letters on the topic now that match ``wanted``, partition by partition in offset order."""
    from newsflow import topicread

    consumer = topicread.reader(settings)
    try:
        partitions = topicread.partitions_of(consumer, settings.topics.dlq)
        end = topicread.ends(consumer, partitions)
        start = topicread.starts_at_offset(consumer, partitions, 0)
        letters = [letter for record in topicread.read_range(consumer, start, end) if (letter := _letter(record))]
    finally:
        consumer.close()
    letters.sort(key=lambda letter: (letter.partition, letter.offset))
    return (letter for letter in letters if wanted.matches(letter))


def _letter(record: ConsumerRecord) -> DeadLetter | None:
    """The dead letter, or None for a record without newsflow's headers (not one of ours)."""
    try:
        headers = DeadLetterHeaders.from_kafka(record.headers)
    except ValidationError:
        return None
    return DeadLetter(
        record.partition, record.offset, record.timestamp, headers.stage, headers.error_type, headers.error,
        headers.source_topic, int(headers.source_partition), int(headers.source_offset), headers.value_truncated,
        record.key, record,
    )  # fmt: skip


@dataclass
class DlqReplayReport:
    replayed: list[DeadLetter] = field(default_factory=list)
    skipped_truncated: list[DeadLetter] = field(default_factory=list)


def replay_dead_letters(settings: Settings, letters: list[DeadLetter], dry_run: bool = False) -> DlqReplayReport:
    """Produce each letter's key, value and own headers to its source topic; check every acknowledgement."""
    from newsflow.kafka import make_producer

    report = DlqReplayReport()
    for letter in letters:
        (report.skipped_truncated if letter.truncated else report.replayed).append(letter)
    if dry_run or not report.replayed:
        return report
    producer = make_producer(settings)
    try:
        futures = [
            producer.send(letter.source_topic, key=letter.record.key, value=letter.record.value,
                          headers=[(k, v) for k, v in letter.record.headers or [] if not k.startswith("newsflow.")])
            for letter in report.replayed
        ]  # fmt: skip
        producer.flush(timeout=120)
        for future in futures:
            future.get(timeout=0)  # raises the broker's refusal, if any
    finally:
        producer.close(timeout=10)
    return report
