"""The feed table as an operator sees it: list, add, remove (``newsflow feeds``).

Feeds come from two places. The config file's ``feeds:`` are synced into
``ingest_feeds`` on every ingest start (``source = 'config'``), and the file
stays the truth for them: a feed removed from the file goes inactive at the
next start. ``newsflow feeds add`` writes a row with ``source = 'cli'``,
which pollers pick up without a restart, and ``remove`` deactivates it. A
feed in both places is a config feed.

A command-line feed's URL is stored, and fetched, as given, so URLs with
credentials (user:password@, ``?token=``) are refused: the database keeps
only redacted URLs, credentials belong in the config file.

These are short synchronous statements for the command line; the pollers
use :class:`ingest.state.FeedStore`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import class_row

from ingest.identity import feed_key
from newsflow.redact import redact_url


class FeedAdminError(Exception):
    """The command cannot do what was asked; the message says why and what to do instead."""


@dataclass(frozen=True)
class FeedRow:
    feed_key: str
    url: str
    name: str | None
    interval_s: float
    active: bool
    source: str
    consecutive_errors: int
    last_error: str | None
    last_error_at: datetime | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_check_at: datetime


_SELECT = (
    "SELECT feed_key, url, name, interval_s, active, source, consecutive_errors, last_error,"
    " last_error_at, last_polled_at, last_success_at, next_check_at FROM ingest_feeds"
)


def feed_rows(conn: psycopg.Connection) -> list[FeedRow]:
    with conn.cursor(row_factory=class_row(FeedRow)) as cursor:
        cursor.execute(_SELECT + " ORDER BY url")
        return cursor.fetchall()


def find_feed(conn: psycopg.Connection, url: str) -> FeedRow | None:
    with conn.cursor(row_factory=class_row(FeedRow)) as cursor:
        cursor.execute(_SELECT + " WHERE feed_key = %s", (feed_key(url),))
        return cursor.fetchone()


def add_feed(conn: psycopg.Connection, url: str, name: str | None, interval_s: float) -> str:
    """Add (or update, or re-activate) a command-line feed; returns what was done.

    A re-added feed keeps its seen entries, so it does not publish them again.
    """
    if redact_url(url) != url:
        raise FeedAdminError(
            "the URL carries credentials; the database keeps only redacted URLs, "
            "so put this feed in the config file's `feeds:` instead"
        )
    existing = find_feed(conn, url)
    if existing is not None and existing.source == "config" and existing.active:
        raise FeedAdminError("this feed is in the config file already; change it there")
    conn.execute(
        "INSERT INTO ingest_feeds (feed_key, url, name, interval_s, source) VALUES (%s, %s, %s, %s, 'cli')"
        " ON CONFLICT (feed_key) DO UPDATE SET url = EXCLUDED.url, name = EXCLUDED.name,"
        " interval_s = EXCLUDED.interval_s, active = true, source = 'cli'",
        (feed_key(url), url, name, interval_s),
    )
    if existing is None:
        return "added"
    return "updated" if existing.active else "re-activated"


def remove_feed(conn: psycopg.Connection, url: str, purge: bool) -> str:
    """Deactivate a command-line feed (``purge``: delete it with its seen entries); returns what was done."""
    existing = find_feed(conn, url)
    if existing is None:
        raise FeedAdminError("no such feed (see `newsflow feeds list --all`)")
    if existing.source == "config" and existing.active:
        raise FeedAdminError(
            "this feed comes from the config file: remove it from the file's `feeds:`; "
            "the next ingest start deactivates it"
        )
    if purge:
        # Seen entries and page retries go with it (ON DELETE CASCADE).
        conn.execute("DELETE FROM ingest_feeds WHERE feed_key = %s", (existing.feed_key,))
        return "deleted, with its seen entries"
    conn.execute("UPDATE ingest_feeds SET active = false WHERE feed_key = %s", (existing.feed_key,))
    return "removed (its seen entries are kept: adding it again publishes nothing twice)"
