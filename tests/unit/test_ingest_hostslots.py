"""The per-host cap shared by ingest workers (ingest/hostslots.py), across real processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import time

from ingest.hostslots import SharedHostSlots, bucket

CONTEXT = multiprocessing.get_context("spawn")


def _hammer(slots: SharedHostSlots, index: int, peak, peak_lock, rounds: int) -> None:
    """Take a slot for host "a.test" again and again, recording how many are taken at once."""

    async def one() -> None:
        async with slots.for_worker(index).hold("a.test"):
            with peak_lock:
                now = slots.in_flight("a.test")
                peak.value = max(peak.value, now)
            await asyncio.sleep(0.002)

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(rounds)))

    asyncio.run(main())


def test_the_cap_holds_across_processes() -> None:
    slots = SharedHostSlots(CONTEXT, workers=3, per_host=2)
    peak, peak_lock = CONTEXT.Value("i", 0, lock=False), CONTEXT.Lock()
    procs = [CONTEXT.Process(target=_hammer, args=(slots, i, peak, peak_lock, 40)) for i in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert peak.value == 2  # reached, never passed
    assert slots.in_flight("a.test") == 0


def _hold_for_ever(slots: SharedHostSlots, index: int) -> None:
    async def main() -> None:
        async with slots.for_worker(index).hold("a.test"), slots.for_worker(index).hold("a.test"):
            await asyncio.sleep(3600)

    asyncio.run(main())


def test_slots_of_a_killed_worker_are_given_back() -> None:
    slots = SharedHostSlots(CONTEXT, workers=2, per_host=2)
    holder = CONTEXT.Process(target=_hold_for_ever, args=(slots, 1))
    holder.start()
    deadline = time.monotonic() + 30
    while slots.in_flight("a.test") < 2:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(10)

    async def take() -> None:
        async with slots.for_worker(0).hold("a.test"):
            pass

    try:
        asyncio.run(asyncio.wait_for(take(), 0.5))
        raise AssertionError("a slot was free while the dead worker still counted")
    except TimeoutError:
        pass
    assert slots.reclaim(1) == 2
    asyncio.run(asyncio.wait_for(take(), 5))
    assert slots.in_flight("a.test") == 0


def _buckets(hosts: list[str], out) -> None:
    out.put([bucket(h) for h in hosts])


def test_buckets_are_the_same_in_every_process() -> None:
    """``hash()`` would differ per process (salted); the bucket of a host must not."""
    hosts = [f"host{n}.example" for n in range(50)]
    out = CONTEXT.Queue()
    child = CONTEXT.Process(target=_buckets, args=(hosts, out))
    child.start()
    theirs = out.get(timeout=30)
    child.join(10)
    assert theirs == [bucket(h) for h in hosts]
    assert len(set(theirs)) > 40  # spread over the buckets
