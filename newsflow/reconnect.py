"""Waiting out a database that went away: the one reconnect policy of ingest's poller and the sink.

Both keep working through a Postgres outage the same way: after each failure
in a row they wait the shared backoff (short at first, capped), say so once
per try in their own log, and start from the shortest wait again once a call
succeeds. The loops themselves stay with their callers, because one sleeps on
asyncio and the other on a Stopper; what they wait, and what they say, is here.
"""

from __future__ import annotations

import logging
import random

from newsflow.backoff import backoff


class Reconnect:
    """Counts failures in a row and says how long to wait before the next try."""

    def __init__(self, log: logging.Logger, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        self._log = log
        self._base_s = base_s
        self._cap_s = cap_s
        self._rng = rng
        self.failures = 0

    def failed(self, why: str) -> float:
        """Record one more failure (``why`` never holds a secret: psycopg omits passwords); the seconds to wait."""
        self.failures += 1
        delay = backoff(self.failures, self._base_s, self._cap_s, self._rng)
        self._log.warning("%s; reconnecting in %.1fs", why, delay)
        return delay

    def succeeded(self) -> None:
        self.failures = 0
