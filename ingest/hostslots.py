"""The per-host politeness cap across the ingest workers of one machine (issue 9 #1).

Each worker process fetches its own feeds and pages, so the cap cannot be a
semaphore in one process. The workers share a table of counters in shared
memory: a host's requests in flight are counted in a bucket chosen by a
stable hash of its name (two hosts that share a bucket share its slots: the
cap is then stricter, never looser). Each worker's holdings are counted too,
so the supervisor gives back the slots of a worker that died mid-request.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator
from multiprocessing.context import BaseContext

BUCKETS = 4096
# How often a worker waiting for a slot looks again, at most.
_MAX_WAIT_S = 0.05


def bucket(host: str) -> int:
    """The same in every process (``hash()`` is salted per process)."""
    return zlib.crc32(host.encode("utf-8", "surrogatepass")) % BUCKETS


class SharedHostSlots:
    """Created by the supervisor before the workers start, handed to each."""

    def __init__(self, context: BaseContext, workers: int, per_host: int) -> None:
        self.per_host = per_host
        self._lock = context.Lock()
        self._in_flight = context.Array("i", BUCKETS, lock=False)
        self._held = context.Array("i", workers * BUCKETS, lock=False)  # [worker * BUCKETS + bucket]

    def for_worker(self, index: int) -> WorkerHostSlots:
        return WorkerHostSlots(self, index)

    def try_take(self, index: int, slot: int) -> bool:
        with self._lock:
            if self._in_flight[slot] >= self.per_host:
                return False
            self._in_flight[slot] += 1
            self._held[index * BUCKETS + slot] += 1
            return True

    def give_back(self, index: int, slot: int) -> None:
        with self._lock:
            if self._held[index * BUCKETS + slot] > 0:
                self._held[index * BUCKETS + slot] -= 1
                self._in_flight[slot] -= 1

    def reclaim(self, index: int) -> int:
        """Free every slot worker ``index`` held (it died); returns how many."""
        freed = 0
        with self._lock:
            base = index * BUCKETS
            for slot in range(BUCKETS):
                held = self._held[base + slot]
                if held:
                    self._in_flight[slot] -= held
                    self._held[base + slot] = 0
                    freed += held
        return freed

    def in_flight(self, host: str) -> int:
        return self._in_flight[bucket(host)]


class WorkerHostSlots:
    """One worker's view: ``async with slots.hold(host):`` around each request."""

    def __init__(self, shared: SharedHostSlots, index: int) -> None:
        self._shared = shared
        self._index = index

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        slot = bucket(host)
        wait = 0.002
        while not self._shared.try_take(self._index, slot):
            await asyncio.sleep(wait)
            wait = min(wait * 2, _MAX_WAIT_S)
        try:
            yield
        finally:
            self._shared.give_back(self._index, slot)
