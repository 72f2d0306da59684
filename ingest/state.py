"""Per-feed state and seen entries, in Postgres.

Like miniflux, the schedule lives in the database: each feed row carries its
validators (ETag, Last-Modified), when it is next due and how many times in a
row it failed. ``ingest_entries`` remembers every entry whose article was
acknowledged by Kafka, so a restart neither re-publishes old entries nor drops
new ones. All SQL is parameterised; nothing is built with string formatting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from ingest.identity import feed_key
from newsflow.migrations import Component, LegacyLayout, Migration, with_search_path
from newsflow.migrations import migrate as run_migrations
from newsflow.redact import redact_url

from newsflow.settings import FeedConfig

COMPONENT = "ingest"

_V1_TABLES = (
    """
    CREATE TABLE IF NOT EXISTS ingest_feeds (
        url                text PRIMARY KEY,
        name               text,
        interval_s         double precision NOT NULL,
        active             boolean NOT NULL DEFAULT true,
        etag               text,
        last_modified      text,
        next_check_at      timestamptz NOT NULL DEFAULT now(),
        consecutive_errors integer NOT NULL DEFAULT 0,
        last_error         text,
        last_error_at      timestamptz,
        last_polled_at     timestamptz,
        last_success_at    timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now()
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ingest_entries (
        feed_url     text NOT NULL REFERENCES ingest_feeds (url) ON DELETE CASCADE,
        entry_id     text NOT NULL,
        article_id   text NOT NULL,
        topic        text NOT NULL,
        "partition"  integer NOT NULL,
        "offset"     bigint NOT NULL,
        seen_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (feed_url, entry_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ingest_entries_article_id ON ingest_entries (article_id)",
    "CREATE INDEX IF NOT EXISTS ingest_feeds_due ON ingest_feeds (next_check_at) WHERE active",
)


def _key_and_redact_feeds(conn: psycopg.Connection) -> None:
    """Migration 2's data step: raw URLs become keys (entries follow) and redacted URLs."""
    for (url,) in conn.execute("SELECT url FROM ingest_feeds").fetchall():
        key = feed_key(url)
        conn.execute(
            "UPDATE ingest_feeds SET feed_key = %s, url = %s WHERE url = %s AND feed_key IS NULL",
            (key, redact_url(url), url),
        )
        conn.execute("UPDATE ingest_entries SET feed_key = %s WHERE feed_key = %s", (key, url))


# Issue 8: feeds keyed by a hash of their URL, which may hold credentials
# (the rows keep only the redacted URL); feed warnings; pages to fetch again.
_V2_FEED_KEYS = (
    "ALTER TABLE ingest_entries DROP CONSTRAINT IF EXISTS ingest_entries_feed_url_fkey",
    "ALTER TABLE ingest_feeds DROP CONSTRAINT IF EXISTS ingest_feeds_pkey",
    "ALTER TABLE ingest_feeds ADD COLUMN feed_key text",
    "ALTER TABLE ingest_entries RENAME COLUMN feed_url TO feed_key",
    "ALTER TABLE ingest_feeds ADD COLUMN last_warning text, ADD COLUMN last_warning_at timestamptz",
    _key_and_redact_feeds,
)
_V3_PAGE_RETRIES = (
    "ALTER TABLE ingest_feeds ALTER COLUMN feed_key SET NOT NULL, ADD PRIMARY KEY (feed_key)",
    "ALTER TABLE ingest_entries ADD FOREIGN KEY (feed_key) REFERENCES ingest_feeds (feed_key) ON DELETE CASCADE",
    "CREATE INDEX IF NOT EXISTS ingest_entries_seen_at ON ingest_entries (feed_key, seen_at)",
    """
    CREATE TABLE IF NOT EXISTS ingest_page_retries (
        feed_key         text NOT NULL REFERENCES ingest_feeds (feed_key) ON DELETE CASCADE,
        entry_id         text NOT NULL,
        entry            jsonb NOT NULL,
        attempts         integer NOT NULL DEFAULT 0,
        first_failed_at  timestamptz NOT NULL,
        next_attempt_at  timestamptz NOT NULL,
        last_error       text,
        PRIMARY KEY (feed_key, entry_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ingest_page_retries_due ON ingest_page_retries (feed_key, next_attempt_at)",
)
# Issue 9: many pollers on one database. A feed being polled is leased to
# one poller (owner, expiry on the database's clock) until it finishes or
# its lease runs out.
_V4_LEASES = (
    "ALTER TABLE ingest_feeds ADD COLUMN IF NOT EXISTS lease_owner text,"
    " ADD COLUMN IF NOT EXISTS lease_expires_at timestamptz",
)

# Feeds added with `newsflow feeds add` live only in the database; the config
# file's feeds are re-synced on every start (ingest/feedadmin.py).
_V5_FEED_SOURCE = (
    "ALTER TABLE ingest_feeds ADD COLUMN source text NOT NULL DEFAULT 'config'"
    " CHECK (source IN ('config', 'cli'))",
)

# Issue 9 #1: the pages of a poll are handed out one by one to any worker
# (ingest/pagejobs.py): one job per new entry, leased like the feeds.
_V6_PAGE_JOBS = (
    """
    CREATE TABLE IF NOT EXISTS ingest_page_jobs (
        feed_key          text NOT NULL REFERENCES ingest_feeds (feed_key) ON DELETE CASCADE,
        entry_id          text NOT NULL,
        article_id        text NOT NULL,
        entry             jsonb NOT NULL,
        claims            integer NOT NULL DEFAULT 0,
        next_attempt_at   timestamptz NOT NULL DEFAULT now(),
        lease_owner       text,
        lease_expires_at  timestamptz,
        created_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (feed_key, entry_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS ingest_page_jobs_due ON ingest_page_jobs (next_attempt_at)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "feeds and seen entries", _V1_TABLES),
    Migration(2, "feeds keyed by a hash of their URL; warnings", _V2_FEED_KEYS),
    Migration(3, "page retries", _V3_PAGE_RETRIES),
    Migration(4, "feed leases for many pollers", _V4_LEASES),
    Migration(5, "where a feed was added: config file or command line", _V5_FEED_SOURCE),
    Migration(6, "page jobs handed out to any ingest worker", _V6_PAGE_JOBS),
)
SCHEMA_VERSION = max(m.version for m in MIGRATIONS)
# Before the newsflow schema: all in public, ledger ``ingest_schema_migrations`` (versions only).
COMPONENT_SCHEMA = Component(
    COMPONENT, MIGRATIONS,
    LegacyLayout(
        ledger="ingest_schema_migrations", named_ledger=False,
        tables=("ingest_feeds", "ingest_entries", "ingest_page_retries"),
    ),
)


def migrate_sync(dsn: str) -> list[int]:
    """Create or upgrade the ingest tables (the core runner, on a connection of its own)."""
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        return run_migrations(conn, COMPONENT_SCHEMA)

_FEED_COLUMN_NAMES = (
    "feed_key", "url", "name", "interval_s", "etag", "last_modified", "next_check_at", "consecutive_errors",
    "last_error", "source",
)
_FEED_COLUMNS = sql.SQL(", ").join(sql.Identifier(name) for name in _FEED_COLUMN_NAMES)
# The same columns of the row an ``UPDATE ingest_feeds AS f`` changed.
_FEED_COLUMNS_OF_F = sql.SQL(", ").join(sql.Identifier("f", name) for name in _FEED_COLUMN_NAMES)


def _select_feeds(where: str) -> sql.Composed:
    """``SELECT <FeedState columns> FROM ingest_feeds <where>`` (``where`` is a constant)."""
    return sql.SQL("SELECT {} FROM ingest_feeds ").format(_FEED_COLUMNS) + sql.SQL(where)


async def _connect(dsn: str) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(with_search_path(dsn), autocommit=True, connect_timeout=10)


@dataclass(frozen=True)
class FeedState:
    """A feed's row. ``url`` is redacted (for display); the fetch URL comes from the config."""

    feed_key: str
    url: str
    name: str | None
    interval_s: float
    etag: str | None
    last_modified: str | None
    next_check_at: datetime
    consecutive_errors: int
    last_error: str | None
    source: str = "config"


@dataclass(frozen=True)
class Acknowledged:
    """Where Kafka stored a published article."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class PageRetry:
    """A page that failed transiently; ``entry`` is the feed entry (JSON) to rebuild its article."""

    feed_key: str
    entry_id: str
    entry: dict
    attempts: int
    first_failed_at: datetime
    next_attempt_at: datetime
    last_error: str | None


@dataclass(frozen=True)
class SeenEntry:
    feed_key: str
    entry_id: str
    article_id: str
    ack: Acknowledged


def poller_id() -> str:
    """This process's name as a lease owner: host and pid say who (for people), the suffix makes it unique."""
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class FeedStore:
    """The ingest tables, over one autocommit connection (psycopg serialises its use).

    ``owner`` names this poller in the feeds it leases.
    """

    def __init__(self, conn: psycopg.AsyncConnection, dsn: str, owner: str | None = None) -> None:
        self._conn = conn
        self._dsn = dsn
        self.owner = owner or poller_id()

    @classmethod
    async def connect(cls, dsn: str) -> FeedStore:
        return cls(await _connect(dsn), dsn)

    async def reconnect(self) -> None:
        """Replace a broken connection (Postgres restarted, network blip)."""
        with contextlib.suppress(psycopg.Error):
            await self._conn.close()
        self._conn = await _connect(self._dsn)

    async def close(self) -> None:
        await self._conn.close()

    async def migrate(self) -> list[int]:
        """Create or upgrade the ingest tables; the versions applied.

        The runner is synchronous (the sink's too): it runs in a thread, on a
        connection of its own, so the event loop keeps serving meanwhile.
        """
        return await asyncio.to_thread(migrate_sync, self._dsn)

    async def sync_feeds(self, feeds: Sequence[FeedConfig]) -> None:
        """Make the configured feeds active, and inactive the config feeds no longer listed.

        Feeds added on the command line (``source = 'cli'``) are left alone; a
        feed listed in the file as well becomes a config feed. The state of
        known feeds is kept.
        """
        async with self._conn.transaction():
            async with self._conn.cursor() as cursor:
                await cursor.executemany(
                    "INSERT INTO ingest_feeds (feed_key, url, name, interval_s) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (feed_key) DO UPDATE SET url = EXCLUDED.url, name = EXCLUDED.name,"
                    " interval_s = EXCLUDED.interval_s, active = true, source = 'config'",
                    [(feed_key(f.url), redact_url(f.url), f.name, f.interval_s) for f in feeds],
                )
            await self._conn.execute(
                "UPDATE ingest_feeds SET active = false WHERE source = 'config' AND NOT (feed_key = ANY(%s))",
                ([feed_key(f.url) for f in feeds],),
            )

    async def claim_due(self, limit: int, lease_s: float, busy: Iterable[str] = ()) -> list[FeedState]:
        """Lease up to ``limit`` active feeds that are due, oldest first (see :meth:`_claim`)."""
        return await self._claim(sql.SQL("active AND next_check_at <= now()"), None, limit, lease_s, busy)

    async def claim_any(self, among: Iterable[str], limit: int, lease_s: float, busy: Iterable[str] = ()) -> list[FeedState]:
        """Lease up to ``limit`` of the feeds ``among``, due or not (``--once``)."""
        return await self._claim(sql.SQL("feed_key = ANY(%(among)s)"), list(among), limit, lease_s, busy)

    async def _claim(
        self, which: sql.Composable, among: list[str] | None, limit: int, lease_s: float, busy: Iterable[str]
    ) -> list[FeedState]:
        """Lease feeds to this poller: one statement, so atomic without a transaction.

        ``FOR UPDATE SKIP LOCKED`` lets pollers claiming at the same instant
        pass each other instead of queueing, and Postgres re-checks the lease
        condition on a row another claim just committed, so no feed is leased
        twice. Feeds leased by a live poller are skipped; our own stale leases
        (a poll whose release failed with the connection) are taken back.
        Claiming moves the next check one interval ahead: a poll that dies with
        its poller still counts, so the feed is not requested again sooner.
        Every time is the database's clock, the one clock all pollers share.
        """
        if limit <= 0:
            return []
        query = sql.SQL(
            "UPDATE ingest_feeds AS f SET lease_owner = %(owner)s,"
            " lease_expires_at = now() + make_interval(secs => %(lease_s)s),"
            " next_check_at = now() + make_interval(secs => f.interval_s)"
            " FROM (SELECT feed_key FROM ingest_feeds WHERE {which}"
            " AND (lease_owner IS NULL OR lease_owner = %(owner)s OR lease_expires_at <= now())"
            " AND NOT (feed_key = ANY(%(busy)s))"
            " ORDER BY next_check_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS claimed"
            " WHERE f.feed_key = claimed.feed_key RETURNING {columns}"
        ).format(which=which, columns=_FEED_COLUMNS_OF_F)
        params = {"owner": self.owner, "lease_s": lease_s, "among": among, "busy": list(busy), "limit": limit}
        async with self._conn.cursor(row_factory=class_row(FeedState)) as cursor:
            await cursor.execute(query, params)
            return await cursor.fetchall()

    async def renew(self, keys: Iterable[str], lease_s: float) -> set[str]:
        """Extend this poller's leases on ``keys``; returns the keys it still holds."""
        cursor = await self._conn.execute(
            "UPDATE ingest_feeds SET lease_expires_at = now() + make_interval(secs => %s)"
            " WHERE lease_owner = %s AND feed_key = ANY(%s) RETURNING feed_key",
            (lease_s, self.owner, list(keys)),
        )
        return {row[0] for row in await cursor.fetchall()}

    async def release(self, key: str) -> None:
        """Give up the lease on a feed (its poll is over); a lease held by another poller is left alone."""
        await self._conn.execute(
            "UPDATE ingest_feeds SET lease_owner = NULL, lease_expires_at = NULL"
            " WHERE feed_key = %s AND lease_owner = %s",
            (key, self.owner),
        )

    async def seconds_until_due(self, busy: Iterable[str] = ()) -> float | None:
        """Seconds until a feed can next be claimed (negative: overdue), on the database's clock."""
        cursor = await self._conn.execute(
            "SELECT extract(epoch FROM min(CASE WHEN lease_owner IS NULL OR lease_owner = %s THEN next_check_at"
            " ELSE greatest(next_check_at, lease_expires_at) END) - now())::float8"
            " FROM ingest_feeds WHERE active AND NOT (feed_key = ANY(%s))",
            (self.owner, list(busy)),
        )
        return (await cursor.fetchone())[0]

    async def active_feeds(self) -> list[FeedState]:
        return await self._feeds(_select_feeds("WHERE active ORDER BY url"), ())

    async def feed(self, key: str) -> FeedState | None:
        rows = await self._feeds(_select_feeds("WHERE feed_key = %s"), (key,))
        return rows[0] if rows else None

    async def unseen(self, key: str, entry_ids: Sequence[str]) -> set[str]:
        """The ids among ``entry_ids`` not yet published for this feed."""
        cursor = await self._conn.execute(
            "SELECT entry_id FROM ingest_entries WHERE feed_key = %s AND entry_id = ANY(%s)",
            (key, list(entry_ids)),
        )
        seen = {row[0] for row in await cursor.fetchall()}
        return set(entry_ids) - seen

    async def published(self, article_ids: Sequence[str]) -> dict[str, Acknowledged]:
        """Where each of ``article_ids`` was already published (from any feed)."""
        cursor = await self._conn.execute(
            'SELECT DISTINCT ON (article_id) article_id, topic, "partition", "offset"'
            " FROM ingest_entries WHERE article_id = ANY(%s) ORDER BY article_id, seen_at",
            (list(article_ids),),
        )
        return {row[0]: Acknowledged(row[1], row[2], row[3]) for row in await cursor.fetchall()}

    async def mark_seen(self, entries: Sequence[SeenEntry]) -> None:
        """Remember entries; call only once Kafka acknowledged their articles.

        One statement whatever the batch size (arrays unnested server-side):
        one round trip, and atomic without an explicit transaction.
        """
        await self._conn.execute(
            'INSERT INTO ingest_entries (feed_key, entry_id, article_id, topic, "partition", "offset")'
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::int[], %s::bigint[])"
            " ON CONFLICT (feed_key, entry_id) DO NOTHING",
            (
                [e.feed_key for e in entries],
                [e.entry_id for e in entries],
                [e.article_id for e in entries],
                [e.ack.topic for e in entries],
                [e.ack.partition for e in entries],
                [e.ack.offset for e in entries],
            ),
        )

    async def record_success(
        self, key: str, polled_at: datetime, next_check_in_s: float, etag: str | None, last_modified: str | None
    ) -> bool:
        """A poll whose entries are all published: store the new validators, clear errors.

        On a 304 the server may send fresh validators (RFC 9111 §4.3.4); absent
        ones keep the stored values. Only the lease holder writes: False means
        the lease was lost (another poller owns the feed now) and nothing was
        stored.
        """
        cursor = await self._conn.execute(
            "UPDATE ingest_feeds SET etag = coalesce(%s, etag), last_modified = coalesce(%s, last_modified),"
            " last_polled_at = %s, last_success_at = %s, next_check_at = now() + make_interval(secs => %s),"
            " consecutive_errors = 0, last_error = NULL WHERE feed_key = %s AND lease_owner = %s",
            (etag, last_modified, polled_at, polled_at, next_check_in_s, key, self.owner),
        )
        return cursor.rowcount == 1

    async def record_error(
        self, key: str, polled_at: datetime, next_check_in_s: float, errors: int, message: str
    ) -> bool:
        """A failed poll: count it and set the retry time. False (nothing stored) when the lease was lost."""
        cursor = await self._conn.execute(
            "UPDATE ingest_feeds SET consecutive_errors = %s, last_error = %s, last_error_at = %s,"
            " last_polled_at = %s, next_check_at = now() + make_interval(secs => %s)"
            " WHERE feed_key = %s AND lease_owner = %s",
            (errors, message[:1000], polled_at, polled_at, next_check_in_s, key, self.owner),
        )
        return cursor.rowcount == 1

    async def record_warning(self, key: str, message: str) -> None:
        """Something in the feed was repaired (e.g. a bad character reference); its entries went on."""
        await self._conn.execute(
            "UPDATE ingest_feeds SET last_warning = %s, last_warning_at = now() WHERE feed_key = %s",
            (message[:1000], key),
        )

    async def prune_entries(self, key: str, in_feed: Sequence[str], keep_days: float) -> int:
        """Forget entries gone from the feed and seen over ``keep_days`` ago (issue 8 #10).

        Conditional polling needs only the entries the feed still lists (else
        they would be published again); the recent others cover a feed that
        briefly drops and re-lists an item. Under churning GUIDs the table
        then stays the size of a few days of polls instead of growing for ever.
        """
        cursor = await self._conn.execute(
            "DELETE FROM ingest_entries WHERE feed_key = %s AND seen_at < now() - make_interval(secs => %s)"
            " AND NOT (entry_id = ANY(%s))",
            (key, keep_days * 86400.0, list(in_feed)),
        )
        return cursor.rowcount

    async def add_page_retry(self, retry: PageRetry) -> None:
        """Remember a page that failed transiently, to fetch again on later polls."""
        await self._conn.execute(
            "INSERT INTO ingest_page_retries (feed_key, entry_id, entry, attempts, first_failed_at,"
            " next_attempt_at, last_error) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (feed_key, entry_id) DO UPDATE SET entry = EXCLUDED.entry,"
            " attempts = EXCLUDED.attempts, next_attempt_at = EXCLUDED.next_attempt_at,"
            " last_error = EXCLUDED.last_error",
            (retry.feed_key, retry.entry_id, Jsonb(retry.entry), retry.attempts, retry.first_failed_at,
             retry.next_attempt_at, (retry.last_error or "")[:1000]),
        )

    async def due_page_retries(self, key: str, now: datetime, limit: int) -> list[PageRetry]:
        async with self._conn.cursor(row_factory=class_row(PageRetry)) as cursor:
            await cursor.execute(
                "SELECT feed_key, entry_id, entry, attempts, first_failed_at, next_attempt_at, last_error"
                " FROM ingest_page_retries WHERE feed_key = %s AND next_attempt_at <= %s"
                " ORDER BY next_attempt_at LIMIT %s",
                (key, now, limit),
            )
            return await cursor.fetchall()

    async def drop_page_retry(self, key: str, entry_id: str) -> None:
        await self._conn.execute(
            "DELETE FROM ingest_page_retries WHERE feed_key = %s AND entry_id = %s", (key, entry_id)
        )

    async def _feeds(self, query: sql.Composable, params: tuple) -> list[FeedState]:
        async with self._conn.cursor(row_factory=class_row(FeedState)) as cursor:
            await cursor.execute(query, params)
            return await cursor.fetchall()
