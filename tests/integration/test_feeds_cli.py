"""``newsflow feeds list|add|remove|health`` through the command line, on a real Postgres and broker.

One feed comes from the config file and answers 404; one is added on the
command line and works. A real ingest run polls both (the added one without
being in any config), then ``list`` and ``health`` report what it stored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import yaml

from devstack.feedserver import serve_folder
from ingest.service import run_ingest
from newsflow.lifecycle import Stopper
from newsflow.settings import FeedConfig, Settings
from seeds import SEEDS_DIR

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def feeds(*args: str, database_url: str, config: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("NEWSFLOW_LOG_LEVEL", None)
    where = ["--config", str(config)] if config else []
    return subprocess.run([sys.executable, "-m", "newsflow", "feeds", *args, *where], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def migrated(database_url: str) -> str:
    done = subprocess.run([sys.executable, "-m", "newsflow", "migrate"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": database_url}, timeout=120)
    assert done.returncode == 0, done.stderr
    return database_url


def config_file(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "newsflow.yaml"
    path.write_text(yaml.safe_dump({"feeds": [{"url": url, "name": "from-file"} for url in urls]}))
    return path


def test_feeds_from_the_file_and_the_command_line_are_polled_listed_and_checked(
    make_settings: Callable[..., Settings], database_url: str, tmp_path: Path
) -> None:
    migrated(database_url)
    with serve_folder(SEEDS_DIR) as base_url:
        added, in_file = f"{base_url}/feeds/markets.xml", f"{base_url}/feeds/gone.xml"
        config = config_file(tmp_path, [in_file])

        before = feeds("list", database_url=database_url, config=config)
        assert before.returncode == 0, before.stderr
        assert before.stdout.splitlines()[1].split()[:4] == ["config", "new", "(not", "synced"]

        add = feeds("add", added, "--name", "markets", "--interval", "600", database_url=database_url, config=config)
        assert (add.returncode, add.stdout.strip()) == (0, f"{added}: added"), add.stderr
        again = feeds("add", added, "--name", "markets", database_url=database_url, config=config)
        assert (again.returncode, again.stdout.strip()) == (0, f"{added}: updated")

        # The file's feeds come from settings; the added one only from the database.
        report = run_ingest(make_settings(feeds=[FeedConfig(url=in_file, name="from-file")]), Stopper(), once=True)
        assert report.published == 2 and set(report.failed_feeds) == {in_file}

        listed = feeds("list", "--json", database_url=database_url, config=config)
        assert listed.returncode == 0, listed.stderr
        rows = {row["url"]: row for row in json.loads(listed.stdout)}
        assert (rows[added]["source"], rows[added]["status"], rows[added]["name"]) == ("cli", "ok", "markets")
        assert (rows[in_file]["source"], rows[in_file]["status"]) == ("config", "failing")
        assert rows[added]["last_success_at"] and rows[in_file]["last_success_at"] is None
        table = feeds("list", database_url=database_url, config=config).stdout.splitlines()
        assert table[0].split() == ["SOURCE", "STATUS", "FAILURES", "LAST", "SUCCESS", "NEXT", "CHECK", "NAME", "URL"]
        assert [line.split()[:3] for line in table[1:]] == [["cli", "ok", "0"], ["config", "failing", "1"]]

        health = feeds("health", database_url=database_url, config=config)
        assert health.returncode == 0, health.stderr  # failing, not dead yet
        lines = health.stdout.splitlines()
        assert lines[0].split()[:2] == ["STATUS", "FAILURES"]
        assert lines[1].split()[:2] == ["failing", "1"] and in_file in lines[1] and "404" in lines[1]
        assert lines[-1] == "0 dead, 1 failing (dead after 10 failures in a row)"

        dead = feeds("health", "--dead-after", "1", "--json", database_url=database_url, config=config)
        assert dead.returncode == 3
        verdict = json.loads(dead.stdout)
        assert (verdict["dead"], verdict["failing"]) == (1, 0)
        [feed] = verdict["feeds"]
        assert (feed["url"], feed["status"], feed["consecutive_failures"]) == (in_file, "dead", 1)
        assert "404" in feed["last_error"] and feed["next_check_at"] and feed["last_success_at"] is None


def test_remove_stops_a_command_line_feed_and_refuses_a_config_file_feed(database_url: str, tmp_path: Path) -> None:
    migrated(database_url)
    in_file, added = "https://example.org/file.xml", "https://example.org/added.xml"
    config = config_file(tmp_path, [in_file])
    assert feeds("add", added, database_url=database_url, config=config).returncode == 0

    refused = feeds("remove", in_file, database_url=database_url, config=config)
    assert refused.returncode == 1
    assert "comes from the config file" in refused.stderr and "remove it from the file's `feeds:`" in refused.stderr
    refused_add = feeds("add", in_file, database_url=database_url, config=config)
    assert refused_add.returncode == 1 and "comes from the config file" in refused_add.stderr

    removed = feeds("remove", added, database_url=database_url, config=config)
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.startswith(f"{added}: removed")
    active = json.loads(feeds("list", "--json", database_url=database_url, config=config).stdout)
    assert [row["url"] for row in active] == [in_file]
    everything = json.loads(feeds("list", "--all", "--json", database_url=database_url, config=config).stdout)
    assert {(row["url"], row["status"]) for row in everything} == {(in_file, "new (not synced yet)"), (added, "inactive")}

    unknown = feeds("remove", "https://example.org/never.xml", database_url=database_url)
    assert unknown.returncode == 1 and "no such feed" in unknown.stderr

    purged = feeds("remove", added, "--purge", database_url=database_url)
    assert purged.returncode == 0 and "deleted" in purged.stdout
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM ingest_feeds").fetchone()[0] == 0


def test_add_refuses_bad_urls_and_urls_with_credentials(database_url: str) -> None:
    migrated(database_url)
    not_http = feeds("add", "ftp://example.org/feed.xml", database_url=database_url)
    assert not_http.returncode == 2 and "feed url must be http(s)" in not_http.stderr

    secret = "https://example.org/feed.xml?token=hunter2secret"
    refused = feeds("add", secret, database_url=database_url)
    assert refused.returncode == 1
    assert "credentials" in refused.stderr and "config file" in refused.stderr
    assert "hunter2secret" not in refused.stderr + refused.stdout
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM ingest_feeds").fetchone()[0] == 0


def test_feeds_refuse_a_database_whose_schema_is_behind(bare_database_url: str) -> None:
    done = feeds("list", database_url=bare_database_url)
    assert done.returncode == 1
    assert "the feed tables are at version 0" in done.stderr and "run `newsflow migrate` first" in done.stderr
    assert "Traceback" not in done.stderr


def test_health_with_no_failing_feed_says_so_and_exits_0(database_url: str) -> None:
    migrated(database_url)
    done = feeds("health", database_url=database_url)
    assert (done.returncode, done.stdout.strip()) == (0, "all feeds healthy")
    as_json = json.loads(feeds("health", "--json", database_url=database_url).stdout)
    assert as_json == {"dead_after": 10, "failing": 0, "dead": 0, "feeds": []}
