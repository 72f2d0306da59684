"""The sink's one Postgres connection, re-opened with backoff while the server is away."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

import psycopg

from newsflow.lifecycle import Stopper
from sinks.poison import is_transient
from sinks.postgres import connect
from sinks.retry import backoff_s

log = logging.getLogger(__name__)

R = TypeVar("R")


class Interrupted(Exception):
    """A stop was requested while waiting for the database to come back."""


class Database:
    """Runs units of work on a connection; a transient failure reconnects and re-runs them.

    A unit of work must be safe to run again: each is one transaction that
    either committed or did not (an ambiguous COMMIT is re-run, and the writes
    are idempotent).
    """

    def __init__(self, dsn: str, stopper: Stopper) -> None:
        self._dsn = dsn
        self._stopper = stopper
        self._conn: psycopg.Connection | None = None

    def connection(self) -> psycopg.Connection:
        """The open connection, opening one if needed (a single attempt)."""
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._dsn)
        return self._conn

    def call(self, work: Callable[[psycopg.Connection], R]) -> R:
        """Run ``work(conn)``, retrying transient errors until it succeeds or a stop is requested."""
        attempt = 0
        while True:
            try:
                return work(self.connection())
            except Exception as exc:  # noqa: BLE001 - classified right below
                if not is_transient(exc):
                    raise
                delay = backoff_s(attempt)
                # The error text never holds the DSN's password (psycopg omits it).
                log.warning("database unavailable (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay)
                self.drop()
                if self._stopper.wait(delay):
                    raise Interrupted from exc
                attempt += 1

    def drop(self) -> None:
        """Forget the connection after a failure; the next call opens a new one."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):  # it is already broken; closing is a courtesy
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        self.drop()
