"""Group commit of seen entries: entries finished close together share one write (issue 9 #4)."""

from __future__ import annotations

import asyncio

from ingest.seen import SeenWriter
from ingest.state import SeenEntry


class CountingStore:
    """A fake of the one FeedStore method the writer calls (pure logic under test; Postgres in integration)."""

    def __init__(self) -> None:
        self.writes: list[list[str]] = []

    async def mark_seen(self, entries: list[SeenEntry]) -> None:
        await asyncio.sleep(0.005)  # a round trip
        self.writes.append([entry.entry_id for entry in entries])


def _entry(n: int) -> SeenEntry:
    return SeenEntry("feed", f"e{n}", f"a{n}", None)


async def _finish_entries(writer: SeenWriter, gap_s: float, count: int) -> None:
    async def one(n: int) -> None:
        await asyncio.sleep(n * gap_s)
        await writer.mark(_entry(n))

    await asyncio.gather(*(one(n) for n in range(count)))
    await writer.close()


def test_entries_finished_within_the_linger_share_one_write() -> None:
    store = CountingStore()
    asyncio.run(_finish_entries(SeenWriter(store, linger_s=0.1), gap_s=0.02, count=4))  # type: ignore[arg-type]
    assert store.writes == [["e0", "e1", "e2", "e3"]]


def test_without_linger_entries_apart_are_written_one_by_one() -> None:
    store = CountingStore()
    asyncio.run(_finish_entries(SeenWriter(store, linger_s=0.0), gap_s=0.02, count=4))  # type: ignore[arg-type]
    assert store.writes == [["e0"], ["e1"], ["e2"], ["e3"]]


def test_every_mark_returns_only_once_its_write_is_done() -> None:
    store = CountingStore()

    async def scenario() -> list[int]:
        writer = SeenWriter(store, linger_s=0.05)  # type: ignore[arg-type]
        seen_writes = []

        async def mark(n: int) -> None:
            await writer.mark(_entry(n))
            seen_writes.append(len(store.writes))  # the write holding entry n has happened

        await asyncio.gather(mark(0), mark(1))
        await writer.close()
        return seen_writes

    assert asyncio.run(scenario()) == [1, 1]
