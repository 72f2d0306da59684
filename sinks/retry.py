"""Capped, jittered exponential backoff: a small pure function (style.md, practice 4)."""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_s(
    attempt: int,
    base_s: float = 0.2,
    cap_s: float = 10.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based).

    Doubles from ``base_s`` up to ``cap_s``, then keeps between half and all of
    that ("equal jitter"), so sinks that lost the same database do not all
    reconnect in the same instant, yet never retry in a tight loop.
    """
    ceiling = min(cap_s, base_s * 2 ** min(attempt, 30))
    return ceiling / 2 + rand() * ceiling / 2
