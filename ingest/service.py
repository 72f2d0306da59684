"""``newsflow ingest``: poll feeds, fetch and extract new entries' pages, publish them.

The story of one poll (:meth:`Ingest.poll_feed`):

1. conditional GET of the feed (RFC 9110 §13: a 304 means nothing new);
2. parse it (in the process pool: a hostile feed costs CPU, not the event loop);
3. keep the entries not in ``ingest_entries``;
4. for each, concurrently: fetch its page, extract it (process pool), publish
   the RawArticle, wait for Kafka's acknowledgement, *then* mark it seen;
5. only when every new entry is acknowledged, store the feed's new validators
   and next check time.

The order is what makes a SIGKILL at any moment lose nothing: an entry is
marked seen only after Kafka has it, and the validators that would turn the
next poll into a 304 are stored only after every entry is marked. A crash in
between re-publishes at most the entries in flight (duplicates the sink
absorbs, keyed by article id).

In an ingest worker, steps 4 and 5 are one statement instead: a job per new
entry, queued with the feed's outcome, for any worker to take
(``ingest/pagejobs.py``, :meth:`Ingest.ingest_page_job`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from kafka import KafkaProducer, TopicPartition

from ingest.extract import EXTRACTION_MODE, ExtractedPage, extract_page
from ingest.extraction import EXTRACT_TIMEOUT_S, ExtractPool, InlineExtractor
from ingest.feeds import FeedEntry, ParsedFeed, parse_feed
from ingest.fetcher import DeadlineExceeded, Fetcher, FetchResult
from ingest.hostslots import WorkerHostSlots
from ingest.identity import feed_key, loggable_url
from ingest.pagejobs import MAX_CLAIMS as MAX_JOB_CLAIMS
from ingest.pagejobs import JobDone, NewEntry, PageJob, PageJobStore, PageRunner
from ingest.publisher import FeedRef, Publisher, PublishError, article_identity, build_article
from ingest.scheduler import Poller, utcnow
from ingest.seen import SeenWriter
from ingest.state import Acknowledged, FeedState, FeedStore, PageRetry, SeenEntry
from ingest.statuses import RetryLater
from newsflow import metrics
from newsflow.backoff import backoff, retry_delay
from newsflow.errors import NewsflowError, PermanentError, TransientError
from newsflow.kafka import REBUILD_BOOTSTRAP_MS, ensure_topics, make_producer
from newsflow.lifecycle import Stopper
from newsflow.models import RawArticle
from newsflow.redact import scrub
from newsflow.settings import FeedConfig, Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# A page that fails transiently is fetched once more after this pause (or its
# Retry-After, when that is no longer than PAGE_RETRY_MAX_WAIT_S); after that,
# later polls fetch it again (ingest_page_retries).
PAGE_RETRY_DELAY_S = 2.0
PAGE_RETRY_MAX_WAIT_S = 10.0
# A feed whose articles Kafka did not take is polled again this soon (no backoff: not its fault).
PUBLISH_RETRY_S = 10.0
# How long the producer holds an article for others to share its produce request.
# A worker finishes one page every ~50 ms of extraction, so with the default 5 ms
# nearly every article went in a request of its own (and was fetched on its own
# by enrich): issue 9 #4. The wait delays the acknowledgement, not the next page.
PUBLISH_LINGER_MS = 100
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


@dataclass
class IngestReport:
    """What one run did. ``targets``: per partition, highest acknowledged offset + 1."""

    targets: dict[TopicPartition, int] = field(default_factory=dict)
    article_ids: list[str] = field(default_factory=list)
    feeds_polled: int = 0
    feeds_not_modified: int = 0
    feed_errors: int = 0
    entries_new: int = 0
    pages_failed: int = 0
    pages_upgraded: int = 0
    feed_warnings: int = 0
    entries_pruned: int = 0
    published: int = 0
    #: Feeds whose poll failed, by loggable (credential-free) URL: the last error.
    failed_feeds: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PageOutcome:
    """An extracted page, or why not and whether a later poll should fetch it again."""

    page: ExtractedPage | None
    error: str | None = None
    retry: bool = False


class Stopped(Exception):
    """A stop was requested before this entry was started; it stays unseen for the next run."""


def run_ingest(settings: Settings, stopper: Stopper, once: bool = False) -> IngestReport:
    """Run ingest until ``stopper`` is stopped, or (``once``) poll every feed once and return.

    With ``ingest_workers`` set (and not ``once``), this process only
    supervises that many worker processes (``ingest/workers.py``); their
    figures are in their own log lines, not in the report returned here.
    """
    if settings.ingest_workers and not once:
        from ingest.workers import run_workers

        ensure_topics(settings)
        run_workers(settings, stopper)
        return IngestReport()
    _quiet_http_logs()
    pool = ExtractPool(settings.extract_workers)  # its workers start while we connect
    try:
        ensure_topics(settings)
        return _run_loop(_run(settings, stopper, once, pool))
    finally:
        pool.shutdown()


def run_ingest_worker(settings: Settings, stopper: Stopper, host_slots: WorkerHostSlots) -> IngestReport:
    """One ingest worker process: polls, fetches, extracts (here, not in a pool) and publishes."""
    _quiet_http_logs()
    # Extraction blocks this worker's event loop, lease renewals included: cut
    # it well before a lease could run out, or another poller would take the feed.
    extractor = InlineExtractor(min(EXTRACT_TIMEOUT_S, settings.ingest_lease_s / 2))
    return _run_loop(_run(settings, stopper, False, extractor, host_slots, page_jobs=True))


async def _run(
    settings: Settings, stopper: Stopper, once: bool, pool: ExtractPool | InlineExtractor,
    host_slots: WorkerHostSlots | None = None, page_jobs: bool = False,
) -> IngestReport:
    report = IngestReport()
    store = await FeedStore.connect(settings.database_dsn())
    # Workers hand the pages of their polls out through Postgres (ingest/pagejobs.py).
    jobs = await PageJobStore.connect(settings.database_dsn(), store.owner) if page_jobs else None
    # A bounded max_block_ms: send() runs on the event loop, and with the broker
    # unreachable kafka-python would otherwise block it for a minute.
    producer = make_producer(settings, max_block_ms=5000, linger_ms=PUBLISH_LINGER_MS)
    publisher = Publisher(producer, settings.topics.raw, rebuild=lambda: _rebuild_producer(settings))
    try:
        await store.migrate()
        await store.sync_feeds(settings.feeds)
        async with Fetcher(settings.fetch, shared_host_slots=host_slots) as fetcher:
            ingest = Ingest(settings, store, fetcher, pool, publisher, report, stopper, jobs)
            poller = Poller(store, ingest.poll_feed, settings.fetch.concurrency, settings.ingest_lease_s)
            if once:
                await poller.run_once(stopper)
            elif ingest.pages is not None:
                # Polls and pages side by side: a poll no longer waits for its pages,
                # and pages have their own slots, so neither starves the other.
                await asyncio.gather(poller.run_when_due(stopper), ingest.pages.run(stopper))
            else:
                await poller.run_when_due(stopper)
            await ingest.close()
        # Every publish was awaited; the flush is for anything a cancelled task left behind.
        await asyncio.to_thread(publisher.flush, 30.0)
        report.targets = dict(publisher.targets)
    finally:
        publisher.producer.close(timeout=10)
        await store.close()
        if jobs is not None:
            await jobs.close()
    log.info(
        "ingest done: %d feeds polled (%d not modified, %d errors), %d new entries, %d published, %d feed-only,"
        " %d upgraded to full text",
        report.feeds_polled, report.feeds_not_modified, report.feed_errors,
        report.entries_new, report.published, report.pages_failed, report.pages_upgraded,
    )
    if isinstance(pool, InlineExtractor):
        spent = (f"{name} {cpu:.3f} s in {calls:.0f} calls" for name, (cpu, calls) in sorted(pool.cpu.items()))
        log.info("ingest worker CPU in its pool functions: %s", ", ".join(spent))
    return report


class Ingest:
    """One poll of one feed, and the ingestion of its new entries."""

    def __init__(
        self,
        settings: Settings,
        store: FeedStore,
        fetcher: Fetcher,
        pool: ExtractPool,
        publisher: Publisher,
        report: IngestReport,
        stopper: Stopper,
        jobs: PageJobStore | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._fetcher = fetcher
        self._pool = pool
        self._publisher = publisher
        self._report = report
        self._stopper = stopper
        self._seen = SeenWriter(store)
        self._feeds = {feed_key(feed.url): feed for feed in settings.feeds}
        # Scrubbed from feed errors before they are stored (they may quote a URL).
        self._secrets = tuple(settings.secret_values())
        self._rng = random.Random()
        # Entries in progress across all feeds: enough to keep fetches and the
        # extraction pool busy, few enough that a stop has little in hand to finish.
        self._entry_slots = asyncio.Semaphore(2 * settings.fetch.concurrency + self._pool.workers)
        # With page jobs, a poll queues its new entries and any worker ingests them.
        self._jobs = jobs
        self._jobs_done: SeenWriter | None = None
        self.pages: PageRunner | None = None
        if jobs is not None:
            # Finished jobs are written in groups, like seen entries (PageJobStore.mark_seen).
            self._jobs_done = SeenWriter(jobs)  # type: ignore[arg-type]
            self.pages = PageRunner(jobs, self.ingest_page_job, self._jobs_done.mark, settings.fetch.concurrency,
                                    settings.ingest_lease_s)

    async def close(self) -> None:
        await self._seen.close()
        if self._jobs_done is not None:
            await self._jobs_done.close()

    async def poll_feed(self, feed: FeedState) -> None:
        """Poll one feed; every failure is recorded on the feed and never escapes.

        If even the database is gone, the feed stays due and the scheduler
        retries it once the connection is back.
        """
        polled_at = utcnow()
        self._report.feeds_polled += 1
        metrics.FEEDS_POLLED.inc()
        try:
            try:
                await self._poll(feed, polled_at)
            except Stopped:
                log.info("feed %s: stopped before all entries were ingested; will resume", loggable_url(feed.url))
            except PublishError as exc:
                await self._wait_for_kafka(feed, polled_at, exc)
            except (NewsflowError, psycopg.OperationalError) as exc:
                await self._record_error(feed, polled_at, exc)
            except Exception as exc:
                log.exception("feed %s: unexpected error", loggable_url(feed.url))
                await self._record_error(feed, polled_at, exc)
            await self._retry_pages(feed)
        except psycopg.Error as exc:
            log.error("feed %s: state not recorded, database unavailable: %s", loggable_url(feed.url), exc)

    def _config(self, feed: FeedState) -> FeedConfig:
        """The feed as configured: its raw URL is only in the config, never in the database.

        A feed added with `newsflow feeds add` carries no credentials (the command
        refuses them), so its stored URL is the one to fetch; it is picked up
        without a restart.
        """
        config = self._feeds.get(feed.feed_key)
        if config is None and feed.source == "cli":
            return FeedConfig(url=feed.url, name=feed.name, interval_s=feed.interval_s)
        if config is None:
            raise PermanentError("feed is no longer configured")
        return config

    def _feed_ref(self, feed: FeedState) -> FeedRef:
        config = self._config(feed)
        return FeedRef(config.url, feed.name, tuple(config.secret_values()))

    async def _poll(self, feed: FeedState, polled_at: datetime) -> None:
        ref = self._feed_ref(feed)
        result = await _timed("feed", self._fetcher.fetch(
            ref.url, etag=feed.etag, last_modified=feed.last_modified, headers=self._config(feed).headers
        ))
        if result.not_modified:
            self._report.feeds_not_modified += 1
            metrics.FEEDS_NOT_MODIFIED.inc()
            log.debug("feed %s: not modified", loggable_url(feed.url))
        else:
            parsed = await self._parse(result)
            await self._record_warnings(feed, parsed)
            if self._jobs is not None:
                await self._queue_entries(feed, ref, parsed, polled_at, result)
                return
            await self._ingest_entries(feed, ref, parsed)
        recorded = await self._store.record_success(
            feed.feed_key, polled_at, feed.interval_s, result.etag, result.last_modified
        )
        _warn_if_lease_lost(feed, recorded)

    async def _parse(self, result: FetchResult) -> ParsedFeed:
        return await self._pool.run(parse_feed, result.final_url, result.body, result.content_type)

    async def _record_warnings(self, feed: FeedState, parsed: ParsedFeed) -> None:
        if parsed.warnings:
            message = "; ".join(parsed.warnings)
            self._report.feed_warnings += 1
            log.warning("feed %s: %s; its entries are kept", loggable_url(feed.url), message)
            await self._store.record_warning(feed.feed_key, message)

    async def _new_entries(
        self, feed: FeedState, ref: FeedRef, parsed: ParsedFeed
    ) -> tuple[list[FeedEntry], dict[str, str], dict[str, Acknowledged]]:
        """The entries not yet seen, their article ids, and where those already went out (from other feeds)."""
        unseen = await self._store.unseen(feed.feed_key, [e.entry_id for e in parsed.entries])
        unique = {entry.entry_id: entry for entry in parsed.entries}.values()
        new = [entry for entry in unique if entry.entry_id in unseen]
        self._report.entries_new += len(new)
        log.info("feed %s: %d entries, %d new", loggable_url(feed.url), len(parsed.entries), len(new))
        identities = {entry.entry_id: article_identity(ref.url, entry)[1] for entry in new}
        return new, identities, await self._store.published(list(identities.values()))

    async def _queue_entries(
        self, feed: FeedState, ref: FeedRef, parsed: ParsedFeed, polled_at: datetime, result: FetchResult
    ) -> None:
        """Hand the new entries out as page jobs, stored with the poll's outcome in one statement (pagejobs.py)."""
        assert self._jobs is not None and self.pages is not None
        new, identities, published = await self._new_entries(feed, ref, parsed)
        entries = [NewEntry(e, identities[e.entry_id], published.get(identities[e.entry_id])) for e in new]
        queued, recorded = await self._jobs.queue_and_record(
            feed, entries, polled_at, result.etag, result.last_modified
        )
        _warn_if_lease_lost(feed, recorded)
        if queued:
            self.pages.wake()
        self._report.entries_pruned += await self._store.prune_entries(
            feed.feed_key, [entry.entry_id for entry in parsed.entries], self._settings.entries_keep_days
        )

    async def _ingest_entries(self, feed: FeedState, ref: FeedRef, parsed: ParsedFeed) -> None:
        new, identities, published = await self._new_entries(feed, ref, parsed)
        outcomes = await asyncio.gather(
            *(self.ingest_entry(feed, ref, entry, identities[entry.entry_id], published) for entry in new),
            return_exceptions=True,
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        if any(isinstance(o, Stopped) for o in failures):
            raise Stopped()
        if failures:
            # Not marking the feed polled keeps its old validators: the next poll
            # sees these entries again instead of a 304.
            if all(isinstance(o, PublishError) for o in failures):
                raise PublishError(f"{len(failures)} of {len(new)} new entries not published: {failures[0]}")
            raise TransientError(f"{len(failures)} of {len(new)} new entries not ingested: {failures[0]}")
        in_feed = [entry.entry_id for entry in parsed.entries]
        keep_days = self._settings.entries_keep_days
        self._report.entries_pruned += await self._store.prune_entries(feed.feed_key, in_feed, keep_days)

    async def ingest_entry(
        self, feed: FeedState, ref: FeedRef, entry: FeedEntry, identity: str, published: dict[str, Acknowledged]
    ) -> None:
        """Fetch, extract and send under an entry slot; once acknowledged, mark seen.

        The slot bounds the pages in hand; the waits for Kafka's acknowledgement
        (the producer lingers to batch, PUBLISH_LINGER_MS) and for the seen mark
        happen after it is given back, so they never hold up the next page.
        """
        async with self._entry_slots:
            if self._stopper.stopped:
                raise Stopped()
            if identity in published:
                # Another feed already published this article: remember the entry, skip the duplicate.
                await self._seen.mark(SeenEntry(feed.feed_key, entry.entry_id, identity, published[identity]))
                return
            outcome = await self._page(entry, second_chance=True)
            article, acknowledged = self._send_entry(ref, entry, outcome)
        ack = await acknowledged
        if outcome.retry:
            # Before the entry is marked seen: a crash in between re-publishes the
            # entry (harmless) instead of forgetting the retry.
            await self._store.add_page_retry(self._page_retry(feed, entry, outcome.error, attempts=1))
        await self._seen.mark(SeenEntry(feed.feed_key, entry.entry_id, article.id, ack))
        self._count_published(article)

    async def ingest_page_job(self, job: PageJob) -> JobDone:
        """A page handed out by the queue: fetch, extract, publish, await the ack; the queue marks it done.

        A page whose job was claimed too often (it kills or stalls workers)
        goes out feed-only without being fetched again.
        """
        feed, entry = job.feed(), FeedEntry.from_json(job.entry)
        ref = self._feed_ref(feed)
        if job.claims > MAX_JOB_CLAIMS:
            outcome = PageOutcome(None, f"page given up after {job.claims - 1} claims that never finished")
        else:
            outcome = await self._page(entry, second_chance=True)
        article, acknowledged = self._send_entry(ref, entry, outcome)
        ack = await acknowledged
        self._count_published(article)
        retry = self._page_retry(feed, entry, outcome.error, attempts=1) if outcome.retry else None
        return JobDone(SeenEntry(feed.feed_key, entry.entry_id, article.id, ack), retry)

    def _send_entry(self, ref: FeedRef, entry: FeedEntry, outcome: PageOutcome) -> tuple[RawArticle, Coroutine[Any, Any, Acknowledged]]:
        """Hand the entry's article to the producer; the second item is the wait for its acknowledgement."""
        article = self._article(ref, entry, outcome)
        return article, self._publisher.send(article)

    def _count_published(self, article: RawArticle) -> None:
        self._report.published += 1
        metrics.ARTICLES_PUBLISHED.inc()
        self._report.article_ids.append(article.id)

    def _article(self, ref: FeedRef, entry: FeedEntry, outcome: PageOutcome) -> RawArticle:
        """The entry's article: from its page, else (said in the log) from the feed's text."""
        if outcome.page is None:
            self._report.pages_failed += 1
            link = loggable_url(entry.link or "(no link)")
            later = " and will fetch the page again later" if outcome.retry else ""
            log.warning("entry %s: page not extracted (%s); publishing the feed's text%s", link, outcome.error, later)
        return build_article(ref, entry, outcome.page, outcome.error, utcnow(), self._settings.max_message_bytes)

    def _page_retry(self, feed: FeedState, entry: FeedEntry, error: str | None, attempts: int,
                    first_failed_at: datetime | None = None) -> PageRetry:
        fetch = self._settings.fetch
        delay = backoff(attempts, fetch.page_retry_base_s, fetch.page_retry_cap_s, self._rng)
        now = utcnow()
        return PageRetry(
            feed.feed_key, entry.entry_id, entry.to_json(), attempts, first_failed_at or now,
            now + timedelta(seconds=delay), scrub(error or "", self._secrets),
        )

    async def _retry_pages(self, feed: FeedState) -> None:
        """Fetch again the pages that failed transiently on earlier polls (issue 8 #5).

        A page that arrives upgrades its article: the same id is published again
        with the full text, and the sink's upsert replaces the feed-only row.
        """
        if self._stopper.stopped or self._settings.fetch.page_retry_window_s <= 0 or (
            feed.feed_key not in self._feeds and feed.source != "cli"
        ):
            return
        due = await self._store.due_page_retries(feed.feed_key, utcnow(), self._settings.fetch.concurrency)
        if due:
            ref = self._feed_ref(feed)
            await asyncio.gather(*(self._retry_page(feed, ref, retry) for retry in due))

    async def _retry_page(self, feed: FeedState, ref: FeedRef, retry: PageRetry) -> None:
        entry = FeedEntry.from_json(retry.entry)
        async with self._entry_slots:
            outcome = await self._page(entry, second_chance=False)
            if outcome.page is not None:
                article = build_article(ref, entry, outcome.page, None, utcnow(), self._settings.max_message_bytes)
                try:
                    await self._publisher.publish(article)
                except TransientError as exc:
                    log.warning("entry %s: upgraded article not published (%s); will try again", entry.entry_id, exc)
                    return
                await self._store.drop_page_retry(feed.feed_key, entry.entry_id)
                self._report.pages_upgraded += 1
                log.info("entry %s: page fetched on attempt %d; article upgraded to full text",
                         loggable_url(entry.link or ""), retry.attempts + 1)
                return
        age = (utcnow() - retry.first_failed_at).total_seconds()
        if outcome.retry and age < self._settings.fetch.page_retry_window_s:
            await self._store.add_page_retry(
                self._page_retry(feed, entry, outcome.error, retry.attempts + 1, retry.first_failed_at)
            )
            return
        await self._store.drop_page_retry(feed.feed_key, entry.entry_id)
        log.warning("entry %s: giving up on the page after %d attempts over %.0fs (%s); the article stays feed-only",
                    loggable_url(entry.link or ""), retry.attempts + 1, age, outcome.error)

    async def _page(self, entry: FeedEntry, second_chance: bool) -> PageOutcome:
        """The extracted page, or why not. Never raises for a bad page.

        Only a transient *fetch* failure asks for a later retry: a page that
        broke the extraction pool would break it again.
        """
        if not entry.link:
            return PageOutcome(None, "entry has no link")
        try:
            fetching = self._fetch_page(entry.link) if second_chance else self._fetcher.fetch(entry.link)
            result = await _timed("page", fetching)
        except TransientError as exc:
            return PageOutcome(None, f"{type(exc).__name__}: {exc}", retry=True)
        except NewsflowError as exc:
            return PageOutcome(None, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("entry %s: unexpected error fetching the page", loggable_url(entry.link))
            return PageOutcome(None, f"unexpected {type(exc).__name__}: {exc}")
        try:
            _check_html(result)
            # The feed's own date wins over the page's (publisher.py): with one, the page's
            # text need not be searched for a date.
            search_date = entry.published_at is None
            page = await self._pool.run(
                extract_page, result.body, result.content_type, result.final_url, EXTRACTION_MODE, search_date
            )
        except NewsflowError as exc:
            return PageOutcome(None, f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            log.exception("entry %s: unexpected error extracting the page", loggable_url(entry.link))
            return PageOutcome(None, f"unexpected {type(exc).__name__}: {exc}")
        return PageOutcome(page) if page.ok else PageOutcome(None, page.error)

    async def _fetch_page(self, url: str) -> FetchResult:
        """Fetch a page, trying once more after a short pause when the server says "later".

        A blip (a 503, a reset connection) is then over before the article
        goes out; a longer outage is left to the page retries of later polls
        (:meth:`_retry_pages`). A blown deadline is not retried here (it would
        double an already long wait).
        """
        try:
            return await self._fetcher.fetch(url)
        except RetryLater as exc:
            if exc.retry_after_s is not None and exc.retry_after_s > PAGE_RETRY_MAX_WAIT_S:
                raise
            await asyncio.sleep(exc.retry_after_s if exc.retry_after_s is not None else PAGE_RETRY_DELAY_S)
        except DeadlineExceeded:
            raise
        except TransientError:
            await asyncio.sleep(PAGE_RETRY_DELAY_S)
        return await self._fetcher.fetch(url)

    async def _wait_for_kafka(self, feed: FeedState, polled_at: datetime, exc: PublishError) -> None:
        """Kafka, not the feed, failed: retry soon, and leave the feed's error count alone."""
        log.warning(
            "feed %s: waiting for Kafka, retrying in %.0fs: %s", loggable_url(feed.url), PUBLISH_RETRY_S, exc
        )
        self._report.failed_feeds[loggable_url(feed.url)] = scrub(f"articles not published: {exc}", self._secrets)
        metrics.FEEDS_FAILED.labels("kafka").inc()
        recorded = await self._store.record_error(
            feed.feed_key, polled_at, PUBLISH_RETRY_S, feed.consecutive_errors, f"kafka: {exc}"
        )
        _warn_if_lease_lost(feed, recorded)

    async def _record_error(self, feed: FeedState, polled_at: datetime, exc: BaseException) -> None:
        errors = feed.consecutive_errors + 1
        fetch = self._settings.fetch
        retry_after = exc.retry_after_s if isinstance(exc, RetryLater) else None
        delay = retry_delay(errors, fetch.retry_base_s, fetch.retry_cap_s, retry_after, self._rng)
        kind = _kind(exc)
        log.warning("feed %s: %s error #%d, next try in %.0fs: %s", loggable_url(feed.url), kind, errors, delay, exc)
        self._report.feed_errors += 1
        message = scrub(f"{type(exc).__name__}: {exc}", self._secrets)
        self._report.failed_feeds[loggable_url(feed.url)] = message
        metrics.FEEDS_FAILED.labels(kind).inc()
        recorded = await self._store.record_error(feed.feed_key, polled_at, delay, errors, message)
        _warn_if_lease_lost(feed, recorded)


def _warn_if_lease_lost(feed: FeedState, recorded: bool) -> None:
    if not recorded:
        # This poll outlived its lease and another poller owns the feed now:
        # that poller's outcome is the one stored.
        log.warning("feed %s: lease lost before the poll's outcome was stored; left to its new holder",
                    loggable_url(feed.url))


async def _timed(target: str, fetching: Coroutine[Any, Any, T]) -> T:
    """Await a fetch, its wall time (failures included) in the fetch-latency histogram."""
    with metrics.FETCH_SECONDS.labels(target).time():
        return await fetching


def _rebuild_producer(settings: Settings) -> KafkaProducer:
    """A new producer, the topics ensured first: a broker that auto-creates topics
    may otherwise have made ours, with its own partition count, while we were away."""
    ensure_topics(settings, timeout_s=5.0)
    return make_producer(settings, max_block_ms=5000, linger_ms=PUBLISH_LINGER_MS,
                         bootstrap_timeout_ms=REBUILD_BOOTSTRAP_MS)


def _run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed: it takes ~20% less CPU per page than
    the default loop (measured with extraction stubbed out), and this process's
    CPU is taken from the extraction workers."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _quiet_http_logs() -> None:
    """httpx logs every request URL at INFO: noise, and feed URLs may carry tokens.

    Our own log lines say what matters (with credentials removed); the request
    log stays available at DEBUG.
    """
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _kind(exc: BaseException) -> str:
    if isinstance(exc, TransientError):
        return "transient"
    return "permanent" if isinstance(exc, PermanentError) else "unexpected"


def _check_html(result: FetchResult) -> None:
    content_type = (result.content_type or "").split(";")[0].strip().lower()
    if content_type and not content_type.startswith(_HTML_TYPES):
        raise PermanentError(f"not an HTML page ({content_type[:100]})")

