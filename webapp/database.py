"""The page's only way into Postgres: a pool of read-only connections.

Two locks, so one slip cannot write: the session default
(``default_transaction_read_only``, set at connect) and every transaction
opened ``READ ONLY`` by psycopg (``Connection.read_only``). A statement
timeout bounds what one request can cost the database.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from psycopg_pool import ConnectionPool

from newsflow.migrations import search_path_option

STATEMENT_TIMEOUT_MS = 15_000


class ReadOnlyDatabase:
    def __init__(self, dsn: str, max_size: int = 8) -> None:
        options = (
            f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS} "
            + search_path_option()
        )
        self._pool = ConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            kwargs={"options": options, "application_name": "newsflow-serve"},
            configure=_read_only,
            open=False,
        )

    def open(self) -> None:
        self._pool.open(wait=True, timeout=30)

    def close(self) -> None:
        self._pool.close()

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A connection in a read-only transaction, ended (rolled back) on exit."""
        with self._pool.connection() as conn:
            try:
                yield conn
            finally:
                conn.rollback()  # nothing to keep: the transaction only read


def _read_only(conn: psycopg.Connection) -> None:
    conn.read_only = True
