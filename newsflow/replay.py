"""``newsflow replay``: re-publish a stretch of a topic, to the same topic or another.

Records are read outside any consumer group (nothing is committed, no
service's position moves) from an offset or a time, up to each partition's
end as it was when the command started (or ``--to-time``), and produced again
with their key, value and headers; the key decides the partition, as it did
the first time. Every acknowledgement is checked before the command reports
success. Replaying is safe because every consumer downstream is idempotent:
the sink upserts on the article id (an unchanged record touches no row),
enrich re-tags under the same key, and an event keeps its ``event_id``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from kafka import TopicPartition

from newsflow.errors import ConfigError
from newsflow.kafka import Offsets
from newsflow.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayRequest:
    topic: str
    to_topic: str
    partitions: list[int] | None = None  # None: all
    from_offset: int | None = None
    from_time: datetime | None = None
    to_time: datetime | None = None
    dry_run: bool = False


@dataclass
class ReplayReport:
    replayed: int = 0
    starts: Offsets = field(default_factory=dict)
    ends: Offsets = field(default_factory=dict)
    #: Next offset per partition of the target topic, from the acknowledgements.
    targets: Offsets = field(default_factory=dict)


def run_replay(settings: Settings, request: ReplayRequest) -> ReplayReport:
    """Read the chosen range of ``request.topic`` and produce it to ``request.to_topic``."""
    from newsflow import topicread
    from newsflow.kafka import make_producer

    consumer = topicread.reader(settings)
    producer = None if request.dry_run else make_producer(settings)
    report = ReplayReport()
    try:
        if not request.dry_run:
            topicread.partitions_of(consumer, request.to_topic)  # a typo'd target fails before anything is read
        partitions = topicread.partitions_of(consumer, request.topic, request.partitions)
        report.ends = topicread.ends(consumer, partitions)
        report.starts = _starts(consumer, partitions, request, report.ends)
        futures = []
        for record in topicread.read_range(consumer, report.starts, report.ends):
            if not _in_time(record.timestamp, request):
                continue
            report.replayed += 1
            if producer is not None:
                futures.append(producer.send(request.to_topic, key=record.key, value=record.value,
                                             headers=list(record.headers or [])))  # fmt: skip
        if producer is not None:
            _confirm(producer, futures, report)
    finally:
        consumer.close()
        if producer is not None:
            producer.close(timeout=10)
    return report


def _starts(consumer, partitions: list[TopicPartition], request: ReplayRequest, ends: Offsets) -> Offsets:
    from newsflow import topicread

    if request.from_offset is not None:
        if request.from_offset < 0:
            raise ConfigError("--from-offset must be 0 or more")
        return topicread.starts_at_offset(consumer, partitions, request.from_offset)
    if request.from_time is None:
        raise ConfigError("give --from-offset or --from-time")
    return topicread.starts_at_time(consumer, partitions, request.from_time, ends)


def _in_time(timestamp_ms: int, request: ReplayRequest) -> bool:
    """Within [from_time, to_time): timestamps need not grow within a partition, so each record is checked."""
    if request.from_time is not None and timestamp_ms < request.from_time.timestamp() * 1000:
        return False
    return request.to_time is None or timestamp_ms < request.to_time.timestamp() * 1000


def _confirm(producer, futures: list, report: ReplayReport) -> None:
    producer.flush(timeout=120)
    for future in futures:
        meta = future.get(timeout=0)  # raises the broker's refusal, if any
        tp = TopicPartition(meta.topic, meta.partition)
        report.targets[tp] = max(report.targets.get(tp, 0), meta.offset + 1)
