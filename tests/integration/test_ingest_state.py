"""Feed state against a real broker and Postgres (issue 8 #7, #8, #10):
credentials never logged, stored or published; bad character references
repaired with a warning; ``ingest_entries`` bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import yaml
from psycopg import sql

from commands.pipeline import FEEDS_FAILED
from ingest.service import run_ingest
from ingest.state import MIGRATIONS
from newsflow.lifecycle import Stopper
from newsflow.settings import FeedConfig, Settings
from tests.kafka_helpers import read_topic

from .ingest_site import Site, article_html, read_articles, rss, serve

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CANARIES = ("CanaryPass7731", "CanaryToken5519", "CanaryKey8842", "CanaryLoop6603")


def _rows_text(dsn: str) -> str:
    """Every row of every table in the test database, as text."""
    with psycopg.connect(dsn) as conn:
        tables = conn.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname IN ('public', 'newsflow')").fetchall()
        assert tables, "no tables to search"
        return "\n".join(
            str(row)
            for schema, table in tables
            for row in conn.execute(
                sql.SQL("SELECT t::text FROM {} t").format(sql.Identifier(schema, table))).fetchall()
        )


def test_feed_credentials_never_reach_logs_rows_or_topics(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    with serve(Site()) as site:
        host = site.base_url.removeprefix("http://")
        secret_feed = f"http://reader:{CANARIES[0]}@{host}/feed.xml?token={CANARIES[1]}&q=gold&api_key={CANARIES[2]}"
        loop_feed = f"http://{host}/loop.xml?sig={CANARIES[3]}"
        site.set("/news/1", article_html(1, "Story 1"))
        # a relative link (urljoin keeps the feed's user:password) and an entry without a link
        site.set("/feed.xml", rss([("s1", "/news/1", "Story 1"), ("s2", "", "Story 2")]), "application/rss+xml")
        site.redirects["/loop.xml"] = loop_feed  # a redirect loop: the error message quotes the URL
        settings = make_settings(
            feeds=[FeedConfig(url=secret_feed, name="secret"), FeedConfig(url=loop_feed)],
            extract_workers=1, log_level="DEBUG",
        )
        done = _cli_run_once(settings, tmp_path)

        # The loop feed fails by design: --once exits 3 and names it, redacted (checked with the log below).
        assert done.returncode == FEEDS_FAILED, done.stderr[-3000:]
        assert f"  http://{host}/loop.xml?sig=REDACTED: PermanentError: redirect loop" in done.stderr
        assert "redirect loop" in _rows_text(settings.database_dsn())
        raw = read_topic(settings, settings.topics.raw, 2)
        enriched = read_topic(settings, settings.topics.enriched, 2)
        assert len(raw) == 2 and len(enriched) == 2
        everything = {
            "log": done.stdout + done.stderr,
            "rows": _rows_text(settings.database_dsn()),
            "raw topic": b"".join(r.value for r in raw).decode(),
            "enriched topic": b"".join(r.value for r in enriched).decode(),
        }
        for where, text in everything.items():
            for canary in CANARIES:
                assert canary not in text, f"{canary} found in the {where}"
        assert f"{host}/feed.xml?token=REDACTED&q=gold&api_key=REDACTED" in everything["rows"]
        with psycopg.connect(settings.database_dsn()) as conn:
            stored = conn.execute("SELECT feed_name, feed_url, url, extraction FROM articles ORDER BY url").fetchall()
        assert stored == [
            ("secret", f"http://{host}/feed.xml?token=REDACTED&q=gold&api_key=REDACTED",
             f"http://{host}/feed.xml?token=REDACTED&q=gold&api_key=REDACTED", "feed_only"),
            ("secret", f"http://{host}/feed.xml?token=REDACTED&q=gold&api_key=REDACTED",
             f"http://{host}/news/1", "page"),
        ]
        # the credentials were still used where they belong: on the wire to the feed's host
        assert site.hits("/feed.xml")[0]["authorization"].startswith("Basic ")


def _cli_run_once(settings: Settings, tmp_path: Path) -> subprocess.CompletedProcess:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "DATABASE_URL": settings.database_dsn()}
    return subprocess.run(
        [sys.executable, "-m", "newsflow", "run", "--once", "--config", str(config)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )


def test_state_from_before_the_redaction_is_migrated_without_republishing(
    make_settings: Callable[..., Settings],
) -> None:
    with serve(Site()) as site:
        feed_url = f"{site.base_url}/feed.xml?token={CANARIES[1]}"
        site.set("/news/1", article_html(1, "Story 1"))
        site.set("/feed.xml", rss([("s1", f"{site.base_url}/news/1", "Story 1")]), "application/rss+xml")
        settings = make_settings(feeds=[FeedConfig(url=feed_url)], extract_workers=1)
        with psycopg.connect(settings.database_dsn(), autocommit=True) as conn:  # a database at version 1
            conn.execute("CREATE TABLE ingest_schema_migrations (version integer PRIMARY KEY,"
                         " applied_at timestamptz NOT NULL DEFAULT now())")
            for statement in MIGRATIONS[0].steps:
                conn.execute(statement)
            conn.execute("INSERT INTO ingest_schema_migrations (version) VALUES (1)")
            conn.execute("INSERT INTO ingest_feeds (url, interval_s) VALUES (%s, 900)", (feed_url,))
            conn.execute("INSERT INTO ingest_entries (feed_url, entry_id, article_id, topic, \"partition\", \"offset\")"
                         " VALUES (%s, 's1', 'a1', 't', 0, 0)", (feed_url,))

        report = run_ingest(settings, Stopper(), once=True)

        assert (report.feed_errors, report.entries_new, report.published) == (0, 0, 0)  # s1 stays seen
        assert CANARIES[1] not in _rows_text(settings.database_dsn())
        with psycopg.connect(settings.database_dsn()) as conn:
            assert conn.execute("SELECT url FROM ingest_feeds").fetchall() == [
                (f"{site.base_url}/feed.xml?token=REDACTED",)]


def test_a_bad_character_reference_keeps_the_good_entries_and_warns(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        items = [(f"s{n}", f"{site.base_url}/news/{n}", f"Story {n}") for n in (1, 2, 3)]
        items[1] = ("s2", f"{site.base_url}/news/2", "Gold &#xD800; &#x110000; &#99999999999; up")
        for n in (1, 2, 3):
            site.set(f"/news/{n}", article_html(n, f"Story {n}"))
        site.set("/feed.xml", rss(items), "application/rss+xml")
        settings = make_settings(feeds=[FeedConfig(url=f"{site.base_url}/feed.xml")], extract_workers=1)

        report = run_ingest(settings, Stopper(), once=True)

        assert {a.entry_id for a in read_articles(settings, expect=3)} == {"s1", "s2", "s3"}
        assert (report.feed_errors, report.feed_warnings, report.published) == (0, 1, 3)
        with psycopg.connect(settings.database_dsn()) as conn:
            errors, warning, warned = conn.execute(
                "SELECT consecutive_errors, last_warning, last_warning_at IS NOT NULL FROM ingest_feeds").fetchone()
        assert (errors, warned) == (0, True)
        assert warning == "6 invalid character reference(s) replaced with U+FFFD"  # in the title and the summary


def test_ingest_entries_keeps_only_entries_in_the_feed_or_recently_seen(make_settings: Callable[..., Settings]) -> None:
    with serve(Site()) as site:
        def publish_feed(ids: list[str]) -> None:
            site.set("/feed.xml", rss([(i, f"{site.base_url}/news/{i}", i) for i in ids]), "application/rss+xml")

        publish_feed(["a", "b", "gone-old", "gone-recent"])
        settings = make_settings(feeds=[FeedConfig(url=f"{site.base_url}/feed.xml")], extract_workers=1)
        run_ingest(settings, Stopper(), once=True)
        with psycopg.connect(settings.database_dsn(), autocommit=True) as conn:
            conn.execute("UPDATE ingest_entries SET seen_at = now() - interval '40 days'")
            conn.execute("UPDATE ingest_entries SET seen_at = now() - interval '1 day' WHERE entry_id = 'gone-recent'")
        publish_feed(["b", "c"])  # "a" left the feed; "b" is still listed

        report = run_ingest(settings, Stopper(), once=True)

        with psycopg.connect(settings.database_dsn()) as conn:
            kept = {r[0] for r in conn.execute("SELECT entry_id FROM ingest_entries").fetchall()}
        assert kept == {"b", "c", "gone-recent"}
        assert (report.entries_new, report.entries_pruned) == (1, 2)
        # "b" was kept because the feed lists it: it is not published again
        assert sorted(a.entry_id for a in read_articles(settings, expect=5)) == ["a", "b", "c", "gone-old", "gone-recent"]
