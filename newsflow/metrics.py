"""Prometheus metrics and health endpoints of a newsflow process (issue 10).

The metrics live in this module's registry and the stages count into them
where the work happens; :func:`metrics_server` serves them, when
``metrics_port`` is set, with two health endpoints:

* ``/metrics``: the Prometheus text format;
* ``/healthz``: liveness, 200 while the process answers;
* ``/readyz``: 200 when the broker and (for stages that write it) Postgres
  are reachable and every consumer stage of the process has joined its group
  and been assigned partitions; else 503 with what is missing, one per line.

Counters count what is durable: an article is *published* once Kafka
acknowledged it, *enriched* once its enriched record was acknowledged,
*written* once its transaction committed, and a dead letter once the broker
acknowledged it. A batch retried after a failure is not counted twice.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from newsflow.errors import ConfigError

if TYPE_CHECKING:
    from newsflow.settings import Settings

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

FEEDS_POLLED = Counter("newsflow_feeds_polled", "Feed polls made", registry=REGISTRY)
FEEDS_NOT_MODIFIED = Counter(
    "newsflow_feeds_not_modified", "Feed polls answered 304 Not Modified", registry=REGISTRY
)
FEEDS_FAILED = Counter(
    "newsflow_feeds_failed",
    "Feed polls that failed, by kind: transient, permanent, unexpected, or kafka (articles not published)",
    ["kind"], registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "newsflow_fetch_seconds", "Time of an HTTP fetch, success or failure, of a feed or an article page",
    ["target"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30), registry=REGISTRY,
)
ARTICLES_PUBLISHED = Counter(
    "newsflow_articles_published", "Raw articles acknowledged by Kafka (ingest)", registry=REGISTRY
)
ARTICLES_ENRICHED = Counter(
    "newsflow_articles_enriched", "Enriched articles acknowledged by Kafka (enrich)", registry=REGISTRY
)
ARTICLES_WRITTEN = Counter(
    "newsflow_articles_written", "Articles committed to Postgres (sink)", registry=REGISTRY
)
EVENTS_PUBLISHED = Counter(
    "newsflow_events_published", "Event records on news.events acknowledged by Kafka (enrich)", registry=REGISTRY
)
DEAD_LETTERS = Counter(
    "newsflow_dead_letters", "Records sent to the dead-letter topic, by stage and error type",
    ["stage", "reason"], registry=REGISTRY,
)
CONSUMER_LAG = Gauge(
    "newsflow_consumer_lag",
    "Records between a group's committed offset and the partition's high watermark, updated at each commit",
    ["group", "topic", "partition"], registry=REGISTRY,
)
BATCH_SECONDS = Histogram(
    "newsflow_batch_seconds", "Time to store and commit one batch, by stage",
    ["stage"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY,
)


class Readiness:
    """Which consumer stages of this process have joined their group, and the checks of its dependencies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: dict[str, bool] = {}
        self.checks: dict[str, Callable[[], str | None]] = {}

    def expect_group(self, stage: str) -> None:
        with self._lock:
            self._groups[stage] = False

    def group_joined(self, stage: str, joined: bool) -> None:
        with self._lock:
            if stage in self._groups:
                self._groups[stage] = joined

    def forget_group(self, stage: str) -> None:
        with self._lock:
            self._groups.pop(stage, None)

    def problems(self) -> list[str]:
        """What keeps the process from being ready; empty when it is."""
        with self._lock:
            waiting = [f"{stage}: consumer group not joined yet" for stage, joined in self._groups.items() if not joined]
        return [f"{what}: {problem}" for what, check in self.checks.items() if (problem := check()) is not None] + waiting


READINESS = Readiness()


def broker_check(bootstrap: str) -> Callable[[], str | None]:
    """None once a bootstrap server accepts a TCP connection (the clients do the rest)."""
    servers = [s.strip().rpartition(":") for s in bootstrap.split(",") if s.strip()]

    def check() -> str | None:
        problem = "no bootstrap server"
        for host, _, port in servers:
            try:
                with socket.create_connection((host.strip("[]"), int(port)), timeout=2.0):
                    return None
            except (OSError, ValueError) as exc:
                problem = f"{host}:{port} unreachable ({exc})"
        return problem

    return check


def database_check(dsn: str) -> Callable[[], str | None]:
    """None when Postgres accepts a connection; never the DSN (it holds the password)."""

    def check() -> str | None:
        import psycopg

        try:
            with psycopg.connect(dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return None
        except psycopg.Error as exc:
            return f"unreachable ({type(exc).__name__})"

    return check


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._reply(HTTPStatus.OK, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            self._reply(HTTPStatus.OK, b"ok\n")
        elif path == "/readyz":
            problems = READINESS.problems()
            body = ("\n".join(problems) if problems else "ready") + "\n"
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE if problems else HTTPStatus.OK, body.encode())
        else:
            self._reply(HTTPStatus.NOT_FOUND, b"not found: try /metrics, /healthz or /readyz\n")

    def _reply(self, status: HTTPStatus, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # a scrape every few seconds is not worth a log line


@contextlib.contextmanager
def metrics_server(
    host: str, port: int | None, checks: dict[str, Callable[[], str | None]]
) -> Iterator[int | None]:
    """Serve /metrics, /healthz and /readyz on ``host:port`` meanwhile; nothing when ``port`` is None.

    Yields the port listened on (``port`` 0 picks a free one).
    """
    if port is None:
        yield None
        return
    READINESS.checks = checks
    try:
        server = ThreadingHTTPServer((host, port), _Handler)
    except OSError as exc:
        raise ConfigError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    bound = server.server_address[1]
    log.info("metrics on http://%s:%d/metrics, health on /healthz and /readyz", host, bound)
    try:
        yield bound
    finally:
        server.shutdown()
        server.server_close()


def serving_metrics(settings: Settings, needs_database: bool = True) -> contextlib.AbstractContextManager[int | None]:
    """:func:`metrics_server` for a service with these settings; /readyz checks its broker (and database)."""
    checks = {"Kafka": broker_check(settings.kafka_bootstrap_servers or "")}
    if needs_database:
        checks["Postgres"] = database_check(settings.database_dsn())
    return metrics_server(settings.metrics_host, settings.metrics_port, checks)
