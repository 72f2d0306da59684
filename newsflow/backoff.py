"""How long to wait after failures in a row: the one backoff of every stage.

Feeds and pages (ingest), reconnecting to Postgres (ingest's poller, the sink)
and looking for a Kafka broker all wait this way. Pure, so it is tested on
its own.
"""

from __future__ import annotations

import random


def backoff(consecutive_errors: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``consecutive_errors`` failures in a row.

    Exponential (``base * 2**(n-1)``), capped at ``cap``, with full jitter over
    ``[base, ceiling]``: jitter spreads clients that failed together (one host
    or one database down), and the ``base`` floor keeps a flapping peer from
    being retried at once. Never zero, never above ``cap``; nothing is abandoned.
    """
    rng = rng or random.Random()
    base = max(base, 0.001)
    cap = max(cap, base)
    exponent = min(max(consecutive_errors, 1) - 1, 62)
    ceiling = min(cap, base * 2.0**exponent)
    return rng.uniform(base, ceiling) if ceiling > base else ceiling


def retry_delay(
    consecutive_errors: int,
    base: float,
    cap: float,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """The backoff, but never sooner than a sane ``Retry-After`` (RFC 9110 §10.2.3).

    A Retry-After beyond ``cap`` is not sane (a server asking for a week's
    silence would make us abandon the feed): it is ignored.
    """
    delay = backoff(consecutive_errors, base, cap, rng)
    if retry_after_s is not None and 0 < retry_after_s <= cap:
        return max(delay, retry_after_s)
    return delay
