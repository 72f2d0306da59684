"""Pages handed out to any ingest worker through Postgres (issue 9 #1): the pages of one feed are
fetched by both workers, and a SIGKILLed worker's page jobs are taken over after their lease."""

from __future__ import annotations

import collections
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from newsflow.settings import FeedConfig, FetchConfig, Settings

from .ingest_site import Site, article_html, read_articles, rss, serve, start_ingest
from .test_ingest_workers import _children

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")]

LEASE_S = 3.0


def _one_feed(feeds: Site, pages: Site, stories: int) -> None:
    for n in range(stories):
        pages.set(f"/news/{n}", article_html(n, f"Story {n}"))
    feeds.set("/feed.xml", rss([(f"s{n}", f"{pages.base_url}/news/{n}", f"Story {n}") for n in range(stories)]),
              "application/rss+xml")


def _settings(make_settings: Callable[..., Settings], feeds: Site) -> Settings:
    return make_settings(
        feeds=[FeedConfig(url=f"{feeds.base_url}/feed.xml", interval_s=600.0)],
        # 4 pages at a time at the host: both workers (2 pages each) can fetch at once.
        fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, per_host_concurrency=4, concurrency=2),
        ingest_workers=2,
        ingest_lease_s=LEASE_S,
    )


def _jobs(dsn: str) -> list[tuple[str, str, float, float]]:
    """Page jobs now: (entry id, lease owner or '', lease expiry and now as epochs on the database's clock)."""
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute(
                "SELECT entry_id, coalesce(lease_owner, ''), coalesce(extract(epoch FROM lease_expires_at), 0)::float8,"
                " extract(epoch FROM now())::float8 FROM ingest_page_jobs"
            ).fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def _seen(dsn: str) -> int:
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute("SELECT count(*) FROM ingest_entries").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def _rows(dsn: str, query: str) -> list[tuple]:
    try:
        with psycopg.connect(dsn) as conn:
            return conn.execute(query).fetchall()
    except psycopg.errors.UndefinedTable:
        return []


def _pid(owner: str) -> int:
    return int(owner.split("/")[1])


def _stop(proc, tmp_path: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, (tmp_path / "ingest.log").read_text()[-3000:]


def test_both_workers_fetch_the_pages_of_one_feed(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    stories = 16
    with serve(Site()) as feeds, serve(Site(page_delay_s=0.4), host="127.0.0.2") as pages:
        _one_feed(feeds, pages, stories)
        settings = _settings(make_settings, feeds)
        dsn = settings.database_dsn()
        proc = start_ingest(settings, tmp_path)
        holders: dict[str, set[int]] = collections.defaultdict(set)  # entry id -> pids that held its job
        try:
            deadline = time.monotonic() + 60
            while _seen(dsn) < stories:
                for entry_id, owner, _, _ in _jobs(dsn):
                    if owner:
                        holders[entry_id].add(_pid(owner))
                assert proc.poll() is None, "ingest exited early"
                assert time.monotonic() < deadline, f"only {_seen(dsn)} of {stories} entries seen"
                time.sleep(0.05)
            workers = _children(proc.pid)
            _stop(proc, tmp_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    # One feed, polled by one worker; its pages were fetched by both (each page by one).
    by_worker = collections.Counter(pid for pids in holders.values() for pid in pids)
    assert set(by_worker) == workers and len(workers) == 2, (by_worker, workers)
    assert min(by_worker.values()) >= 3, by_worker
    assert all(len(pids) == 1 for pids in holders.values()), holders
    assert pages.max_in_flight > 2, "the two workers never fetched at the same time"
    counts = collections.Counter(a.entry_id for a in read_articles(settings, expect=stories))
    assert counts == {f"s{n}": 1 for n in range(stories)}
    assert _jobs(dsn) == []


def test_a_killed_workers_page_jobs_are_taken_after_its_lease(make_settings: Callable[..., Settings],
                                                              tmp_path: Path) -> None:
    stories = 16
    with serve(Site()) as feeds, serve(Site(page_delay_s=0.5), host="127.0.0.2") as pages:
        _one_feed(feeds, pages, stories)
        settings = _settings(make_settings, feeds)
        dsn = settings.database_dsn()
        proc = start_ingest(settings, tmp_path)
        try:
            deadline = time.monotonic() + 60
            victim, held = None, {}
            while victim is None:
                owners = collections.Counter(_pid(owner) for _, owner, _, _ in _jobs(dsn) if owner)
                if owners:
                    victim = owners.most_common(1)[0][0]
                    os.kill(victim, signal.SIGKILL)
                assert time.monotonic() < deadline, "no worker ever held a page job"
                time.sleep(0.02)
            time.sleep(0.1)  # the kernel reaped it: its rows are what it held when it died
            held = {e: expires for e, owner, expires, _ in _jobs(dsn) if owner and _pid(owner) == victim}
            assert held, "the killed worker held no page jobs"
            taken_at: dict[str, tuple[float, float]] = {}  # entry id -> (database time seen taken, its old expiry)
            while _seen(dsn) < stories:
                for entry_id, owner, _, now in _jobs(dsn):
                    if entry_id in held and owner and _pid(owner) != victim and entry_id not in taken_at:
                        taken_at[entry_id] = (now, held[entry_id])
                assert proc.poll() is None, "ingest exited early"
                assert time.monotonic() < deadline, f"only {_seen(dsn)} of {stories} entries seen"
                time.sleep(0.02)
            _stop(proc, tmp_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    # The dead worker's jobs went to another worker, never before their lease had run out.
    assert taken_at, (held, "none of the dead worker's jobs was seen taken over")
    assert all(now >= expiry for now, expiry in taken_at.values()), taken_at
    assert _jobs(dsn) == []
    counts = collections.Counter(a.entry_id for a in read_articles(settings))
    assert set(counts) == {f"s{n}" for n in range(stories)}
    duplicated = {entry for entry, n in counts.items() if n > 1}
    assert duplicated <= set(held), (duplicated, held)


def test_page_job_failures_go_out_feed_only_and_transient_ones_are_retried(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """A page job that fails transiently joins the feed's page retries (one retry mechanism); a 404 does not."""
    with serve(Site()) as site:
        _one_feed(site, site, 3)
        site.down_until["/news/0"] = float("inf")  # 503 until the test says otherwise
        site.routes.pop("/news/1")  # 404: permanent
        settings = make_settings(
            feeds=[FeedConfig(url=f"{site.base_url}/feed.xml", interval_s=1.0)],
            fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, page_retry_base_s=0.5,
                              page_retry_cap_s=1.0),
            ingest_workers=1,
            ingest_lease_s=LEASE_S,
        )
        dsn = settings.database_dsn()
        proc = start_ingest(settings, tmp_path)
        try:
            deadline = time.monotonic() + 60
            while _seen(dsn) < 3 or _rows(dsn, "SELECT entry_id FROM ingest_page_retries") != [("s0",)]:
                assert proc.poll() is None and time.monotonic() < deadline, _rows(dsn, "SELECT * FROM ingest_page_retries")
                time.sleep(0.1)
            assert _jobs(dsn) == []
            site.down_until["/news/0"] = 0.0
            while _rows(dsn, "SELECT entry_id FROM ingest_page_retries"):
                assert proc.poll() is None and time.monotonic() < deadline, "the page was never fetched again"
                time.sleep(0.1)
            _stop(proc, tmp_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)

    versions = collections.defaultdict(list)
    for article in read_articles(settings, expect=4):
        versions[article.entry_id].append(article.extraction)
    assert versions == {"s0": ["feed_only", "page"], "s1": ["feed_only"], "s2": ["page"]}, versions
