"""The poller's lease bookkeeping, against an in-memory fake of the feed store (pure scheduling logic;
the real claims are tested on Postgres in tests/integration/test_ingest_leases.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import UTC, datetime

from ingest.scheduler import Poller
from ingest.state import FeedState
from newsflow.lifecycle import Stopper


def _feed(key: str) -> FeedState:
    return FeedState(key, f"http://example.test/{key}", None, 60.0, None, None,
                     datetime.now(UTC), 0, None)


class FakeStore:
    """Hands out each feed once; ``stolen`` feeds are reported lost at renewal."""

    owner = "test/1/fake"

    def __init__(self, keys: list[str], stolen: set[str]) -> None:
        self.unclaimed = list(keys)
        self.stolen = stolen
        self.renewals: list[set[str]] = []
        self.released: list[str] = []

    async def claim_due(self, limit: int, lease_s: float, busy: Iterable[str] = ()) -> list[FeedState]:
        taken, self.unclaimed = self.unclaimed[:limit], self.unclaimed[limit:]
        return [_feed(k) for k in taken]

    async def claim_any(self, among: Iterable[str], limit: int, lease_s: float,
                        busy: Iterable[str] = ()) -> list[FeedState]:
        return await self.claim_due(limit, lease_s, busy)

    async def active_feeds(self) -> list[FeedState]:
        return [_feed(k) for k in self.unclaimed]

    async def renew(self, keys: Iterable[str], lease_s: float) -> set[str]:
        self.renewals.append(set(keys))
        return set(keys) - self.stolen

    async def release(self, key: str) -> None:
        self.released.append(key)

    async def seconds_until_due(self, busy: Iterable[str] = ()) -> float | None:
        return None


def test_a_poll_whose_lease_was_taken_is_cancelled_and_the_others_renewed() -> None:
    store = FakeStore(["kept", "stolen"], stolen={"stolen"})
    outcomes: dict[str, str] = {}
    stopper = Stopper()

    async def poll(feed: FeedState) -> None:
        try:
            await asyncio.sleep(0.8 if feed.feed_key == "kept" else 30)
            outcomes[feed.feed_key] = "finished"
        except asyncio.CancelledError:
            outcomes[feed.feed_key] = "cancelled"
            raise

    async def scenario() -> None:
        poller = Poller(store, poll, max_parallel=4, lease_s=0.3)  # renewed every 0.1 s
        asyncio.get_running_loop().call_later(1.5, stopper.stop, "test")
        await asyncio.wait_for(poller.run_when_due(stopper), 10)

    asyncio.run(scenario())

    assert outcomes == {"kept": "finished", "stolen": "cancelled"}
    assert store.renewals and all("kept" in keys for keys in store.renewals[:2])
    assert sorted(store.released) == ["kept", "stolen"]  # the release is fenced by owner in SQL


def test_once_waits_for_feeds_other_pollers_hold() -> None:
    """``--once`` polls every feed: one another poller holds is polled once it is free."""
    store = FakeStore(["free"], stolen=set())
    later = ["held"]
    polled: list[str] = []

    async def claim_any(among: Iterable[str], limit: int, lease_s: float, busy: Iterable[str] = ()) -> list[FeedState]:
        if "held" in among and len(polled) >= 1 and later:
            later.clear()
            return [_feed("held")]
        return [_feed(k) for k in store.unclaimed if k in among and k not in busy][:limit]

    async def active_feeds() -> list[FeedState]:
        return [_feed("free"), _feed("held")]

    store.claim_any = claim_any  # type: ignore[method-assign]
    store.active_feeds = active_feeds  # type: ignore[method-assign]

    async def poll(feed: FeedState) -> None:
        polled.append(feed.feed_key)

    asyncio.run(asyncio.wait_for(Poller(store, poll, max_parallel=4, lease_s=30).run_once(Stopper()), 10))
    assert polled == ["free", "held"]
