"""Postgres statements per article of ``newsflow ingest`` alone (issue 9 #1 and #4).

    python benchmarks/bench_ingest_statements.py                      # 2 ingest workers (page queue)
    python benchmarks/bench_ingest_statements.py --ingest-workers 0   # one process + extraction pool

Runs ``newsflow ingest`` against a loopback site (``tests/integration/ingest_site.py``:
generated article pages, RSS feeds), the embedded broker and Postgres (or
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL). Every feed first serves one item (warm-up:
schema migrated, workers started), then every feed gains its share of the pages at
once; when every entry is marked seen, ingest is stopped (SIGTERM) and the
transactions committed in the database meanwhile (``pg_stat_database.xact_commit``;
ingest runs in autocommit, so one per statement) are divided by the pages. The
harness's own looks are subtracted. The idle rate (statements per second with
nothing to do: the pollers' and page loops' looks at the schedule and queue) is
measured before and printed, since part of the run is idle waiting too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devstack.embedded import create_database, kafka_service, postgres_service
from newsflow.migrations import with_search_path
from newsflow.settings import FeedConfig, FetchConfig, Settings, TopicsConfig
from tests.integration.ingest_site import Site, article_html, rss, serve, start_ingest


class Looks:
    """The harness's queries, over one connection, counted (each is a transaction to subtract)."""

    def __init__(self, dsn: str) -> None:
        self._conn = psycopg.connect(with_search_path(dsn), autocommit=True)
        self.count = 0

    def query(self, sql: str) -> int:
        self.count += 1
        try:
            return self._conn.execute(sql).fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0

    def commits(self) -> int:
        return self.query("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")

    def seen(self) -> int:
        return self.query("SELECT count(*) FROM ingest_entries")

    def wait_seen(self, n: int, proc, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.seen() < n:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"ingest stopped or too slow: {self.seen()} of {n} entries seen")
            time.sleep(0.2)

    def close(self) -> None:
        self._conn.close()


def publish(feeds: Site, pages: Site, nfeeds: int, per_feed: int) -> None:
    for f in range(nfeeds):
        for n in range(per_feed):
            pages.set(f"/news/{f}-{n}", article_html(f * 1000 + n, f"Feed {f} story {n}"))
        items = [(f"f{f}-{n}", f"{pages.base_url}/news/{f}-{n}", f"Feed {f} story {n}") for n in range(per_feed)]
        feeds.set(f"/feed{f}.xml", rss(items), "application/rss+xml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ingest-workers", type=int, default=2)
    parser.add_argument("--pages", type=int, default=400)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--per-host", type=int, default=8)
    args = parser.parse_args()
    per_feed = args.pages // args.feeds
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nf-stmts-")))
        broker = stack.enter_context(kafka_service(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), work / "broker.log"))
        pg = stack.enter_context(postgres_service(os.environ.get("DATABASE_URL"), work / "pg"))
        dsn = create_database(pg.address, f"nf_stmts_{uuid.uuid4().hex[:8]}")
        feeds = stack.enter_context(serve(Site()))
        pages = stack.enter_context(serve(Site(), host="127.0.0.2"))
        publish(feeds, pages, args.feeds, 1)
        tag = uuid.uuid4().hex[:8]
        settings = Settings(
            kafka_bootstrap_servers=broker.address, database_url=dsn,
            topics=TopicsConfig(raw=f"s{tag}.raw", enriched=f"s{tag}.enriched", dlq=f"s{tag}.dlq", partitions=6),
            fetch=FetchConfig(allow_private_addresses=True, per_host_concurrency=args.per_host,
                              concurrency=args.concurrency),
            feeds=[FeedConfig(url=f"{feeds.base_url}/feed{f}.xml", interval_s=1.0) for f in range(args.feeds)],
            ingest_workers=args.ingest_workers, extract_workers=2,
        )
        proc = start_ingest(settings, work)
        looks = Looks(dsn)
        stack.callback(looks.close)
        try:
            looks.wait_seen(args.feeds, proc, 120)
            time.sleep(2.0)  # backends report their counts within a second or so
            idle_start, idle_looks, idle_t = looks.commits(), looks.count, time.monotonic()
            time.sleep(5.0)
            idle_rate = (looks.commits() - idle_start - (looks.count - idle_looks)) / (time.monotonic() - idle_t)
            before, looks_before = looks.commits(), looks.count
            start = time.monotonic()
            publish(feeds, pages, args.feeds, per_feed + 1)
            looks.wait_seen(args.feeds * (per_feed + 1), proc, 600)
            wall = time.monotonic() - start
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(90)
        time.sleep(1.0)
        commits = looks.commits() - before - (looks.count - looks_before)
    n = args.feeds * per_feed
    mode = f"{args.ingest_workers} ingest workers (page queue)" if args.ingest_workers else "one process + pool"
    print(f"ingest: {mode}; {n} pages in {args.feeds} feeds, {wall:.1f} s; exit code {code}")
    print(f"idle: {idle_rate:.1f} statements/s (looks at the schedule and the page queue)")
    print(f"Postgres statements per article: {commits / n:.2f} ({commits} in all, shutdown included); "
          f"without the idle rate over the run: {(commits - idle_rate * wall) / n:.2f}")


if __name__ == "__main__":
    main()
