"""Broker faults on a three-node Apache Kafka KRaft cluster, with the services running.

ingest, enrich and sink run as separate processes against a cluster of three
combined broker+controller nodes; topics have three replicas and
``min.insync.replicas=2``, and every producer is idempotent with ``acks=all``.
A loopback site keeps adding stories while brokers are SIGKILLed. No service
is ever restarted. Each test prints its figures (articles, kills, lost,
duplicated, seconds to resume) on a ``FIGURES`` line: ``resume_s`` is from the
cluster being back (every broker registered, every partition in sync) to the
next article stored in Postgres; ``fresh_story_s`` is to a story the feed
gained at that moment, behind the backlog that built up meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import yaml

from newsflow.settings import FeedConfig, FetchConfig, Settings, TopicsConfig
from tests.integration.ingest_site import Site, article_html, rss, serve
from tests.kafka.broker import KafkaCluster, kafka_cluster

pytestmark = [pytest.mark.integration, pytest.mark.faults]

ROOT = Path(__file__).resolve().parents[2]
RESUME_LIMIT_S = 30.0
WAVE = 5  # stories added to the feed per wave
WAVE_PAUSE_S = 1.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pytest.skip("broker fault tests start their own Apache Kafka cluster")
    with kafka_cluster(tmp_path_factory.mktemp("cluster3"), size=3) as started:
        yield started


@dataclass
class Newsroom:
    """A loopback site whose feed grows by a wave of stories every second."""

    site: Site
    published: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def add(self, count: int) -> list[int]:
        start = len(self.published)
        new = list(range(start, start + count))
        for n in new:
            self.site.set(f"/news/{n}", article_html(n, f"Story {n}"))
        self.published.extend(new)
        # Newest first, as feeds are; the feed keeps every story so none is missed.
        items = [(f"story-{n}", f"{self.site.base_url}/news/{n}", f"Story {n}") for n in reversed(self.published)]
        self.site.set("/feed.xml", rss(items), "application/rss+xml")
        return new

    def run_waves(self) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(WAVE_PAUSE_S):
                self.add(WAVE)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Services:
    procs: dict[str, subprocess.Popen]
    logs: dict[str, Path]

    def alive(self) -> dict[str, bool]:
        return {name: proc.poll() is None for name, proc in self.procs.items()}

    def log_text(self, name: str) -> str:
        return self.logs[name].read_text(errors="replace")

    def tails(self, lines: int = 25) -> str:
        """The end of each service's log, without the client's per-connection chatter, for a failure message."""
        out = []
        for name in self.logs:
            kept = [line for line in self.log_text(name).splitlines() if " kafka.net." not in line]
            out.append(f"--- {name} (last {lines} lines)\n" + "\n".join(kept[-lines:]))
        return "\n".join(out)

    def stop(self) -> dict[str, int | None]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                codes[name] = proc.wait()
        return codes


def _settings(cluster: KafkaCluster, database_url: str, feed_url: str) -> Settings:
    unique = uuid.uuid4().hex[:8]
    return Settings(
        kafka_bootstrap_servers=cluster.bootstrap,
        database_url=database_url,
        feeds=[FeedConfig(url=feed_url, name="newsroom", interval_s=1.0)],
        fetch=FetchConfig(allow_private_addresses=True, total_timeout_s=10.0, retry_base_s=1.0, retry_cap_s=5.0),
        topics=TopicsConfig(
            raw=f"f{unique}.raw", enriched=f"f{unique}.enriched", dlq=f"f{unique}.dlq",
            partitions=3, replication_factor=3,
        ),
        enrich_group=f"f{unique}.enrich",
        sink_group=f"f{unique}.sink",
        sink_batch_timeout_ms=300,
        consumer_session_timeout_ms=6000,
        consumer_heartbeat_interval_ms=2000,
        extract_workers=1,
    )


@pytest.fixture
def running() -> Iterator[list[Services]]:
    """Services started by a test; stopped even when the test fails."""
    started: list[Services] = []
    yield started
    for services in started:
        services.stop()


def _start_services(settings: Settings, tmp_path: Path) -> Services:
    config = tmp_path / "config.yaml"
    dumped = settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})
    dumped["log_level"] = "INFO"
    config.write_text(yaml.safe_dump(dumped))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "DATABASE_URL": settings.database_dsn(),
        "PYTHONPATH": str(ROOT),
    }
    procs, logs = {}, {}
    for name in ("sink", "enrich", "ingest"):
        logs[name] = tmp_path / f"{name}.log"
        with logs[name].open("ab") as out:
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", "newsflow", name, "--config", str(config)],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
    return Services(procs, logs)


def _stored_titles(dsn: str) -> dict[str, int]:
    """Title -> number of rows (more than one would be a duplicate)."""
    try:
        with psycopg.connect(dsn) as conn:
            rows = conn.execute("SELECT title, count(*) FROM articles GROUP BY title").fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return dict(rows)


def _duplicated_child_rows(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        producers = conn.execute(
            "SELECT count(*) - count(DISTINCT (article_id, producer)) FROM article_producers"
        ).fetchone()[0]
        events = conn.execute(
            "SELECT count(*) - count(DISTINCT (article_id, ordinal)) FROM article_events"
        ).fetchone()[0]
    return producers + events


def _wait(condition: Callable[[], bool], timeout_s: float, services: Services | None = None) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        if services is not None:
            dead = [n for n, up in services.alive().items() if not up]
            assert not dead, f"services exited: {dead}"
        time.sleep(0.25)
    return False


def _all_stored(dsn: str, stories: list[int]) -> Callable[[], bool]:
    wanted = {f"Story {n}" for n in stories}
    return lambda: wanted <= set(_stored_titles(dsn))


def _figures(cluster: KafkaCluster, name: str, **figures: object) -> None:
    """Print the figures, and keep them beside the session's temporary files (for a run without -s)."""
    line = f"FIGURES {name}: {json.dumps(figures)}"
    print("\n" + line)
    with (cluster.root.parent / "fault-figures.txt").open("a") as out:
        out.write(line + "\n")


def _finish(dsn: str, newsroom: Newsroom, services: Services, timeout_s: float = 120.0) -> dict[str, int]:
    """Stop the feed growing, wait for every story, then check for losses and duplicates."""
    newsroom.stop()
    _wait(_all_stored(dsn, newsroom.published), timeout_s, services)
    alive = services.alive()
    codes = services.stop()
    stored = _stored_titles(dsn)
    wanted = {f"Story {n}" for n in newsroom.published}
    lost = len(wanted - set(stored))
    duplicated = sum(c - 1 for c in stored.values()) + _duplicated_child_rows(dsn)
    assert all(alive.values()), f"a service died during the run: {alive}"
    assert codes == {"sink": 0, "enrich": 0, "ingest": 0}, codes
    return {"articles": len(wanted), "lost": lost, "duplicated": duplicated}


def _resume_after(dsn: str, newsroom: Newsroom, services: Services) -> tuple[float, float]:
    """(seconds until articles reach Postgres again, seconds until a story added now is stored).

    Called as the cluster has just returned. The first is "flow resumes"; the
    second also includes working off the stories the feed gained meanwhile.
    """
    started = time.monotonic()
    before = len(_stored_titles(dsn))
    fresh = newsroom.add(WAVE)
    assert _wait(lambda: len(_stored_titles(dsn)) > before, 120, services), "flow did not resume within 120 s"
    resumed = time.monotonic() - started
    assert _wait(_all_stored(dsn, fresh), 120, services), "stories added after the return never arrived"
    return resumed, time.monotonic() - started


@contextlib.contextmanager
def _pipeline_in_flight(cluster, database_url, tmp_path, running) -> Iterator[tuple[Settings, Newsroom, Services, str]]:
    """The three services on a loopback feed site, past their first wave, with more waves coming."""
    # A test before may have left a restarted node still catching up: start from a cluster in sync.
    cluster.wait_ready()
    site = Site()
    with serve(site):
        newsroom = Newsroom(site)
        newsroom.add(WAVE)
        settings = _settings(cluster, database_url, f"{site.base_url}/feed.xml")
        services = _start_services(settings, tmp_path)
        running.append(services)
        dsn = settings.database_dsn()
        assert _wait(_all_stored(dsn, newsroom.published), 90, services), (
            f"pipeline never started; stored {sorted(_stored_titles(dsn))}\n{services.tails()}"
        )
        newsroom.run_waves()
        yield settings, newsroom, services, dsn


def test_one_broker_killed_at_a_time_loses_and_duplicates_nothing(cluster, database_url, tmp_path, running):
    with _pipeline_in_flight(cluster, database_url, tmp_path, running) as (settings, newsroom, services, dsn):

        victims: list[tuple[str, int]] = []
        for role in ("partition leader", "active controller", "remaining node"):
            victim = _pick(cluster, settings, role, [v for _, v in victims])
            victims.append((role, victim))
            cluster.kill([victim])
            time.sleep(4)  # the flow goes on over the two survivors meanwhile
            before = len(_stored_titles(dsn))
            assert _wait(lambda b=before: len(_stored_titles(dsn)) > b, 30, services), f"no progress without {role}"
            cluster.start([victim])
        figures = _finish(dsn, newsroom, services)

    _figures(cluster, "one-broker-kills", kills=len(victims), victims=victims, **figures)
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures


def _pick(cluster: KafkaCluster, settings: Settings, role: str, killed: list[int]) -> int:
    if role == "partition leader":
        return cluster.partition_leader(settings.topics.raw, 0)
    if role == "active controller":
        controller = cluster.active_controller()
        if controller not in killed:
            return controller
    return next(n.node_id for n in cluster.nodes if n.node_id not in killed)


def test_whole_cluster_killed_and_restarted_with_its_data(cluster, database_url, tmp_path, running):
    with _pipeline_in_flight(cluster, database_url, tmp_path, running) as (_settings, newsroom, services, dsn):
        time.sleep(3)

        cluster.kill()
        time.sleep(3)
        cluster.start()
        resume_s, fresh_s = _resume_after(dsn, newsroom, services)
        figures = _finish(dsn, newsroom, services)

    _figures(cluster, "whole-cluster-restart", kills=3, resume_s=round(resume_s, 1), fresh_story_s=round(fresh_s, 1), **figures)
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures
    assert resume_s <= RESUME_LIMIT_S, figures


def test_cluster_down_for_a_minute_the_services_wait_and_resume(cluster, database_url, tmp_path, running):
    with _pipeline_in_flight(cluster, database_url, tmp_path, running) as (_settings, newsroom, services, dsn):
        time.sleep(2)

        cluster.kill()
        marks = {name: len(services.log_text(name)) for name in services.logs}
        time.sleep(60)
        alive = services.alive()
        said = {name: services.log_text(name)[marks[name]:] for name in services.logs}
        cluster.start()
        resume_s, fresh_s = _resume_after(dsn, newsroom, services)
        figures = _finish(dsn, newsroom, services)

    _figures(
        cluster, "cluster-down-60s", down_s=60, resume_s=round(resume_s, 1), fresh_story_s=round(fresh_s, 1),
        alive_while_down=alive, **figures,
    )
    assert all(alive.values()), alive
    for name in ("ingest", "enrich", "sink"):
        assert "waiting for Kafka" in said[name], f"{name} did not say what it waits for:\n{said[name][-2000:]}"
    assert figures["lost"] == 0 and figures["duplicated"] == 0, figures
    assert resume_s <= RESUME_LIMIT_S, figures
