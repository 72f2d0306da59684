"""SIGKILL ``newsflow ingest`` mid-run, restart it: no article is lost (duplicates allowed)."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from ingest.service import run_ingest
from newsflow.lifecycle import Stopper
from newsflow.settings import FeedConfig, FetchConfig, Settings

from .ingest_site import Site, article_html, read_articles, rss, serve, start_ingest

pytestmark = pytest.mark.integration

STORIES = 30


def _seen(settings: Settings) -> int:
    try:
        with psycopg.connect(settings.database_dsn()) as conn:
            return conn.execute("SELECT count(*) FROM ingest_entries").fetchone()[0]
    except psycopg.errors.UndefinedTable:
        return 0


def _wait_for_seen(settings: Settings, at_least: int, proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _seen(settings) < at_least:
        assert proc.poll() is None, "ingest exited early"
        assert time.monotonic() < deadline, f"ingest never marked {at_least} entries seen"
        time.sleep(0.05)


def _slow_site(site: Site) -> list[str]:
    site.page_delay_s = 0.1
    for n in range(STORIES):
        site.set(f"/news/{n}", article_html(n, f"Story {n}"))
    site.set("/feed.xml", rss([(f"story-{n}", f"{site.base_url}/news/{n}", f"Story {n}") for n in range(STORIES)]))
    return [f"story-{n}" for n in range(STORIES)]


def _settings(make_settings: Callable[..., Settings], site: Site) -> Settings:
    return make_settings(
        feeds=[FeedConfig(url=f"{site.base_url}/feed.xml")],
        fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, per_host_concurrency=2),
        extract_workers=1,
        # The restart after the SIGKILL waits for the dead process's lease on the feed.
        ingest_lease_s=4.0,
    )


def test_sigkill_mid_run_loses_nothing(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve(Site()) as site:
        expected = _slow_site(site)
        settings = _settings(make_settings, site)
        proc = start_ingest(settings, tmp_path)
        try:
            _wait_for_seen(settings, 5, proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert _seen(settings) < STORIES, "the kill came too late to test anything"

        report = run_ingest(settings, Stopper(), once=True)

        assert report.feeds_polled == 1 and report.feed_errors == 0
        assert _seen(settings) == STORIES
        on_topic = [a.entry_id for a in read_articles(settings)]
        assert set(on_topic) == set(expected)
        # Duplicates are only what was in flight at the kill, not the whole feed again.
        assert len(on_topic) - STORIES <= 2 * settings.fetch.concurrency


def test_sigterm_finishes_in_hand_work_and_exits_0(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve(Site()) as site:
        expected = _slow_site(site)
        settings = _settings(make_settings, site)
        proc = start_ingest(settings, tmp_path)
        _wait_for_seen(settings, 3, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, (tmp_path / "ingest.log").read_text()[-3000:]
        published = {a.entry_id for a in read_articles(settings)}
        seen = _seen(settings)
        # What was marked seen was published; nothing is lost once a run completes.
        assert seen <= len(published)
        run_ingest(settings, Stopper(), once=True)
        assert {a.entry_id for a in read_articles(settings)} == set(expected)
