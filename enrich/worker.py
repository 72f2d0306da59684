"""The enrich worker: ``news.articles.raw`` → tagger → ``news.articles.enriched``.

One consumer in the enrich group. For every batch: decode and tag each record,
produce the enriched article (or a dead letter), flush the producer, and only
then commit the batch's offsets. A crash anywhere before the commit replays
the batch, which is harmless: the enriched message is keyed by article id and
the sink upserts on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.structs import OffsetAndMetadata

from newsflow.errors import DecodeError
from newsflow.kafka import Offsets, dead_letter, ensure_topics, make_consumer, make_producer, next_offsets, reached
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, RawArticle, decode, encode
from newsflow.settings import Settings

log = logging.getLogger(__name__)

STAGE = "enrich"
POLL_TIMEOUT_MS = 500
MAX_POLL_RECORDS = 500


@dataclass
class EnrichReport:
    """What one run of the worker did."""

    enriched: int = 0
    dead_lettered: int = 0
    batches: int = 0
    #: Next offset per partition of the enriched topic, from producer acks:
    #: what a downstream ``--once`` stage must reach.
    targets: Offsets = field(default_factory=dict)


def enrich_article(article: RawArticle) -> EnrichedArticle:
    """The pure step: tag one raw article."""
    from enrich.tagger import TAGGER_VERSION, tag

    text = article.text or article.summary or ""
    tags = tag(text, article.published_at, title=article.title)
    return EnrichedArticle(
        article=article, tags=tags, tagger_version=TAGGER_VERSION, enriched_at=datetime.now(UTC)
    )


def run_enrich(settings: Settings, stopper: Stopper, targets: Offsets | None = None) -> EnrichReport:
    """Consume, tag, produce, commit, until stopped (or, with ``targets``, until they are reached)."""
    ensure_topics(settings)
    report = EnrichReport()
    consumer = make_consumer(settings, settings.enrich_group, max_poll_records=MAX_POLL_RECORDS)
    producer = make_producer(settings)
    consumer.subscribe([settings.topics.raw])
    try:
        while not stopper.stopped:
            if targets is not None and _drained(consumer, targets):
                break
            records = _poll(consumer)
            if records:
                _process_batch(records, consumer, producer, settings, report)
    finally:
        producer.close()
        consumer.close(autocommit=False)
    log.info(
        "enrich stopped: %d enriched, %d dead-lettered in %d batches",
        report.enriched, report.dead_lettered, report.batches,
    )
    return report


def _poll(consumer: KafkaConsumer) -> list[ConsumerRecord]:
    polled = consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
    return [record for batch in polled.values() for record in batch]


def _process_batch(
    records: list[ConsumerRecord],
    consumer: KafkaConsumer,
    producer: KafkaProducer,
    settings: Settings,
    report: EnrichReport,
) -> None:
    """Tag and produce every record, flush, then commit.

    Order of the checkpoint: (1) produce enriched articles and dead letters,
    (2) flush and check every acknowledgement, (3) commit the consumed
    offsets. A failed acknowledgement raises before (3), so the batch is
    consumed again rather than lost.
    """
    sent = [_send_one(record, producer, settings, report) for record in records]
    producer.flush()
    for future in sent:
        metadata = future.get(timeout=0)  # raises if the broker refused it
        if metadata.topic == settings.topics.enriched:
            tp = TopicPartition(metadata.topic, metadata.partition)
            report.targets[tp] = max(report.targets.get(tp, 0), metadata.offset + 1)
    consumer.commit(offsets=_as_commit(next_offsets(records)))
    report.batches += 1


def _send_one(record: ConsumerRecord, producer: KafkaProducer, settings: Settings, report: EnrichReport) -> Any:
    try:
        enriched = enrich_article(decode(RawArticle, record.value))
    except DecodeError as exc:
        report.dead_lettered += 1
        return dead_letter(producer, settings.topics.dlq, record, exc, STAGE)
    except Exception as exc:  # noqa: BLE001 - a tagger bug on one article must not stop the stream
        log.exception("tagging failed for %s[%d]@%d", record.topic, record.partition, record.offset)
        report.dead_lettered += 1
        return dead_letter(producer, settings.topics.dlq, record, exc, STAGE)
    report.enriched += 1
    return producer.send(settings.topics.enriched, key=enriched.article.id.encode(), value=encode(enriched))


def _as_commit(offsets: Offsets) -> dict[TopicPartition, OffsetAndMetadata]:
    return {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}


def _drained(consumer: KafkaConsumer, targets: Offsets) -> bool:
    """True once this consumer has read past every target offset.

    Positions are only known for assigned partitions; before the group has
    assigned us anything we are not drained.
    """
    assigned = consumer.assignment()
    if not all(tp in assigned for tp in targets):
        return False
    return reached({tp: consumer.position(tp) for tp in targets}, targets)
