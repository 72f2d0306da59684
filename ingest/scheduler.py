"""When feeds are polled: the schedule is a query over ``ingest_feeds``.

Feeds are polled as they come due, several at once (the fetcher caps how many
requests go to one host); a feed is never polled twice at the same time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

import psycopg

from ingest.backoff import backoff
from ingest.state import FeedState, FeedStore
from newsflow.lifecycle import Stopper

log = logging.getLogger(__name__)

Poll = Callable[[FeedState], Awaitable[None]]

# Longest sleep between looks at the schedule: bounds how late a stop request
# or a feed added by another process is noticed.
MAX_IDLE_S = 1.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def poll_all_once(store: FeedStore, poll: Poll, max_parallel: int) -> None:
    """Poll every active feed once, due or not (``newsflow ingest --once``)."""
    slots = asyncio.Semaphore(max_parallel)

    async def bounded(feed: FeedState) -> None:
        async with slots:
            await poll(feed)

    await asyncio.gather(*(bounded(feed) for feed in await store.active_feeds()))


async def poll_when_due(store: FeedStore, poll: Poll, max_parallel: int, stopper: Stopper) -> None:
    """Poll feeds as they come due until a stop is requested, then finish the polls in hand.

    Losing the database is survived: the schedule lives there, so the loop
    waits and reconnects, and feeds that were due are simply polled late.
    """
    running: dict[str, asyncio.Task] = {}
    failures = 0
    while not stopper.stopped:
        try:
            await _start_due_polls(store, poll, max_parallel, running)
            await _idle(store, running)
            failures = 0
        except psycopg.OperationalError as exc:
            failures += 1
            delay = backoff(failures, 0.5, 30.0)
            log.error("database unavailable (%s); reconnecting in %.1fs", str(exc).strip()[:200], delay)
            await asyncio.sleep(delay)
            with contextlib.suppress(psycopg.OperationalError):
                await store.reconnect()
    if running:
        log.info("stop requested (%s): finishing %d poll(s) in hand", stopper.reason, len(running))
        await asyncio.gather(*running.values(), return_exceptions=True)


async def _start_due_polls(store: FeedStore, poll: Poll, max_parallel: int, running: dict[str, asyncio.Task]) -> None:
    free = max_parallel - len(running)
    for feed in await store.due_feeds(utcnow(), free, busy=running) if free > 0 else []:
        task = asyncio.create_task(poll(feed), name=f"poll {feed.url}")
        running[feed.feed_key] = task
        task.add_done_callback(lambda _t, key=feed.feed_key: running.pop(key, None))


async def _idle(store: FeedStore, running: dict[str, asyncio.Task]) -> None:
    """Sleep until the next feed is due, a poll finishes, or MAX_IDLE_S passes."""
    next_due = await store.next_due_at(busy=running)
    delay = MAX_IDLE_S if next_due is None else (next_due - utcnow()).total_seconds()
    delay = min(max(delay, 0.01), MAX_IDLE_S)
    if running:
        await asyncio.wait(list(running.values()), timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    elif delay > 0:
        await asyncio.sleep(delay)
