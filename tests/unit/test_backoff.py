"""The one backoff: capped, jittered, never zero, never giving up."""

from __future__ import annotations

import random

from newsflow.backoff import backoff, retry_delay


def test_grows_exponentially_up_to_the_cap() -> None:
    rng = random.Random(1)
    ceilings = [max(backoff(n, 60, 3600, rng) for _ in range(200)) for n in range(1, 10)]
    assert ceilings[0] == 60
    assert 110 < ceilings[1] <= 120 and 230 < ceilings[2] <= 240
    assert all(c <= 3600 for c in ceilings) and ceilings[-1] > 3000


def test_is_jittered_within_base_and_ceiling() -> None:
    rng = random.Random(2)
    samples = [backoff(5, 10, 10_000, rng) for _ in range(500)]
    assert all(10 <= s <= 160 for s in samples)
    assert len({round(s) for s in samples}) > 50  # spread, not one value


def test_extreme_counts_do_not_overflow() -> None:
    assert backoff(10_000, 60, 3600, random.Random(3)) <= 3600
    assert backoff(0, 60, 3600) == 60
    assert backoff(-5, 60, 3600) == 60


def test_retry_after_is_honoured_when_sane() -> None:
    rng = random.Random(4)
    assert retry_delay(1, 60, 3600, retry_after_s=900, rng=rng) == 900
    # never sooner than the backoff
    assert retry_delay(1, 60, 3600, retry_after_s=5, rng=rng) == 60
    # a Retry-After beyond the cap is ignored rather than abandoning the feed
    assert retry_delay(1, 60, 3600, retry_after_s=7 * 86400, rng=rng) == 60
