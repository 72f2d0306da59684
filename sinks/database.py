"""The sink's one Postgres connection: re-opened with backoff while the server is away,
and abandoned when it stops answering or a stop is requested.

TCP keepalives find a dead network path, but not a server (or proxy, or
middlebox) that keeps the socket open and answers nothing: the kernel still
acknowledges every packet. So every unit of work runs under a client-side
deadline (issue 8): a watchdog thread shuts the socket down when the unit
outlives ``work_timeout_s``, or a few seconds after a stop is requested. psycopg's
blocked read then fails, the transaction is never committed (the server
rolls it back when it sees the socket close), and the unit is retried on a
new connection or, on a stop, abandoned to be replayed from Kafka.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import psycopg

from newsflow.lifecycle import Stopper
from newsflow.reconnect import Reconnect
from newsflow.settings import DatabaseConfig
from sinks.poison import is_transient
from sinks.postgres import connect

log = logging.getLogger(__name__)

R = TypeVar("R")

#: How often the watchdog looks at the stop flag while a unit of work runs.
WATCH_INTERVAL_S = 0.2
#: After a stop request, how long a unit of work may still run: a healthy batch
#: finishes and commits (a stop finishes the batch in hand); a frozen one is
#: cut, so SIGTERM is honoured within 10 s (issue 8).
STOP_GRACE_S = 5.0
#: Waits between tries while the database is away: short at first, so a blip
#: costs little, and capped so a returning server is found within seconds.
RECONNECT_BASE_S = 0.2
RECONNECT_CAP_S = 10.0


class Interrupted(Exception):
    """A stop was requested while waiting for the database (to come back, or to answer)."""


class Database:
    """Runs units of work on a connection; a transient failure reconnects and re-runs them.

    A unit of work must be safe to run again: each is one transaction that
    either committed or did not (an ambiguous COMMIT is re-run, and the writes
    are idempotent).
    """

    def __init__(self, dsn: str, stopper: Stopper, deadlines: DatabaseConfig | None = None) -> None:
        self._dsn = dsn
        self._stopper = stopper
        self._deadlines = deadlines or DatabaseConfig()
        self._conn: psycopg.Connection | None = None
        self._watchdog = Watchdog(stopper, self._deadlines.work_timeout_s)

    def connection(self) -> psycopg.Connection:
        """The open connection, opening one if needed (a single attempt, bounded by connect_timeout_s)."""
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._dsn, deadlines=self._deadlines)
        return self._conn

    def attempt(self, work: Callable[[psycopg.Connection], R]) -> R:
        """Run ``work(conn)`` once, under the deadline; raises what it raises."""
        conn = self.connection()
        with self._watchdog.guard(conn):
            return work(conn)

    def call(self, work: Callable[[psycopg.Connection], R]) -> R:
        """Run ``work(conn)``, retrying transient errors until it succeeds or a stop is requested."""
        outage = Reconnect(log, base_s=RECONNECT_BASE_S, cap_s=RECONNECT_CAP_S)
        while True:
            try:
                return self.attempt(work)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self.drop()
                if self._stopper.stopped:
                    raise Interrupted from exc
                if self._stopper.wait(outage.failed(self._failure(exc))):
                    raise Interrupted from exc

    def _failure(self, exc: Exception) -> str:
        abandoned = self._watchdog.last_expiry
        if abandoned is not None:
            return f"database did not answer within {abandoned:.0f}s; connection abandoned"
        # The error text never holds the DSN's password (psycopg omits it).
        return f"database unavailable ({type(exc).__name__}: {exc})"

    def drop(self) -> None:
        """Forget the connection after a failure; the next call opens a new one."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):  # it is already broken; closing is a courtesy
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        self.drop()


class Watchdog:
    """Shuts down the socket of a unit of work that outlives its deadline, or its grace after a stop request.

    One daemon thread serves every unit; a unit registers its connection in
    :meth:`guard` and unregisters on the way out, under the same lock the
    thread holds while it cuts, so a finished unit's connection is never cut.
    """

    def __init__(self, stopper: Stopper, timeout_s: float) -> None:
        self._stopper = stopper
        self._timeout_s = timeout_s
        self._cond = threading.Condition()
        self._conn: psycopg.Connection | None = None
        self._deadline = 0.0
        self._stop_seen_at: float | None = None
        self._thread: threading.Thread | None = None
        #: The deadline (seconds) that cut the last unit, None if none was cut for lateness.
        self.last_expiry: float | None = None

    @contextlib.contextmanager
    def guard(self, conn: psycopg.Connection) -> Iterator[None]:
        with self._cond:
            self._start_thread()
            self._conn, self._deadline, self.last_expiry = conn, time.monotonic() + self._timeout_s, None
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._conn = None

    def _start_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="db-watchdog", daemon=True)
            self._thread.start()

    def _watch(self) -> None:
        with self._cond:
            while True:
                if self._conn is None:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                if self._stopper.stopped and self._stop_seen_at is None:
                    self._stop_seen_at = now
                if self._stop_seen_at is not None and now >= self._stop_seen_at + STOP_GRACE_S:
                    log.warning("stop requested and the database call did not finish in %.0fs; abandoning it",
                                STOP_GRACE_S)  # fmt: skip
                    self._cut()
                elif now >= self._deadline:
                    self.last_expiry = self._timeout_s
                    self._cut()
                else:
                    self._cond.wait(WATCH_INTERVAL_S)

    def _cut(self) -> None:
        """Shut the socket down under psycopg's feet: its blocked read fails at once."""
        conn, self._conn = self._conn, None
        with contextlib.suppress(OSError, psycopg.Error):
            # A duplicate descriptor: shutdown acts on the shared socket, and
            # closing the duplicate leaves libpq's own descriptor to libpq.
            with socket.socket(fileno=os.dup(conn.fileno())) as sock:
                sock.shutdown(socket.SHUT_RDWR)
