"""Building RawArticles and publishing them to ``news.articles.raw``.

The record key is the article id, so every version of an article lands on the
same partition and the sink's upsert by id makes duplicates harmless. Raw HTML
never goes on the topic: only extracted (or feed) text.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kafka import KafkaProducer, TopicPartition
from kafka.errors import KafkaError

from ingest.extract import ExtractedPage
from ingest.feeds import FeedEntry
from ingest.identity import canonical_url
from ingest.state import Acknowledged
from newsflow.errors import TransientError
from newsflow.models import RawArticle, article_id, encode
from newsflow.redact import redact_url, scrub

log = logging.getLogger(__name__)


ACK_LOG_S = 10.0


class PublishError(TransientError):
    """Kafka did not take an article: a broker problem, never the feed's fault."""


# Headroom under the broker's message limit for the JSON around the text.
_ENVELOPE_BYTES = 64 * 1024


@dataclass(frozen=True)
class FeedRef:
    """The feed an article came from. ``url`` is the raw URL (ids are computed from
    it); only its redacted form, with ``secrets`` scrubbed, goes on the topic."""

    url: str
    name: str | None
    secrets: tuple[str, ...] = ()

    def hide(self, text: str) -> str:
        return scrub(redact_url(text), self.secrets)


def article_identity(feed_url: str, entry: FeedEntry) -> tuple[str, str]:
    """(canonical URL, article id) of an entry's article.

    An entry without a usable link still becomes an article, identified by its
    feed and entry id (a fragment, which real canonical URLs never carry).
    """
    if entry.link:
        try:
            canonical = canonical_url(entry.link)
            return canonical, article_id(canonical)
        except ValueError:
            pass
    canonical = f"{canonical_url(feed_url)}#entry={entry.entry_id}"
    return canonical, article_id(canonical)


def build_article(
    feed: FeedRef,
    entry: FeedEntry,
    page: ExtractedPage | None,
    error: str | None,
    fetched_at: datetime,
    max_message_bytes: int,
) -> RawArticle:
    """The article from the page when it was extracted, else from the feed entry (``feed_only``)."""
    canonical, identity = article_identity(feed.url, entry)
    common = {
        "id": identity,
        # Credentials never leave the process (issue 8 #7): an entry without a
        # link points at its feed, whose URL may carry a token.
        "url": scrub(entry.link, feed.secrets) if entry.link else feed.hide(feed.url),
        "canonical_url": scrub(canonical, feed.secrets) if entry.link else feed.hide(canonical),
        "feed_url": feed.hide(feed.url),
        "feed_name": feed.name,
        "entry_id": entry.entry_id,
        "summary": entry.summary,
        "fetched_at": fetched_at,
    }
    if page is not None and page.ok:
        article = RawArticle(
            **common,
            title=page.title or entry.title,
            text=page.text,
            authors=page.authors or entry.authors,
            # The feed's timestamp has a time of day; the page's is often a bare date.
            published_at=entry.published_at or page.published_at,
            site_name=page.site_name,
            language=page.language,
        )
    else:
        article = RawArticle(
            **common,
            title=entry.title,
            text=entry.summary or "",
            authors=entry.authors,
            published_at=entry.published_at,
            extraction="feed_only",
            extraction_error=scrub(error or "page not extracted", feed.secrets)[:500],
        )
    return _within_limit(article, max_message_bytes)


def _within_limit(article: RawArticle, max_message_bytes: int) -> RawArticle:
    """Shorten the text so the record fits the broker's limit (a 2 MB article must not stall a feed)."""
    budget = max_message_bytes - _ENVELOPE_BYTES
    size = len(encode(article))
    if size <= budget:
        return article
    text = article.text.encode("utf-8")
    room = max(0, budget - (size - len(text)))
    while True:
        shorter = article.model_copy(update={"text": text[:room].decode("utf-8", "ignore")})
        # JSON escaping can make the text longer on the wire than in UTF-8.
        if room == 0 or len(encode(shorter)) <= budget:
            break
        room = room * 3 // 4
    log.warning(
        "article %s text cut from %d to %d chars to fit the topic", article.id, len(article.text), len(shorter.text)
    )
    return shorter


class Publisher:
    """Sends articles and reports each one's acknowledged position.

    ``targets`` holds, per partition, the highest acknowledged offset + 1 of this
    run, taken from the producer's acknowledgements (never from
    ``end_offsets()``, which Tansu can under-report; see docs/tansu-end-offsets.md).
    """

    def __init__(self, producer: KafkaProducer, topic: str, rebuild: Callable[[], KafkaProducer] | None = None) -> None:
        self._producer = producer
        self._topic = topic
        self._rebuild = rebuild
        self._generation = 0
        self._said_waiting = 0.0
        self.targets: dict[TopicPartition, int] = {}

    @property
    def producer(self) -> KafkaProducer:
        return self._producer

    async def publish(self, article: RawArticle) -> Acknowledged:
        """Send and wait for the broker's acknowledgement (acks=all, idempotent producer)."""
        return await self.send(article)

    def send(self, article: RawArticle) -> Coroutine[Any, Any, Acknowledged]:
        """Hand ``article`` to the producer now; await the result for its acknowledgement.

        Split from the wait so a caller can give back what it holds (an ingest
        entry slot) while the producer lingers for more articles to batch.
        """
        loop = asyncio.get_running_loop()
        acked: asyncio.Future = loop.create_future()
        generation = self._generation
        try:
            future = self._producer.send(self._topic, key=article.id.encode("utf-8"), value=encode(article))
        except KafkaError as exc:
            return self._failed(generation, exc, "publish failed")
        future.add_callback(lambda metadata: loop.call_soon_threadsafe(_settle, acked, metadata, None))
        future.add_errback(lambda exc: loop.call_soon_threadsafe(_settle, acked, None, exc))
        return self._settled(acked, generation)

    async def _settled(self, acked: asyncio.Future, generation: int) -> Acknowledged:
        try:
            metadata = await self._acknowledged(acked)
        except KafkaError as exc:
            return await self._failed(generation, exc, "publish not acknowledged")
        partition = TopicPartition(metadata.topic, metadata.partition)
        self.targets[partition] = max(self.targets.get(partition, 0), metadata.offset + 1)
        return Acknowledged(metadata.topic, metadata.partition, metadata.offset)

    async def _failed(self, generation: int, exc: KafkaError, what: str) -> Acknowledged:
        await self._replace_producer(generation, exc)
        raise PublishError(f"{what}: {type(exc).__name__}: {exc}") from exc

    async def _acknowledged(self, acked: asyncio.Future) -> Any:
        """The acknowledgement, saying every few seconds that Kafka is being waited for."""
        while True:
            try:
                return await asyncio.wait_for(asyncio.shield(acked), ACK_LOG_S)
            except TimeoutError:
                now = time.monotonic()
                if now - self._said_waiting >= ACK_LOG_S:  # once per interval, not once per article
                    self._said_waiting = now
                    log.warning("waiting for Kafka to acknowledge published articles (is the broker reachable?)")

    async def _replace_producer(self, generation: int, error: KafkaError) -> None:
        """A fresh producer after a failed send.

        After a broker restart an idempotent producer can be left failing every
        send (a fatal InitProducerId or sequence error); a new one gets a new
        producer id. Many sends fail together: only the first replaces the
        producer they shared. The entries are not marked seen, so the next poll
        publishes them again.
        """
        if self._rebuild is None or generation != self._generation:
            return
        self._generation += 1
        old = self._producer
        try:
            self._producer = await asyncio.to_thread(self._rebuild)
        except KafkaError as exc:
            log.warning("kafka unavailable, producer not rebuilt yet (%s); will retry", exc)
            self._generation -= 1
            return
        log.warning("producer rebuilt after %s", type(error).__name__)
        await asyncio.to_thread(old.close, 0)

    def flush(self, timeout_s: float | None = None) -> None:
        self._producer.flush(timeout=timeout_s)


def _settle(future: asyncio.Future, result: object, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
