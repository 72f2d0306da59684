"""Writes ``before_schema.sql``: a database as main left it before the ``newsflow`` schema.

Run once, from the repository (it needs the git history):

    python tests/integration/legacy/make_dump.py

It loads ``ingest/state.py`` and ``sinks/schema.py`` as they were at
``LEGACY_COMMIT`` (tables and two ledgers in ``public``), migrates a fresh
embedded Postgres database with them, writes some rows through the old
ingest code and plain SQL (articles and events, so the old triggers fill
``event_counts``), and dumps it with the bundled ``pg_dump``. The upgrade
test (tests/integration/test_migrate.py) restores the dump and migrates it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from devstack.embedded import create_database, import_pgserver, postgres_service  # noqa: E402

LEGACY_COMMIT = "ea63b7b"
OUT = Path(__file__).with_name("before_schema.sql")


def _old_module(path: str, name: str):
    source = subprocess.run(["git", "show", f"{LEGACY_COMMIT}:{path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{LEGACY_COMMIT}:{path}", "exec"), module.__dict__)  # noqa: S102 - our own history
    return module


async def _ingest_rows(state, dsn: str) -> None:
    from newsflow.settings import FeedConfig

    store = await state.FeedStore.connect(dsn)
    await store.migrate()
    await store.sync_feeds([FeedConfig(url="https://example.org/ok.xml", name="ok"),
                            FeedConfig(url="https://example.org/broken.xml?token=s3cret", name="broken")])
    claimed = await store.claim_any([f.feed_key for f in await store.active_feeds()], 10, 60.0)
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    for feed in claimed:
        if "broken" in feed.url:
            await store.record_error(feed.feed_key, now, 3600.0, 12, "HTTPStatusError: 404 Not Found")
        else:
            await store.record_success(feed.feed_key, now, 900.0, '"etag-1"', None)
            await store.mark_seen([state.SeenEntry(feed.feed_key, "e1", "a1", state.Acknowledged("news.articles.raw", 0, 7))])
    await store.close()


_ARTICLE = """
INSERT INTO articles (id, url, canonical_url, feed_url, entry_id, title, text, published_at, fetched_at,
                      extraction, tagger_version, enriched_at, digest)
VALUES ('a1', 'https://example.org/a1', 'https://example.org/a1', 'https://example.org/ok.xml', 'e1',
        'OPEC+ cuts', 'OPEC+ cut output.', '2026-11-29T08:00Z', '2026-11-30T12:00Z', 'full', 't1',
        '2026-11-30T12:00Z', 'd1')
"""
_EVENTS = """
INSERT INTO article_events (article_id, ordinal, actor, action, object, when_start, when_end, negated,
                            modality, sentence, start_offset, end_offset)
VALUES ('a1', 0, 'OPEC+', 'cut', 'crude oil', '2026-11-01', '2026-11-30', false, 'asserted', 'OPEC+ cut output.', 0, 17),
       ('a1', 1, 'OPEC+', 'raise', 'crude oil', NULL, NULL, false, 'planned', 'OPEC+ cut output.', 0, 17)
"""


def main() -> None:
    state = _old_module("ingest/state.py", "legacy_ingest_state")
    schema = _old_module("sinks/schema.py", "legacy_sink_schema")
    with tempfile.TemporaryDirectory() as folder, postgres_service(None, Path(folder)) as service:
        dsn = create_database(service.address, "legacy")
        asyncio.run(_ingest_rows(state, dsn))
        with psycopg.connect(dsn, autocommit=True) as conn:
            schema.migrate(conn)
            conn.execute(_ARTICLE)
            conn.execute(_EVENTS)
            conn.execute("INSERT INTO article_producers VALUES ('a1', 'OPEC+', 'organisation', true, NULL, '{oil}', 2)")
            conn.execute("INSERT INTO kafka_offsets (cluster_id, consumer_group, topic, partition, next_offset)"
                         " VALUES ('c1', 'newsflow-sink', 'news.articles.enriched', 0, 42)")
        pg_dump = Path(import_pgserver().__file__).parent / "pginstall" / "bin" / "pg_dump"
        dump = subprocess.run([str(pg_dump), "--inserts", "--no-owner", "--no-privileges", "--dbname", dsn],
                              check=True, capture_output=True, text=True).stdout
    OUT.write_text(f"-- Made by make_dump.py from {LEGACY_COMMIT}: the layout before the newsflow schema.\n" + dump)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
