"""The enrich worker: ``news.articles.raw`` → tagger → ``news.articles.enriched``.

One consumer in the enrich group, driven by the core loop
(:mod:`newsflow.consume`). For every batch: decode and tag each record, trim
it to fit the topic, produce it, wait for every acknowledgement, publish the
events of every article that went out to ``news.events`` (one record each,
keyed by producer) and wait for those too, dead-letter each record that
failed on its own (undecodable, invalid, a tagger exception, refused by the
broker as too large or invalid), and only then commit the batch's offsets. A crash anywhere before the commit replays the batch, which
is harmless: the enriched message is keyed by article id and the sink upserts
on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from enrich.fit import fit
from newsflow import metrics
from newsflow.consume import BatchLimits, ConsumerLoop, DeadLetters, is_record_error, outcome, wait_for_acks
from newsflow.kafka import (
    DEAD_LETTER_OVERHEAD,
    REBUILD_BOOTSTRAP_MS,
    Offsets,
    ensure_topics,
    make_consumer,
    make_producer,
    reached,
)
from newsflow.lifecycle import Stopper
from newsflow.models import EnrichedArticle, RawArticle, decode, encode, event_messages
from newsflow.settings import Settings

log = logging.getLogger(__name__)

STAGE = "enrich"
MAX_POLL_RECORDS = 500


@dataclass
class EnrichReport:
    """What one run of the worker did."""

    enriched: int = 0
    events: int = 0
    dead_lettered: int = 0
    batches: int = 0
    #: Next offset per partition of the enriched topic, from producer acks:
    #: what a downstream ``--once`` stage must reach.
    targets: Offsets = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    """An enriched record on its way, kept to send again on its own if its batch is refused."""

    key: bytes
    value: bytes
    future: Any
    #: (key, value) of its news.events records, published once the article is acknowledged.
    events: tuple[tuple[bytes, bytes], ...] = ()


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
    consumer = make_consumer(settings, settings.enrich_group, max_poll_records=MAX_POLL_RECORDS)
    stage = EnrichStage(settings, stopper, consumer)
    limits = BatchLimits(records=MAX_POLL_RECORDS, timeout_ms=500, lull_ms=settings.enrich_batch_lull_ms)
    loop = ConsumerLoop(consumer, stage, stopper, limits)
    finished = (lambda: _drained(consumer, targets)) if targets is not None else None
    try:
        loop.run([settings.topics.raw], finished)
    finally:
        stage.close()
        consumer.close(autocommit=False, timeout_ms=5000)
    report = stage.report
    log.info(
        "enrich stopped: %d enriched, %d dead-lettered in %d batches",
        report.enriched, report.dead_lettered, report.batches,
    )
    return report


class EnrichStage:
    """Tag, produce and commit one batch at a time (see :meth:`ConsumerLoop._checkpoint` for the order)."""

    name = STAGE

    def __init__(self, settings: Settings, stopper: Stopper, consumer: KafkaConsumer) -> None:
        self._settings = settings
        self._stopper = stopper
        self._consumer = consumer
        self._producer: KafkaProducer = make_producer(settings)
        # Room for the key, headers and Kafka's framing around the value.
        self._budget = settings.max_message_bytes - DEAD_LETTER_OVERHEAD
        self.report = EnrichReport()

    def store(self, records: list[ConsumerRecord]) -> None:
        """Produce every record's result and have each acknowledged, or raise to retry the batch."""
        failed: list[tuple[ConsumerRecord, BaseException]] = []
        sent = []
        for record in records:
            try:
                sent.append((record, self._send(record)))
            except Exception as exc:
                if isinstance(exc, KafkaError) and not is_record_error(exc):
                    raise  # the broker, not the record: retry the batch
                if not isinstance(exc, KafkaError | ValueError):
                    log.exception("tagging failed for %s[%d]@%d", record.topic, record.partition, record.offset)
                failed.append((record, exc))
        wait_for_acks(self._producer, self._stopper, "enriched", len(sent))
        produced, refused = self._check_acks(sent)
        if refused:
            alone, refused = self._send_alone(refused)
            produced.extend(alone)
        given_up = {id(record) for record, _ in refused}
        self._publish_events([item for record, item in sent if id(record) not in given_up])
        dead = DeadLetters(self._producer, self._settings.topics.dlq, STAGE, self._settings.max_message_bytes)
        dead.extend(failed + refused)
        dead.confirm(self._stopper)
        self._count(produced, len(dead))

    def _send(self, record: ConsumerRecord) -> Sent:
        """Decode, tag, trim and send one record; raises for a record that cannot go."""
        enriched = fit(enrich_article(decode(RawArticle, record.value)), self._budget)
        if enriched.truncated_fields:
            log.warning(
                "article %s trimmed to fit the topic: %s", enriched.article.id, ", ".join(enriched.truncated_fields)
            )
        key, value = enriched.article.id.encode(), encode(enriched)
        events = tuple((event.producer.encode(), encode(event)) for event in event_messages(enriched))
        return Sent(key, value, self._producer.send(self._settings.topics.enriched, key=key, value=value), events)

    def _publish_events(self, delivered: list[Sent]) -> None:
        """The events of the articles now on the enriched topic, each acknowledged, before the commit.

        A refusal raises and the batch is retried (its articles and events
        are produced again, with the same keys and event ids): an event record
        is small, so a refusal is the broker's state, not the record's.
        """
        topic = self._settings.topics.events
        futures = [self._producer.send(topic, key=key, value=value) for item in delivered for key, value in item.events]
        if not futures:
            return
        wait_for_acks(self._producer, self._stopper, "event", len(futures))
        for future in futures:
            error = outcome(future)
            if error is not None:
                raise error
        self.report.events += len(futures)
        metrics.EVENTS_PUBLISHED.inc(len(futures))

    def _send_alone(self, refused: list[tuple[ConsumerRecord, Sent]]) -> tuple[list[Any], list[tuple[ConsumerRecord, BaseException]]]:
        """Send each refused record on its own: the broker refuses a whole produce
        batch for one record too large, so its neighbours were refused with it."""
        produced, failed = [], []
        for record, sent in refused:
            # kafka-python's producer keeps failing sends after the broker refused
            # a batch; every attempt, and the dead letters after, get a fresh one.
            self._new_producer()
            future = self._producer.send(self._settings.topics.enriched, key=sent.key, value=sent.value)
            wait_for_acks(self._producer, self._stopper, "enriched", 1)
            error = outcome(future)
            if error is None:
                produced.append(future.get(timeout=0))
            elif is_record_error(error):
                failed.append((record, error))
            else:
                raise error
        self._new_producer()
        return produced, failed

    def _check_acks(self, sent: list[tuple[ConsumerRecord, Sent]]) -> tuple[list[Any], list[tuple[ConsumerRecord, Sent]]]:
        """(metadata of the stored records, records the broker refused as records)."""
        produced, refused = [], []
        for record, item in sent:
            error = outcome(item.future)
            if error is None:
                produced.append(item.future.get(timeout=0))
            elif is_record_error(error):
                refused.append((record, item))
            else:
                raise error  # not about this record: the whole batch is retried
        return produced, refused

    def _count(self, produced: list[Any], dead_lettered: int) -> None:
        for metadata in produced:
            tp = TopicPartition(metadata.topic, metadata.partition)
            self.report.targets[tp] = max(self.report.targets.get(tp, 0), metadata.offset + 1)
        self.report.enriched += len(produced)
        metrics.ARTICLES_ENRICHED.inc(len(produced))
        self.report.dead_lettered += dead_lettered
        self.report.batches += 1

    def commit(self, offsets: Offsets) -> None:
        self._consumer.commit(offsets={tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()})

    def rebuild_clients(self) -> None:
        """A new producer (new producer id, fresh sequence numbers) and the topics ensured again.

        After a broker restart an idempotent producer can be left failing every
        send (OutOfOrderSequenceNumber, an unknown producer id or epoch), and a
        broker that auto-creates topics may have made ours with its defaults.
        """
        ensure_topics(self._settings, timeout_s=5.0)
        self._new_producer()
        log.info("enrich: producer rebuilt and topics ensured")

    def _new_producer(self) -> None:
        old, self._producer = self._producer, make_producer(self._settings, bootstrap_timeout_ms=REBUILD_BOOTSTRAP_MS)
        old.close(timeout=0)

    def prepare(self) -> None:
        pass

    def assigned(self, partitions: set[TopicPartition]) -> None:
        pass

    def revoked(self, partitions: set[TopicPartition]) -> None:
        pass

    def close(self) -> None:
        self._producer.close(timeout=10)


def _drained(consumer: KafkaConsumer, targets: Offsets) -> bool:
    """True once this consumer has read past every target offset.

    Positions are only known for assigned partitions; before the group has
    assigned us anything we are not drained.
    """
    assigned = consumer.assignment()
    if not all(tp in assigned for tp in targets):
        return False
    return reached({tp: consumer.position(tp) for tp in targets}, targets)
