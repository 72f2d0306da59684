"""Page jobs on a real Postgres (issue 9 #1): queued with the poll's outcome, claims never overlap,
leases expire, a finished job is marked seen and gone, entries are never queued twice."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from ingest.feeds import FeedEntry
from ingest.identity import feed_key
from ingest.pagejobs import JobDone, NewEntry, PageJobStore
from ingest.state import Acknowledged, FeedStore, PageRetry, SeenEntry
from newsflow.settings import FeedConfig

pytestmark = pytest.mark.integration

FEED = FeedConfig(url="http://127.0.0.1:9/feed.xml", interval_s=60)
KEY = feed_key(FEED.url)
ACK = Acknowledged("t.raw", 0, 7)


def _entry(n: int) -> FeedEntry:
    return FeedEntry(f"e{n}", f"http://127.0.0.1:9/news/{n}", f"Story {n}", "Summary", datetime(2024, 1, 2, tzinfo=UTC))


def _new(n: int, ack: Acknowledged | None = None) -> NewEntry:
    return NewEntry(_entry(n), f"article-{n}", ack)


def _done(entry_id: str, retry: PageRetry | None = None) -> JobDone:
    return JobDone(SeenEntry(KEY, entry_id, f"article-{entry_id[1:]}", ACK), retry)


def _rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


async def _setup(dsn: str) -> tuple[FeedStore, PageJobStore, PageJobStore]:
    store = await FeedStore.connect(dsn)
    await store.migrate()
    await store.sync_feeds([FEED])
    a = await PageJobStore.connect(dsn, store.owner)
    b = await PageJobStore.connect(dsn, "other-host/1/b")
    return store, a, b


def test_a_poll_queues_its_entries_with_its_outcome_and_workers_share_them(database_url: str) -> None:
    async def scenario() -> None:
        store, a, b = await _setup(database_url)
        try:
            [feed] = await store.claim_any([KEY], 1, 30.0)
            # 20 new entries and one already published by another feed: 20 jobs, 1 entry marked seen.
            new = [_new(n) for n in range(20)] + [_new(20, ACK)]
            polled_at = datetime.now(UTC)
            assert await a.queue_and_record(feed, new, polled_at, '"v1"', None) == (20, True)
            assert _rows(database_url, "SELECT etag, last_success_at IS NOT NULL FROM ingest_feeds") == [('"v1"', True)]
            assert _rows(database_url, "SELECT entry_id FROM ingest_entries") == [("e20",)]
            # The next poll sees the same entries: nothing is queued twice.
            assert await a.queue_and_record(feed, new[:20], polled_at, '"v2"', None) == (0, True)

            # Two workers claiming at the same instant never get the same job, and get them all.
            claimed: dict[str, set[str]] = {"a": set(), "b": set()}
            while True:
                got_a, got_b = await asyncio.gather(a.claim(3, 30.0), b.claim(3, 30.0))
                if not got_a and not got_b:
                    break
                ids_a, ids_b = {j.entry_id for j in got_a}, {j.entry_id for j in got_b}
                assert not ids_a & ids_b
                assert not (ids_a | ids_b) & (claimed["a"] | claimed["b"])
                claimed["a"] |= ids_a
                claimed["b"] |= ids_b
            assert claimed["a"] and claimed["b"]
            assert claimed["a"] | claimed["b"] == {f"e{n}" for n in range(20)}
            assert await a.renew(30.0) == len(claimed["a"])

            # Finishing: a's jobs marked seen and deleted in one statement; one failed transiently -> page retry.
            first = min(claimed["a"])
            now = datetime.now(UTC)
            retry = PageRetry(KEY, first, _entry(int(first[1:])).to_json(), 1, now, now + timedelta(seconds=60), "503")
            await a.mark_seen([_done(e, retry if e == first else None) for e in claimed["a"]])
            assert {r[0] for r in _rows(database_url, "SELECT entry_id FROM ingest_page_jobs")} == claimed["b"]
            assert _rows(database_url, "SELECT entry_id, attempts FROM ingest_page_retries") == [(first, 1)]
            # a cannot delete b's jobs; the entry is marked seen all the same (Kafka has it).
            theirs = min(claimed["b"])
            await a.mark_seen([_done(theirs)])
            assert (theirs,) in _rows(database_url, "SELECT entry_id FROM ingest_page_jobs")
            assert (theirs,) in _rows(database_url, "SELECT entry_id FROM ingest_entries")
            # Entries seen are not queued again even when their job is still there or gone.
            assert await a.queue_and_record(feed, new[:20], polled_at, None, None) == (0, True)
        finally:
            for closing in (store, a, b):
                await closing.close()

    asyncio.run(scenario())


def test_a_dead_workers_jobs_are_claimed_after_its_lease(database_url: str) -> None:
    async def scenario() -> None:
        store, a, b = await _setup(database_url)
        try:
            [feed] = await store.claim_any([KEY], 1, 30.0)
            await a.queue_and_record(feed, [_new(n) for n in range(3)], datetime.now(UTC), None, None)
            held = await a.claim(2, 0.5)
            assert [j.claims for j in held] == [1, 1] and held[0].url == feed.url
            [other] = await b.claim(5, 30.0)  # the third job; a's live leases are skipped
            assert other.entry_id not in {j.entry_id for j in held}
            time.sleep(0.6)  # noqa: ASYNC251 - a stops renewing, as if SIGKILLed
            taken = await b.claim(5, 30.0)
            assert {j.entry_id for j in taken} == {j.entry_id for j in held}
            assert {j.claims for j in taken} == {2}
            assert await a.renew(30.0) == 0  # a finds it holds nothing now
            # A job handed back is claimable again only after its delay.
            await b.release(other, 0.3)
            assert await a.claim(5, 30.0) == []
            await asyncio.sleep(0.35)
            assert [j.entry_id for j in await a.claim(5, 30.0)] == [other.entry_id]
        finally:
            for closing in (store, a, b):
                await closing.close()

    asyncio.run(scenario())


def test_a_lost_feed_lease_stores_no_outcome_and_inactive_feeds_wait(database_url: str) -> None:
    async def scenario() -> None:
        store, a, b = await _setup(database_url)
        try:
            [feed] = await store.claim_any([KEY], 1, 30.0)
            await store.release(KEY)
            assert await a.queue_and_record(feed, [_new(1)], datetime.now(UTC), '"late"', None) == (1, False)
            assert _rows(database_url, "SELECT etag FROM ingest_feeds") == [(None,)]
            # A feed gone from the config keeps its jobs, handed out again only once it is back.
            await store.sync_feeds([])
            assert await b.claim(5, 30.0) == []
            await store.sync_feeds([FEED])
            assert [j.entry_id for j in await b.claim(5, 30.0)] == ["e1"]
        finally:
            for closing in (store, a, b):
                await closing.close()

    asyncio.run(scenario())
