"""When feeds are polled, by any number of pollers sharing one database.

The schedule is a query over ``ingest_feeds``. A poller *claims* due feeds
(``FOR UPDATE SKIP LOCKED``) and holds each under a lease, an owner and an
expiry on the database's clock, for as long as it polls it. A live poller
renews its leases every third of their length; one that dies stops renewing,
and its feeds are claimed by another poller once their leases expire. A poll
records its outcome only while its poller holds the lease (see
``FeedStore.record_success``), and a poll whose lease was taken over is
cancelled. Several feeds are polled at once (the fetcher caps how many
requests go to one host); a feed is never polled by two pollers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

import psycopg

from ingest.identity import loggable_url
from ingest.state import FeedState, FeedStore
from newsflow.lifecycle import Stopper
from newsflow.reconnect import Reconnect

log = logging.getLogger(__name__)

Poll = Callable[[FeedState], Awaitable[None]]

# Longest sleep between looks at the schedule: bounds how late a stop request,
# a feed added by another process or a lease renewal is handled.
MAX_IDLE_S = 1.0


def utcnow() -> datetime:
    return datetime.now(UTC)


class Poller:
    """Claims feeds, runs ``poll`` on each under its lease, renews and releases the leases."""

    def __init__(self, store: FeedStore, poll: Poll, max_parallel: int, lease_s: float) -> None:
        self._store = store
        self._poll = poll
        self._max_parallel = max_parallel
        self._lease_s = lease_s
        self._running: dict[str, asyncio.Task] = {}
        self._renewed_at = time.monotonic()

    async def run_when_due(self, stopper: Stopper) -> None:
        """Poll feeds as they come due until a stop is requested, then finish the polls in hand.

        Losing the database is survived: the schedule lives there, so the loop
        waits and reconnects, and feeds that were due are simply polled late.
        (Leases that run out meanwhile may be taken by other pollers; the
        first renewal after the reconnect finds out and cancels those polls.)
        """
        log.info("poller %s: lease %.0fs, up to %d feeds at once", self._store.owner, self._lease_s, self._max_parallel)
        outage = Reconnect(log, base_s=0.5, cap_s=30.0)
        while not stopper.stopped:
            try:
                await self._renew_if_due()
                self._start(await self._store.claim_due(self._free(), self._lease_s, busy=self._running))
                await self._idle(await self._store.seconds_until_due(busy=self._running))
                outage.succeeded()
            except psycopg.OperationalError as exc:
                await asyncio.sleep(outage.failed(f"database unavailable ({str(exc).strip()[:200]})"))
                with contextlib.suppress(psycopg.OperationalError):
                    await self._store.reconnect()
        await self._finish(f"stop requested ({stopper.reason})")

    async def run_once(self, stopper: Stopper) -> None:
        """Poll every active feed once, due or not (``newsflow ingest --once``).

        A feed another poller is polling is waited for: it is polled once that
        poll is over, or once that poller's lease has expired.
        """
        pending = {feed.feed_key for feed in await self._store.active_feeds()}
        told = False
        while pending and not stopper.stopped:
            await self._renew_if_due()
            claimed = await self._store.claim_any(pending, self._free(), self._lease_s, busy=self._running)
            pending.difference_update(feed.feed_key for feed in claimed)
            self._start(claimed)
            if pending and not self._running and not told:
                told = True
                log.info("waiting for %d feed(s) that other pollers hold", len(pending))
            await self._idle(0.0 if claimed and self._free() > 0 else MAX_IDLE_S)
        await self._finish("all feeds claimed" if not pending else f"stop requested ({stopper.reason})")

    def _free(self) -> int:
        return self._max_parallel - len(self._running)

    def _start(self, feeds: Iterable[FeedState]) -> None:
        for feed in feeds:
            task = asyncio.create_task(self._poll_and_release(feed), name=f"poll {feed.url}")
            self._running[feed.feed_key] = task
            task.add_done_callback(lambda _t, key=feed.feed_key: self._running.pop(key, None))

    async def _poll_and_release(self, feed: FeedState) -> None:
        try:
            await self._poll(feed)
        finally:
            try:
                await self._store.release(feed.feed_key)
            except psycopg.Error as exc:
                # Not fatal: the lease runs out by itself, and this poller may take it back.
                log.warning("feed %s: lease not released (%s)", loggable_url(feed.url), str(exc).strip()[:200])

    async def _renew_if_due(self) -> None:
        """Every third of a lease, extend the leases of the polls in hand; cancel those another poller took."""
        if not self._running:
            self._renewed_at = time.monotonic()
            return
        if time.monotonic() - self._renewed_at < self._lease_s / 3:
            return
        keys = list(self._running)
        held = await self._store.renew(keys, self._lease_s)
        self._renewed_at = time.monotonic()
        for key in keys:
            task = self._running.get(key)
            if key not in held and task is not None and not task.done():
                # The lease expired (this process stalled, or lost the database
                # for longer than the lease) and another poller took the feed.
                log.error("%s: lease lost to another poller; stopping it", task.get_name())
                task.cancel()

    async def _idle(self, due_in_s: float | None) -> None:
        """Sleep until the next feed is due, a poll finishes, the leases need renewing, or MAX_IDLE_S passes."""
        delay = MAX_IDLE_S if due_in_s is None else due_in_s
        if self._running:
            delay = min(delay, self._renewed_at + self._lease_s / 3 - time.monotonic())
        delay = min(max(delay, 0.01), MAX_IDLE_S)
        if self._running:
            await asyncio.wait(list(self._running.values()), timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(delay)

    async def _finish(self, why: str) -> None:
        """Wait for the polls in hand, renewing their leases meanwhile."""
        if self._running:
            log.info("%s: finishing %d poll(s) in hand", why, len(self._running))
        while self._running:
            with contextlib.suppress(psycopg.OperationalError):
                await self._renew_if_due()
            await self._idle(MAX_IDLE_S)
