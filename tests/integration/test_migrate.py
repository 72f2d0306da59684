"""``newsflow migrate`` and the one migration runner, on a real Postgres (issues 10 and 12).

Databases here are *bare*: the server's default ``search_path``, so every
service and command must find the ``newsflow`` schema by itself. The old
layout (tables and two ledgers in ``public``) comes from
legacy/before_schema.sql, a dump of a database that the code of main before
the schema migrated and filled (legacy/make_dump.py).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from devstack.embedded import free_port
from ingest.state import MIGRATIONS as INGEST_MIGRATIONS
from ingest.state import FeedStore, migrate_sync
from newsflow.migrations import migrate
from sinks.postgres import connect as sink_connect
from sinks.schema import MIGRATIONS as SINK_MIGRATIONS
from sinks.schema import component as sink_component
from webapp.serve import check_schema

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
LEGACY_DUMP = Path(__file__).with_name("legacy") / "before_schema.sql"
NEWSFLOW_TABLES = {
    "ingest_feeds", "ingest_entries", "ingest_page_retries", "ingest_page_jobs", "articles", "article_producers",
    "article_events", "article_countries", "article_commodities", "kafka_offsets", "event_counts", "retag_runs", "migrations",
}
# Rows the dump holds, by table.
LEGACY_ROWS = {
    "ingest_feeds": 2, "ingest_entries": 1, "articles": 1, "article_events": 2, "article_producers": 1,
    "kafka_offsets": 1, "event_counts": 4,
}


def newsflow(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("NEWSFLOW_LOG_LEVEL", None)
    return subprocess.run([sys.executable, "-m", "newsflow", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def tables_in(conn: psycopg.Connection, schema: str) -> set[str]:
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)).fetchall()
    return {name for (name,) in rows}


def ledger(conn: psycopg.Connection) -> list[tuple[str, int]]:
    return conn.execute("SELECT component, version FROM newsflow.migrations ORDER BY 1, 2").fetchall()


def every_version() -> list[tuple[str, int]]:
    return sorted([("ingest", m.version) for m in INGEST_MIGRATIONS] + [("sink", m.version) for m in SINK_MIGRATIONS])


def restore_legacy(database_url: str) -> None:
    # Its own session: the dump clears search_path for the rest of it.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(LEGACY_DUMP.read_text())


def test_fresh_database_is_created_in_the_newsflow_schema_and_a_rerun_does_nothing(bare_database_url: str) -> None:
    before = newsflow("migrate", "--status", database_url=bare_database_url)
    assert before.returncode == 3, before.stderr
    assert "pending" in before.stdout and "applied" not in before.stdout

    done = newsflow("migrate", database_url=bare_database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"ingest: applied {', '.join(str(m.version) for m in INGEST_MIGRATIONS)}; now at version {INGEST_MIGRATIONS[-1].version}",
        f"sink: applied {', '.join(str(m.version) for m in SINK_MIGRATIONS)}; now at version {SINK_MIGRATIONS[-1].version}",
    ]
    with psycopg.connect(bare_database_url) as conn:
        assert tables_in(conn, "newsflow") == NEWSFLOW_TABLES
        assert tables_in(conn, "public") == set()
        assert ledger(conn) == every_version()

    again = newsflow("migrate", database_url=bare_database_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        f"ingest: up to date (version {INGEST_MIGRATIONS[-1].version})",
        f"sink: up to date (version {SINK_MIGRATIONS[-1].version})",
    ]
    status = newsflow("migrate", "--status", database_url=bare_database_url)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["COMPONENT", "VERSION", "STATE", "APPLIED", "AT", "NAME"]
    assert len(lines) == 1 + len(every_version()) and all(" applied " in line for line in lines[1:])


def test_database_from_before_the_schema_is_upgraded_in_place(bare_database_url: str) -> None:
    restore_legacy(bare_database_url)
    with psycopg.connect(bare_database_url) as conn:
        old_applied = dict(conn.execute("SELECT version, applied_at FROM public.schema_migrations").fetchall())

    status = newsflow("migrate", "--status", database_url=bare_database_url)
    assert status.returncode == 3
    assert "note: ingest's tables are still in public (old layout, versions 1, 2, 3, 4)" in status.stdout
    assert "note: sink's tables are still in public (old layout, versions 1, 2, 3, 4, 5)" in status.stdout

    done = newsflow("migrate", database_url=bare_database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ingest: applied 5, 6; now at version 6", "sink: applied 6, 7; now at version 7"]

    with psycopg.connect(bare_database_url, autocommit=True) as conn:
        assert tables_in(conn, "public") == set()  # both old ledgers gone, every table moved
        assert tables_in(conn, "newsflow") == NEWSFLOW_TABLES
        for table, count in LEGACY_ROWS.items():
            assert conn.execute(f"SELECT count(*) FROM newsflow.{table}").fetchone()[0] == count, table
        assert ledger(conn) == every_version()
        carried = dict(conn.execute(
            "SELECT version, applied_at FROM newsflow.migrations WHERE component = 'sink' AND version <= 5"
        ).fetchall())
        assert carried == old_applied
        assert conn.execute("SELECT count(*) FROM newsflow.event_facts").fetchone()[0] == 2
        # The moved triggers keep the counts right, from a session without the schema on its path.
        conn.execute(
            "INSERT INTO newsflow.article_events (article_id, ordinal, actor, action, object, when_start, when_end,"
            " negated, modality, sentence, start_offset, end_offset) VALUES ('a1', 2, 'OPEC+', 'cut', 'crude oil',"
            " '2026-11-02', '2026-11-02', false, 'asserted', 's', 0, 1)"
        )
        counts = conn.execute(
            "SELECT n FROM newsflow.event_counts WHERE grain = 'month' AND kind = 'asserted'"
        ).fetchone()[0]
        assert counts == 2

    # The services' own connections find the moved tables and rows.
    with sink_connect(bare_database_url) as conn:
        assert conn.execute("SELECT next_offset FROM kafka_offsets").fetchone()[0] == 42
    feeds = asyncio.run(_active_feeds(bare_database_url))
    assert {(f.url, f.consecutive_errors) for f in feeds} == {
        ("https://example.org/ok.xml", 0), ("https://example.org/broken.xml?token=REDACTED", 12)}
    check_schema(bare_database_url)  # the web page accepts it
    psql = newsflow("psql", "-c", "SELECT count(*) FROM articles", database_url=bare_database_url)
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.split()[:3] == ["count", "-------", "1"]


async def _active_feeds(dsn: str) -> list:
    store = await FeedStore.connect(dsn)
    try:
        assert await store.migrate() == []
        return await store.active_feeds()
    finally:
        await store.close()


@pytest.mark.parametrize("layout", ["empty", "before the schema"])
def test_concurrent_runners_apply_each_migration_once(layout: str, bare_database_url: str) -> None:
    """Two sinks and two pollers start together: the advisory lock lets one runner work at a time."""
    if layout != "empty":
        restore_legacy(bare_database_url)
    start = threading.Barrier(4)
    applied: dict[str, list[list[int]]] = {"ingest": [], "sink": []}
    failures: list[BaseException] = []

    def sink() -> None:
        with sink_connect(bare_database_url) as conn:
            start.wait()
            applied["sink"].append(migrate(conn, sink_component()))

    def poller() -> None:
        start.wait()
        applied["ingest"].append(migrate_sync(bare_database_url))

    def guarded(run) -> None:
        try:
            run()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(run,)) for run in (sink, sink, poller, poller)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    ingest_versions = [m.version for m in INGEST_MIGRATIONS]
    sink_versions = [m.version for m in SINK_MIGRATIONS]
    if layout != "empty":
        ingest_versions, sink_versions = ingest_versions[4:], sink_versions[5:]
    assert sorted(applied["ingest"], key=len) == [[], ingest_versions]
    assert sorted(applied["sink"], key=len) == [[], sink_versions]
    with psycopg.connect(bare_database_url) as conn:
        assert ledger(conn) == every_version()
        assert tables_in(conn, "public") == set()


def test_a_foreign_schema_migrations_in_public_is_left_alone(bare_database_url: str) -> None:
    with psycopg.connect(bare_database_url, autocommit=True) as conn:  # golang-migrate's ledger
        conn.execute("CREATE TABLE public.schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)")
        conn.execute("INSERT INTO public.schema_migrations VALUES (20240101, false)")

    done = newsflow("migrate", database_url=bare_database_url)

    assert done.returncode == 0, done.stderr
    with psycopg.connect(bare_database_url) as conn:
        assert conn.execute("SELECT * FROM public.schema_migrations").fetchall() == [(20240101, False)]
        assert ledger(conn) == every_version()
        assert tables_in(conn, "newsflow") == NEWSFLOW_TABLES


def test_a_failed_migration_is_rolled_back_and_reported(bare_database_url: str) -> None:
    restore_legacy(bare_database_url)
    with psycopg.connect(bare_database_url, autocommit=True) as conn:  # someone made a clashing table
        conn.execute("CREATE SCHEMA newsflow")
        conn.execute("CREATE TABLE newsflow.articles (id int)")

    done = newsflow("migrate", database_url=bare_database_url)

    assert done.returncode == 1
    assert "both public.articles and newsflow.articles exist" in done.stderr, done.stderr
    assert done.stdout.splitlines() == ["ingest: applied 5, 6; now at version 6"]
    with psycopg.connect(bare_database_url) as conn:  # the sink's part changed nothing
        assert {"articles", "schema_migrations", "event_counts"} <= tables_in(conn, "public")
        assert conn.execute("SELECT count(*) FROM public.articles").fetchone()[0] == 1
        assert ledger(conn) == [("ingest", m.version) for m in INGEST_MIGRATIONS]


def test_an_unreachable_database_is_one_line_and_exit_status_1() -> None:
    done = newsflow("migrate", database_url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    assert done.returncode == 1
    assert done.stderr.startswith("newsflow migrate: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
