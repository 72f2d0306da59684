"""ingest end to end against a real broker and a real Postgres, feeds served on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from ingest.identity import canonical_url
from ingest.service import run_ingest
from newsflow.lifecycle import Stopper
from newsflow.models import article_id
from newsflow.settings import FeedConfig, Settings

from .ingest_site import Site, article_html, read_articles, rss, serve

pytestmark = pytest.mark.integration


def _feed_items(site: Site, numbers: list[int]) -> list[tuple[str, str, str]]:
    return [(f"story-{n}", f"{site.base_url}/news/{n}?utm_source=rss", f"Story {n}") for n in numbers]


def test_once_publishes_new_entries_then_nothing_on_rerun(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        for n in (1, 2):
            site.set(f"/news/{n}", article_html(n, f"Story {n}"))
        site.fail_once.add("/news/2")  # a 503 first: fetched again, not published feed-only
        # story 3's page is missing (404): it must still be published, from the feed.
        site.set("/feed.xml", rss(_feed_items(site, [1, 2, 3])), "application/rss+xml")
        settings = make_settings(feeds=[FeedConfig(url=f"{site.base_url}/feed.xml", name="loop")], extract_workers=2)

        first = run_ingest(settings, Stopper(), once=True)

        assert (first.feeds_polled, first.entries_new, first.published, first.pages_failed) == (1, 3, 3, 1)
        assert len(site.hits("/news/2")) == 2 and len(site.hits("/news/3")) == 1
        assert sum(first.targets.values()) == 3
        articles = {a.entry_id: a for a in read_articles(settings, expect=3)}
        assert set(articles) == {"story-1", "story-2", "story-3"}
        for n in (1, 2):
            article = articles[f"story-{n}"]
            assert article.extraction == "page"
            assert "Alrosa and De Beers" in article.text and "<p>" not in article.text
            assert article.title == f"Story {n}"
            assert article.site_name == "Loopback News" and article.language == "en"
            # the id is the canonical URL's hash: tracking parameters do not count
            assert article.canonical_url == canonical_url(f"{site.base_url}/news/{n}")
            assert article.id == article_id(article.canonical_url)
            assert article.published_at is not None
        missing = articles["story-3"]
        assert missing.extraction == "feed_only"
        assert "404" in (missing.extraction_error or "")
        assert missing.title == "Story 3" and missing.text == "Summary of Story 3."
        assert sorted(first.article_ids) == sorted(a.id for a in articles.values())

        # Rerun: the conditional GET gets a 304 and nothing is published again.
        second = run_ingest(settings, Stopper(), once=True)
        assert (second.feeds_not_modified, second.published, second.targets) == (1, 0, {})
        assert site.hits("/feed.xml")[-1].get("if-none-match")

        # A changed feed: only the new entry is fetched and published.
        site.set("/news/4", article_html(4, "Story 4"))
        site.set("/feed.xml", rss(_feed_items(site, [4, 1, 2, 3])), "application/rss+xml")
        third = run_ingest(settings, Stopper(), once=True)
        assert (third.entries_new, third.published) == (1, 1)
        assert len(site.hits("/news/1")) == 1
        assert {a.entry_id for a in read_articles(settings, expect=4)} == {f"story-{n}" for n in (1, 2, 3, 4)}


def test_failing_feed_is_recorded_and_backs_off_without_hurting_others(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        site.set("/news/1", article_html(1, "Story 1"))
        # docs/bad-inputs.md #19: SQL and format-string bait in the id and title stays literal text
        bait = "'); DROP TABLE ingest_entries;-- %s %(x)s $1 ?"
        site.set("/good.xml", rss([(bait, f"{site.base_url}/news/1", bait)]), "application/rss+xml")
        site.set("/html.xml", "<!DOCTYPE html><html><body><p>not a feed</p></body></html>")
        site.set("/down.xml", "oops", "text/plain", status=503)
        feeds = [FeedConfig(url=f"{site.base_url}{p}") for p in ("/good.xml", "/html.xml", "/down.xml")]
        settings = make_settings(feeds=feeds, extract_workers=1)

        report = run_ingest(settings, Stopper(), once=True)

        assert (report.feeds_polled, report.feed_errors, report.published) == (3, 2, 1)
        with psycopg.connect(settings.database_dsn()) as conn:
            rows = {
                url: rest
                for url, *rest in conn.execute(
                    "SELECT url, consecutive_errors, last_error, next_check_at > now() FROM ingest_feeds"
                ).fetchall()
            }
        errors, message, later = rows[f"{site.base_url}/html.xml"]
        assert (errors, later) == (1, True) and "HTML page" in message
        errors, message, later = rows[f"{site.base_url}/down.xml"]
        assert (errors, later) == (1, True) and "503" in message
        assert rows[f"{site.base_url}/good.xml"][0] == 0
        [article] = read_articles(settings, expect=1)
        assert article.entry_id == bait and article.extraction == "page"
        with psycopg.connect(settings.database_dsn()) as conn:
            assert conn.execute("SELECT entry_id FROM ingest_entries").fetchall() == [(bait,)]

        # polled again (once polls every feed): the error count grows, the feed is never dropped
        run_ingest(settings, Stopper(), once=True)
        with psycopg.connect(settings.database_dsn()) as conn:
            count = conn.execute(
                "SELECT consecutive_errors FROM ingest_feeds WHERE url = %s", (f"{site.base_url}/down.xml",)
            ).fetchone()[0]
        assert count == 2


def test_service_polls_when_due_and_stops_cleanly(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        site.set("/news/1", article_html(1, "Story 1"))
        site.set("/feed.xml", rss(_feed_items(site, [1])), "application/rss+xml")
        settings = make_settings(feeds=[FeedConfig(url=f"{site.base_url}/feed.xml", interval=0.5)], extract_workers=1)
        stopper = Stopper()
        reports = []
        thread = threading.Thread(target=lambda: reports.append(run_ingest(settings, stopper)), daemon=True)
        thread.start()
        try:
            _wait_until(lambda: len(site.hits("/news/1")) == 1)
            # a new entry appears: the next scheduled poll picks it up
            site.set("/news/2", article_html(2, "Story 2"))
            site.set("/feed.xml", rss(_feed_items(site, [2, 1])), "application/rss+xml")
            _wait_until(lambda: len(site.hits("/news/2")) == 1)
            _wait_until(lambda: len(site.hits("/feed.xml")) >= 4)  # polled again and again: 304s
        finally:
            stopper.stop("test")
            thread.join(15)
        assert not thread.is_alive()
        [report] = reports
        assert report.published == 2 and report.feeds_not_modified >= 1 and report.feed_errors == 0
        assert {a.entry_id for a in read_articles(settings, expect=2)} == {"story-1", "story-2"}
        assert len(site.hits("/news/1")) == 1


def _wait_until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_service_survives_losing_its_database_connection(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        site.set("/news/1", article_html(1, "Story 1"))
        site.set("/feed.xml", rss(_feed_items(site, [1])), "application/rss+xml")
        settings = make_settings(feeds=[FeedConfig(url=f"{site.base_url}/feed.xml", interval=0.3)], extract_workers=1)
        stopper = Stopper()
        thread = threading.Thread(target=run_ingest, args=(settings, stopper), daemon=True)
        thread.start()
        try:
            _wait_until(lambda: len(site.hits("/news/1")) == 1)
            with psycopg.connect(settings.database_dsn(), autocommit=True) as conn:
                killed = conn.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()[0]
            assert killed >= 1
            site.set("/news/2", article_html(2, "Story 2"))
            site.set("/feed.xml", rss(_feed_items(site, [2, 1])), "application/rss+xml")
            _wait_until(lambda: len(site.hits("/news/2")) >= 1)
            _wait_until(lambda: "story-2" in {a.entry_id for a in read_articles(settings, timeout_s=3)})
        finally:
            stopper.stop("test")
            thread.join(15)
        assert not thread.is_alive()
