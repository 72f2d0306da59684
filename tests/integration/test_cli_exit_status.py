"""``ingest --once`` and ``run --once`` exit non-zero and name the feeds that failed (issue 10).

One feed of a loopback site works, one answers 404: the good feed's articles
still go through, the failed one is listed on stderr, and the exit status is 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import yaml

from commands.pipeline import FEEDS_FAILED
from devstack.feedserver import serve_folder
from newsflow.settings import FeedConfig, Settings
from seeds import SEEDS_DIR

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _cli(command: str, settings: Settings, tmp_path: Path) -> subprocess.CompletedProcess:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})))
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "DATABASE_URL": settings.database_dsn()}
    return subprocess.run(
        [sys.executable, "-m", "newsflow", command, "--once", "--config", str(config)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_once_exits_3_and_names_the_failed_feed(command: str, make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    with serve_folder(SEEDS_DIR) as base_url:
        good, missing = f"{base_url}/feeds/markets.xml", f"{base_url}/feeds/gone.xml"
        settings = make_settings(feeds=[FeedConfig(url=good, name="markets"), FeedConfig(url=missing, name="gone")])
        done = _cli(command, settings, tmp_path)

    assert done.returncode == FEEDS_FAILED, done.stdout[-2000:] + done.stderr[-3000:]
    failed = done.stderr[done.stderr.index("newsflow: 1 feed(s) failed:"):].splitlines()
    assert failed[1].startswith(f"  {missing}: ") and "404" in failed[1], failed
    assert good not in done.stderr.split("failed:", 1)[1]
    with psycopg.connect(settings.database_dsn()) as conn:
        seen = conn.execute("SELECT count(*) FROM ingest_entries").fetchone()[0]
        errors = conn.execute("SELECT url, consecutive_errors FROM ingest_feeds WHERE consecutive_errors > 0").fetchall()
    assert seen == 2  # markets.xml's two entries went through despite the other feed
    assert errors == [(missing, 1)]
    if command == "run":
        assert "2 article(s) written to Postgres" in done.stdout, done.stdout
