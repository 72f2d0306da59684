"""Pages handed out one by one to any ingest worker, through Postgres (issue 9 #1).

With ingest workers, a poll does not ingest its new entries itself: it stores
one job per new entry in ``ingest_page_jobs``, *in the same statement* that
stores the feed's poll outcome (validators, next check). The outcome that turns
the next poll into a 304 is therefore never stored without a durable job for
every new entry, and a SIGKILL at any moment still loses nothing.

Any worker, on any machine sharing the database, then claims jobs in small
batches (``FOR UPDATE SKIP LOCKED``) under a lease like the feeds' (owner,
``lease_expires_at`` on the database's clock, renewed every third of its length
while the pages are in hand), fetches, decodes, extracts and publishes each
page exactly as a poll would (``Ingest.ingest_page_job``), awaits the broker's
ack, and then, in one statement for a batch of pages, marks the entries seen
and deletes their jobs. A worker that dies stops renewing: its jobs are
claimed by another once their leases run out, and what it had published but
not yet marked is published again (same article id).

A page that fails transiently goes out feed-only and joins the page retries
of its feed (``ingest_page_retries``, in that same finishing statement), as in
the single-process mode: there is one retry mechanism. A job claimed
``MAX_CLAIMS`` times without finishing (its page kills workers, or keeps
outliving leases) is published feed-only without fetching it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from ingest.feeds import FeedEntry
from ingest.state import Acknowledged, FeedState, PageRetry, SeenEntry, _connect
from newsflow.errors import PermanentError, TransientError
from newsflow.lifecycle import Stopper
from newsflow.reconnect import Reconnect

log = logging.getLogger(__name__)

# Claims of one job after which its page is given up (published feed-only, not fetched).
MAX_CLAIMS = 3
# Longest sleep between looks for jobs when none is in hand: bounds how late
# another machine's jobs are noticed (this process's own polls wake it at once).
# The pollers look at their schedule as often (scheduler.MAX_IDLE_S).
IDLE_S = 1.0
# Fewest pages a worker may hold: with a small fetch.concurrency, claims of one
# or two pages would cost a round trip per page or so (issue 9 #4).
MIN_SLOTS = 8
# A job whose article Kafka did not take is handed out again this much later.
PUBLISH_RETRY_S = 10.0
# A job of a feed this process has no configuration for (pollers with different
# feed lists) is handed back for another process, this much later.
NOT_MINE_RETRY_S = 60.0


@dataclass(frozen=True)
class PageJob:
    """A claimed job: the entry to ingest and its feed's row (to find the feed's config)."""

    feed_key: str
    entry_id: str
    entry: dict
    claims: int
    url: str
    name: str | None
    interval_s: float
    source: str

    def feed(self) -> FeedState:
        return FeedState(self.feed_key, self.url, self.name, self.interval_s, None, None, None, 0, None, self.source)


@dataclass(frozen=True)
class JobDone:
    """A job whose article Kafka acknowledged: its entry to mark seen, and a page retry if its fetch failed transiently."""

    seen: SeenEntry
    retry: PageRetry | None = None


@dataclass(frozen=True)
class NewEntry:
    """An entry a poll found: queued as a job, or (``ack``: its article is already out, from another feed) marked seen."""

    entry: FeedEntry
    article_id: str
    ack: Acknowledged | None = None


_QUEUE_AND_RECORD = """
WITH jobs AS (
    INSERT INTO ingest_page_jobs (feed_key, entry_id, article_id, entry)
    SELECT %(key)s, t.entry_id, t.article_id, t.entry
    FROM unnest(%(job_ids)s::text[], %(job_articles)s::text[], %(job_entries)s::jsonb[]) AS t(entry_id, article_id, entry)
    WHERE NOT EXISTS (SELECT 1 FROM ingest_entries AS e WHERE e.feed_key = %(key)s AND e.entry_id = t.entry_id)
    ON CONFLICT (feed_key, entry_id) DO NOTHING
    RETURNING 1
), seen AS (
    INSERT INTO ingest_entries (feed_key, entry_id, article_id, topic, "partition", "offset")
    SELECT %(key)s, * FROM unnest(%(seen_ids)s::text[], %(seen_articles)s::text[], %(seen_topics)s::text[],
                                  %(seen_partitions)s::int[], %(seen_offsets)s::bigint[])
    ON CONFLICT (feed_key, entry_id) DO NOTHING
    RETURNING 1
), feed AS (
    UPDATE ingest_feeds SET etag = coalesce(%(etag)s, etag), last_modified = coalesce(%(last_modified)s, last_modified),
        last_polled_at = %(polled_at)s, last_success_at = %(polled_at)s,
        next_check_at = now() + make_interval(secs => %(interval_s)s), consecutive_errors = 0, last_error = NULL
    WHERE feed_key = %(key)s AND lease_owner = %(owner)s
    RETURNING 1
)
SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM seen), (SELECT count(*) FROM feed)
"""

# Jobs of a feed made inactive (gone from the config) wait until it is active again.
_CLAIM = """
UPDATE ingest_page_jobs AS j SET lease_owner = %(owner)s,
    lease_expires_at = now() + make_interval(secs => %(lease_s)s), claims = j.claims + 1
FROM (SELECT feed_key, entry_id FROM ingest_page_jobs AS q
      WHERE next_attempt_at <= now() AND (lease_owner IS NULL OR lease_expires_at <= now())
      AND EXISTS (SELECT 1 FROM ingest_feeds AS a WHERE a.feed_key = q.feed_key AND a.active)
      ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS c,
     ingest_feeds AS f
WHERE j.feed_key = c.feed_key AND j.entry_id = c.entry_id AND f.feed_key = j.feed_key
RETURNING j.feed_key, j.entry_id, j.entry, j.claims, f.url, f.name, f.interval_s, f.source
"""

# Only this worker's rows are deleted (a job whose lease another took is its to
# finish); the entry is marked seen whoever published it: Kafka has it.
_FINISH = """
WITH done AS (
    DELETE FROM ingest_page_jobs AS j USING unnest(%(keys)s::text[], %(ids)s::text[]) AS d(feed_key, entry_id)
    WHERE j.feed_key = d.feed_key AND j.entry_id = d.entry_id AND j.lease_owner = %(owner)s
    RETURNING 1
), retries AS (
    INSERT INTO ingest_page_retries (feed_key, entry_id, entry, attempts, first_failed_at, next_attempt_at, last_error)
    SELECT * FROM unnest(%(r_keys)s::text[], %(r_ids)s::text[], %(r_entries)s::jsonb[], %(r_attempts)s::int[],
                         %(r_first)s::timestamptz[], %(r_next)s::timestamptz[], %(r_errors)s::text[])
    ON CONFLICT (feed_key, entry_id) DO UPDATE SET entry = EXCLUDED.entry, attempts = EXCLUDED.attempts,
        next_attempt_at = EXCLUDED.next_attempt_at, last_error = EXCLUDED.last_error
    RETURNING 1
)
INSERT INTO ingest_entries (feed_key, entry_id, article_id, topic, "partition", "offset")
SELECT * FROM unnest(%(keys)s::text[], %(ids)s::text[], %(articles)s::text[], %(topics)s::text[],
                     %(partitions)s::int[], %(offsets)s::bigint[])
ON CONFLICT (feed_key, entry_id) DO NOTHING
"""


class PageJobStore:
    """``ingest_page_jobs`` over one autocommit connection of its own; every write is one statement."""

    def __init__(self, conn: psycopg.AsyncConnection, dsn: str, owner: str) -> None:
        self._conn = conn
        self._dsn = dsn
        self.owner = owner

    @classmethod
    async def connect(cls, dsn: str, owner: str) -> PageJobStore:
        return cls(await _connect(dsn), dsn, owner)

    async def reconnect(self) -> None:
        with contextlib.suppress(psycopg.Error):
            await self._conn.close()
        self._conn = await _connect(self._dsn)

    async def close(self) -> None:
        await self._conn.close()

    async def queue_and_record(
        self, feed: FeedState, new: Sequence[NewEntry], polled_at, etag: str | None, last_modified: str | None,
    ) -> tuple[int, bool]:
        """Queue a job per new entry, mark seen those already published, and store the poll's outcome.

        One statement, so all or nothing. Entries already seen or already
        queued are skipped (primary key). Returns the jobs queued and whether
        the outcome was stored (False: the feed's lease was lost; the jobs are
        queued all the same, which is harmless).
        """
        jobs = [n for n in new if n.ack is None]
        seen = [n for n in new if n.ack is not None]
        params = {
            "key": feed.feed_key, "owner": self.owner, "interval_s": feed.interval_s, "polled_at": polled_at,
            "etag": etag, "last_modified": last_modified,
            "job_ids": [n.entry.entry_id for n in jobs], "job_articles": [n.article_id for n in jobs],
            "job_entries": [Jsonb(n.entry.to_json()) for n in jobs],
            "seen_ids": [n.entry.entry_id for n in seen], "seen_articles": [n.article_id for n in seen],
            "seen_topics": [n.ack.topic for n in seen], "seen_partitions": [n.ack.partition for n in seen],
            "seen_offsets": [n.ack.offset for n in seen],
        }
        cursor = await self._conn.execute(_QUEUE_AND_RECORD, params)
        queued, _, recorded = await cursor.fetchone()
        return queued, recorded == 1

    async def claim(self, limit: int, lease_s: float) -> list[PageJob]:
        """Lease up to ``limit`` due jobs, oldest first: one statement, never a job another live worker holds."""
        if limit <= 0:
            return []
        async with self._conn.cursor(row_factory=class_row(PageJob)) as cursor:
            await cursor.execute(_CLAIM, {"owner": self.owner, "lease_s": lease_s, "limit": limit})
            return await cursor.fetchall()

    async def renew(self, lease_s: float) -> int:
        """Extend the leases of every job this worker holds (all of them are in hand); how many it still holds."""
        cursor = await self._conn.execute(
            "UPDATE ingest_page_jobs SET lease_expires_at = now() + make_interval(secs => %s) WHERE lease_owner = %s",
            (lease_s, self.owner),
        )
        return cursor.rowcount

    async def release(self, job: PageJob, delay_s: float) -> None:
        """Hand a job back, to be claimed again in ``delay_s`` (by anyone)."""
        await self._conn.execute(
            "UPDATE ingest_page_jobs SET lease_owner = NULL, lease_expires_at = NULL,"
            " next_attempt_at = now() + make_interval(secs => %s)"
            " WHERE feed_key = %s AND entry_id = %s AND lease_owner = %s",
            (delay_s, job.feed_key, job.entry_id, self.owner),
        )

    async def mark_seen(self, done: Sequence[JobDone]) -> None:
        """Finish a batch of jobs whose articles Kafka acknowledged: one statement (the ``SeenWriter`` store API)."""
        retries = [d.retry for d in done if d.retry is not None]
        await self._conn.execute(_FINISH, {
            "owner": self.owner,
            "keys": [d.seen.feed_key for d in done], "ids": [d.seen.entry_id for d in done],
            "articles": [d.seen.article_id for d in done], "topics": [d.seen.ack.topic for d in done],
            "partitions": [d.seen.ack.partition for d in done], "offsets": [d.seen.ack.offset for d in done],
            "r_keys": [r.feed_key for r in retries], "r_ids": [r.entry_id for r in retries],
            "r_entries": [Jsonb(r.entry) for r in retries], "r_attempts": [r.attempts for r in retries],
            "r_first": [r.first_failed_at for r in retries], "r_next": [r.next_attempt_at for r in retries],
            "r_errors": [(r.last_error or "")[:1000] for r in retries],
        })


IngestJob = Callable[[PageJob], Awaitable[JobDone]]


class PageRunner:
    """Claims page jobs in small batches, ingests each, renews their leases, and hands them to ``finish``.

    ``slots`` pages (at least ``MIN_SLOTS``) are in hand at most; a claim is
    made when half of them are free, for all the free ones, so a worker claims
    a few pages per round trip without holding many that an idle worker could
    be fetching. Pages beyond the fetcher's concurrency wait for it in hand.
    """

    def __init__(self, jobs: PageJobStore, ingest: IngestJob, finish: Callable[[JobDone], Awaitable[None]],
                 slots: int, lease_s: float) -> None:
        self._jobs = jobs
        self._ingest = ingest
        self._finish = finish
        self._slots = max(MIN_SLOTS, slots)
        self._lease_s = lease_s
        self._running: set[asyncio.Task] = set()
        self._renewed_at = time.monotonic()
        self._wake = asyncio.Event()
        self.done = 0

    def wake(self) -> None:
        """New jobs were queued by this process: look now rather than at the next idle tick."""
        self._wake.set()

    async def run(self, stopper: Stopper) -> None:
        """Ingest jobs until a stop is requested, then finish the ones in hand."""
        outage = Reconnect(log, base_s=0.5, cap_s=30.0)
        while not stopper.stopped:
            try:
                await self._renew_if_due()
                if len(self._running) <= self._slots // 2:
                    self._start(await self._jobs.claim(self._slots - len(self._running), self._lease_s))
                await self._idle()
                outage.succeeded()
            except psycopg.OperationalError as exc:
                await asyncio.sleep(outage.failed(f"database unavailable ({str(exc).strip()[:200]})"))
                with contextlib.suppress(psycopg.OperationalError):
                    await self._jobs.reconnect()
        if self._running:
            log.info("stop requested: finishing %d page job(s) in hand", len(self._running))
        while self._running:
            with contextlib.suppress(psycopg.OperationalError):
                await self._renew_if_due()
            await self._idle()

    def _start(self, jobs: Iterable[PageJob]) -> None:
        for job in jobs:
            task = asyncio.create_task(self._run_job(job), name=f"page {job.entry_id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run_job(self, job: PageJob) -> None:
        try:
            await self._finish(await self._ingest(job))
            self.done += 1
        except TransientError as exc:  # Kafka did not take the article (PublishError) or the like
            log.warning("page job %s: not ingested (%s); handed back for %.0fs", job.entry_id, exc, PUBLISH_RETRY_S)
            await self._release(job, PUBLISH_RETRY_S)
        except PermanentError as exc:  # the feed is not configured in this process
            log.warning("page job %s: %s here; handed back for %.0fs", job.entry_id, exc, NOT_MINE_RETRY_S)
            await self._release(job, NOT_MINE_RETRY_S)
        except psycopg.Error as exc:
            # Published but not marked: the lease runs out and the entry is published again (same id).
            log.error("page job %s: not recorded, database unavailable: %s", job.entry_id, str(exc).strip()[:200])
        except Exception:
            log.exception("page job %s: unexpected error; handed back", job.entry_id)
            await self._release(job, PUBLISH_RETRY_S)

    async def _release(self, job: PageJob, delay_s: float) -> None:
        try:
            await self._jobs.release(job, delay_s)
        except psycopg.Error as exc:
            log.warning("page job %s: not handed back (%s); its lease will run out", job.entry_id, str(exc)[:200])

    async def _renew_if_due(self) -> None:
        if not self._running or time.monotonic() - self._renewed_at >= self._lease_s / 3:
            if self._running:
                await self._jobs.renew(self._lease_s)
            self._renewed_at = time.monotonic()

    async def _idle(self) -> None:
        """Wait until a job ends, this process queues jobs, the leases need renewing, or IDLE_S passes."""
        delay = IDLE_S
        if self._running:
            delay = min(delay, self._renewed_at + self._lease_s / 3 - time.monotonic())
        delay = max(delay, 0.01)
        waits = [*self._running, asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waits[-1].cancel()
        self._wake.clear()
