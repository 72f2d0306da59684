"""How the consumer loop gathers a batch: a lull ends it, the timeout bounds it (issue 9 #4)."""

from __future__ import annotations

import time
from types import SimpleNamespace

from kafka import TopicPartition

from newsflow.consume import BatchLimits, ConsumerLoop
from newsflow.lifecycle import Stopper

PARTITION = TopicPartition("t", 0)


class TimedConsumer:
    """A fake consumer (pure logic under test, no broker): record i becomes available at ``gaps[:i]`` seconds."""

    def __init__(self, gaps_s: list[float]) -> None:
        start = time.monotonic()
        self.arrivals = []
        at = start
        for gap in gaps_s:
            at += gap
            self.arrivals.append(at)
        self.next = 0

    def poll(self, timeout_ms: int, max_records: int) -> dict:
        deadline = time.monotonic() + timeout_ms / 1000
        ready = []
        while not ready:
            now = time.monotonic()
            while self.next < len(self.arrivals) and self.arrivals[self.next] <= now and len(ready) < max_records:
                ready.append(SimpleNamespace(value=b"x", offset=self.next))
                self.next += 1
            if ready or now >= deadline:
                break
            time.sleep(min(0.005, max(0.0, deadline - now)))
        return {PARTITION: ready} if ready else {}

    def metrics(self) -> dict:
        return {}


def _first_batch(gaps_s: list[float], limits: BatchLimits) -> int:
    loop = ConsumerLoop(TimedConsumer(gaps_s), stage=None, stopper=Stopper(), limits=limits)  # type: ignore[arg-type]
    loop._collect()
    return len(loop.in_hand)


def test_a_short_lull_ends_the_batch_at_the_first_pause() -> None:
    # Records 40 ms apart: a 10 ms lull takes only what is there at once.
    assert _first_batch([0.0] + [0.04] * 5, BatchLimits(timeout_ms=2000, lull_ms=10)) == 1


def test_a_longer_lull_gathers_records_arriving_closer_than_it() -> None:
    # The same stream with a lull longer than the gaps: all six in one batch
    # (the batch ends at the lull after the last one, well before the timeout).
    started = time.monotonic()
    assert _first_batch([0.0] + [0.04] * 5, BatchLimits(timeout_ms=2000, lull_ms=150)) == 6
    assert time.monotonic() - started < 1.0


def test_the_timeout_bounds_a_batch_whatever_the_lull() -> None:
    # A steady stream never pauses: the timeout (300 ms) ends the batch with
    # about 300/40 records, not the 40 on offer.
    count = _first_batch([0.0] + [0.04] * 39, BatchLimits(timeout_ms=300, lull_ms=500))
    assert 3 <= count <= 10
