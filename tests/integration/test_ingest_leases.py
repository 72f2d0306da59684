"""Feed leases on a real Postgres (issue 9 #2): claims never overlap, leases expire, only the holder writes."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from ingest.identity import feed_key
from ingest.state import SCHEMA_VERSION, FeedStore
from newsflow.settings import FeedConfig

pytestmark = pytest.mark.integration

FEEDS = [FeedConfig(url=f"http://127.0.0.1:9/feed{n}.xml", interval_s=60) for n in range(8)]
KEYS = {feed_key(f.url) for f in FEEDS}


async def _stores(dsn: str) -> tuple[FeedStore, FeedStore]:
    a, b = await FeedStore.connect(dsn), await FeedStore.connect(dsn)
    # Two pollers starting together: the advisory lock makes them migrate one at a time.
    await asyncio.gather(a.migrate(), b.migrate())
    await a.sync_feeds(FEEDS)
    await b.sync_feeds(FEEDS)
    return a, b


def test_concurrent_claims_never_overlap_and_leases_fence_writes(database_url: str) -> None:
    async def scenario() -> None:
        a, b = await _stores(database_url)
        try:
            assert a.owner != b.owner
            # Claiming at the same instant: SKIP LOCKED and the re-checked lease split the feeds.
            for _ in range(5):
                got_a, got_b = await asyncio.gather(a.claim_any(KEYS, 8, 30.0), b.claim_any(KEYS, 8, 30.0))
                keys_a, keys_b = {f.feed_key for f in got_a}, {f.feed_key for f in got_b}
                assert not keys_a & keys_b and keys_a | keys_b == KEYS
                for key in keys_a:
                    await a.release(key)
                for key in keys_b:
                    await b.release(key)
            # A claim moved every feed's next check one interval ahead: nothing is due now.
            assert await a.claim_due(8, 30.0) == []
            assert 50 < await a.seconds_until_due() <= 60

            key = min(KEYS)
            [claimed] = await a.claim_any([key], 1, 0.5)
            assert claimed.feed_key == key
            assert await b.claim_any([key], 1, 30.0) == []  # live lease: skipped
            assert await a.renew([key], 0.5) == {key}
            time.sleep(0.6)  # noqa: ASYNC251 - a stalls past its lease, event loop and all
            [taken] = await b.claim_any([key], 1, 30.0)
            assert taken.feed_key == key
            # a's late outcome is refused, its renewal says the lease is gone, its release is a no-op.
            assert await a.record_success(key, claimed.next_check_at, 60, '"etag-a"', None) is False
            assert await a.record_error(key, claimed.next_check_at, 60, 1, "late") is False
            assert await a.renew([key], 30.0) == set()
            await a.release(key)
            assert await b.record_success(key, taken.next_check_at, 60, '"etag-b"', None) is True
            with psycopg.connect(database_url) as conn:
                row = conn.execute(
                    "SELECT lease_owner, etag, consecutive_errors FROM ingest_feeds WHERE feed_key = %s", (key,)
                ).fetchone()
                versions = conn.execute("SELECT version FROM newsflow.migrations WHERE component = 'ingest' ORDER BY 1").fetchall()
            assert row == (b.owner, '"etag-b"', 0)
            assert [v for (v,) in versions] == list(range(1, SCHEMA_VERSION + 1))
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())


def test_a_poller_takes_back_its_own_stale_lease(database_url: str) -> None:
    """A poll whose release failed with the connection must not keep the feed from its own poller."""

    async def scenario() -> None:
        a, b = await _stores(database_url)
        try:
            key = min(KEYS)
            assert len(await a.claim_any([key], 1, 30.0)) == 1
            await a.reconnect()  # the release never happened
            assert await b.claim_any([key], 1, 30.0) == []
            assert [f.feed_key for f in await a.claim_any([key], 1, 30.0)] == [key]
            # ...but not while that poll is still running in this process.
            assert await a.claim_any([key], 1, 30.0, busy=[key]) == []
        finally:
            await a.close()
            await b.close()

    asyncio.run(scenario())
