"""``newsflow ingest`` with ingest workers (issue 9 #1): each worker polls, fetches, extracts and
publishes its own pages; the per-host cap holds across them; a killed worker is replaced."""

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

pytestmark = pytest.mark.integration

FEEDS = 4
STORIES = 6
PER_HOST = 2


def _publish(feeds: Site, pages: Site, stories: int) -> None:
    for feed in range(FEEDS):
        for n in range(stories):
            pages.set(f"/news/{feed}-{n}", article_html(feed * 100 + n, f"Feed {feed} story {n}"))
        items = [(f"f{feed}-s{n}", f"{pages.base_url}/news/{feed}-{n}", f"Feed {feed} story {n}") for n in range(stories)]
        feeds.set(f"/feed{feed}.xml", rss(items), "application/rss+xml")


def _children(pid: int) -> set[int]:
    """The worker processes of ``pid`` (not multiprocessing's resource tracker)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid and stat[0] not in ("Z", "X") and _is_worker(int(entry)):
                found.add(int(entry))
    return found


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _state(dsn: str) -> tuple[int, set[int]]:
    """Entries seen, and the pids holding feed leases right now."""
    try:
        with psycopg.connect(dsn) as conn:
            seen = conn.execute("SELECT count(*) FROM ingest_entries").fetchone()[0]
            owners = conn.execute("SELECT lease_owner FROM ingest_feeds WHERE lease_owner IS NOT NULL").fetchall()
    except psycopg.errors.UndefinedTable:
        return 0, set()
    return seen, {int(owner.split("/")[1]) for (owner,) in owners}


def _wait_for(dsn: str, entries: int, proc, owners: set[int], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        seen, holding = _state(dsn)
        owners |= holding
        if seen >= entries:
            return
        assert proc.poll() is None, "ingest exited early"
        assert time.monotonic() < deadline, f"only {seen} of {entries} entries seen"
        time.sleep(0.05)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_workers_share_the_feeds_and_the_per_host_cap(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve(Site()) as feeds, serve(Site(page_delay_s=0.3), host="127.0.0.2") as pages:
        _publish(feeds, pages, STORIES)
        settings = make_settings(
            feeds=[FeedConfig(url=f"{feeds.base_url}/feed{n}.xml", interval_s=2.0) for n in range(FEEDS)],
            # 2 feeds at once per worker: the 4 feeds are spread over both workers
            fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, per_host_concurrency=PER_HOST,
                              concurrency=2),
            ingest_workers=2,
            ingest_lease_s=4.0,
        )
        dsn = settings.database_dsn()
        proc = start_ingest(settings, tmp_path)
        owners: set[int] = set()
        try:
            _wait_for(dsn, FEEDS * STORIES // 2, proc, owners)
            workers = _children(proc.pid)
            assert len(workers) == 2, workers
            # A worker killed mid-run is replaced; its host slots and feeds come back.
            victim = min(workers)
            before_kill = pages.max_in_flight
            os.kill(victim, signal.SIGKILL)
            # The site still answers the dead worker's requests for a moment after its slots are
            # given back: count the cap again from when those are over.
            time.sleep(1.0)
            with pages._lock:
                pages.max_in_flight = pages.in_flight
            _wait_for(dsn, FEEDS * STORIES, proc, owners)
            _publish(feeds, pages, STORIES + 2)
            _wait_for(dsn, FEEDS * (STORIES + 2), proc, owners)
            replaced = _children(proc.pid)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, (tmp_path / "ingest.log").read_text()[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        log = (tmp_path / "ingest.log").read_text()

        assert len(replaced) == 2 and victim not in replaced, (workers, replaced)
        assert f"(pid {victim}) exited with code -9" in log
        # The feeds were polled by the worker processes, both of them, never by the supervisor.
        assert proc.pid not in owners and len(owners & workers) == 2, (owners, workers)
        # The per-host cap held across the workers: each alone would allow PER_HOST more.
        assert before_kill == PER_HOST and pages.max_in_flight == PER_HOST, (before_kill, pages.max_in_flight)
        # Everything published; duplicates only from the killed worker's entries in hand.
        counts = collections.Counter(a.entry_id for a in read_articles(settings))
        assert set(counts) == {f"f{f}-s{n}" for f in range(FEEDS) for n in range(STORIES + 2)}
        assert sum(n - 1 for n in counts.values()) <= 2 * settings.fetch.concurrency + 1, counts
        # The workers stopped with the supervisor.
        assert not [pid for pid in replaced if _alive(pid)]
