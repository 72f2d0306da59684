"""A short page outage no longer degrades articles for good (issue 8 #5).

Pages answer 503 for a few seconds: their articles go out feed-only at once,
are fetched again on later polls with backoff, and once the pages answer, the
articles are re-published with their full text and the sink's upsert replaces
the feed-only rows. A page down beyond the retry window is given up.
Real broker, real Postgres, pages on loopback, ingest + enrich + sink running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import pytest

from commands.pipeline import run_services
from newsflow.lifecycle import Stopper
from newsflow.models import RawArticle, decode
from newsflow.settings import FeedConfig, FetchConfig, Settings
from tests.kafka_helpers import read_topic

from .ingest_site import Site, article_html, rss, serve

pytestmark = pytest.mark.integration

STORIES = 6
# The retry window: long enough for the first phase (group joins included).
WINDOW_S = 25.0


def _extractions(dsn: str) -> dict[str, str]:
    try:
        with psycopg.connect(dsn) as conn:
            return dict(conn.execute("SELECT entry_id, extraction FROM articles").fetchall())
    except psycopg.errors.UndefinedTable:
        return {}


def _retries(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute("SELECT entry_id FROM ingest_page_retries").fetchall()}


def _wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, f"not within {timeout_s:.0f}s: {what}"
        time.sleep(0.2)
    return time.monotonic() - started


def test_articles_are_upgraded_to_full_text_when_pages_come_back(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        ids = [f"story-{n}" for n in range(STORIES)]
        pages = [f"/news/{n}" for n in range(STORIES)] + ["/news/never"]
        for n, path in enumerate(pages):
            site.set(path, article_html(n, f"Story {n}"))
            site.down_until[path] = float("inf")  # 503 until the test says otherwise
        items = [(i, f"{site.base_url}/news/{n}", f"Story {n}") for n, i in enumerate(ids)]
        site.set("/feed.xml", rss([*items, ("never", f"{site.base_url}/news/never", "Never")]), "application/rss+xml")
        settings = make_settings(
            feeds=[FeedConfig(url=f"{site.base_url}/feed.xml", interval=0.5)],
            fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, page_retry_base_s=0.5,
                              page_retry_cap_s=1.0, page_retry_window_s=WINDOW_S),
            extract_workers=1,
        )
        dsn = settings.database_dsn()
        stopper = Stopper()
        exit_codes: list[int] = []
        thread = threading.Thread(target=lambda: exit_codes.append(run_services(settings, stopper)), daemon=True)
        thread.start()
        try:
            # While the pages are down every article is stored from the feed alone...
            _wait_until(lambda: len(_extractions(dsn)) == STORIES + 1, 40, "all articles stored")
            assert set(_extractions(dsn).values()) == {"feed_only"}
            assert _retries(dsn) == {*ids, "never"}
            # ...and each page is fetched again and again (with backoff) while it is down.
            _wait_until(lambda: len(site.hits("/news/0")) >= 3, 30, "a down page fetched again on later polls")
            for path in pages[:-1]:
                site.down_until[path] = 0.0  # ...then the pages come back
            upgrade_s = _wait_until(
                lambda: all(_extractions(dsn).get(i) == "page" for i in ids), 40, "articles upgraded to full text"
            )
            # The page that never came back is given up once the window is over.
            _wait_until(lambda: _retries(dsn) == set(), WINDOW_S + 20, "retries given up or done")
        finally:
            stopper.stop("test")
            thread.join(30)
        assert exit_codes == [0]

        assert _extractions(dsn) == {**dict.fromkeys(ids, "page"), "never": "feed_only"}
        with psycopg.connect(dsn) as conn:
            texts = dict(conn.execute("SELECT entry_id, text FROM articles").fetchall())
            assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == STORIES + 1
        assert all("Paragraph 5 of story" in texts[i] for i in ids)
        # On the raw topic each id went out feed-only first, then with its page.
        raw = [decode(RawArticle, r.value) for r in read_topic(settings, settings.topics.raw, 2 * STORIES + 1)]
        for entry_id in ids:
            versions = [a.extraction for a in raw if a.entry_id == entry_id]
            assert versions == ["feed_only", "page"], (entry_id, versions)
        print(f"feed-only rows replaced by full text {upgrade_s:.1f}s after the pages came back")
