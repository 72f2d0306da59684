"""A loopback website for ingest tests: feeds and article pages, with ETags and request logs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from kafka import KafkaConsumer, TopicPartition

from newsflow.models import RawArticle, decode
from newsflow.settings import Settings

WORDS = (
    "Alrosa and De Beers both sold about $100 million worth of diamonds in late November, "
    "sources told Bloomberg. Sales have picked up slightly after some of the industry's biggest "
    "players took radical steps to prop up diamond prices, which have fallen nearly 30% since March 2022."
)


def article_html(n: int, title: str) -> str:
    paragraphs = "".join(f"<p>Paragraph {i} of story {n}. {WORDS}</p>" for i in range(6))
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        "<meta property='og:site_name' content='Loopback News'></head><body>"
        "<nav><a href='/'>Home</a> <a href='/markets'>Markets</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>(c) Loopback News</footer></body></html>"
    )


def rss(items: list[tuple[str, str, str]]) -> str:
    """RSS 2.0 with (guid, link, title) items."""
    now = datetime(2023, 12, 18, 12, 0, tzinfo=UTC)
    body = "".join(
        f"<item><guid isPermaLink='false'>{guid}</guid><link>{link}</link><title>{title}</title>"
        f"<description>Summary of {title}.</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate></item>"
        for i, (guid, link, title) in enumerate(items)
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Loopback</title>{body}</channel></rss>"


@dataclass
class Site:
    """Routes served on 127.0.0.1; each route: (status, content type, body bytes)."""

    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    page_delay_s: float = 0.0
    fail_once: set[str] = field(default_factory=set)  # paths answering 503 to their first request
    down_until: dict[str, float] = field(default_factory=dict)  # path -> monotonic time until which it answers 503
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location of a 302
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    request_times: list[tuple[str, float]] = field(default_factory=list)  # (path, time.time() on arrival)
    in_flight: int = 0
    max_in_flight: int = 0  # most requests being answered at once
    base_url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> None:
        self.routes[path] = (status, content_type, body.encode("utf-8") if isinstance(body, str) else body)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with site._lock:
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
            try:
                self._answer()
            finally:
                with site._lock:
                    site.in_flight -= 1

        def _answer(self) -> None:
            path = self.path.split("?", 1)[0]
            site.request_times.append((path, time.time()))
            site.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
            if path in site.redirects:
                self.send_response(302)
                self.send_header("Location", site.redirects[path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, content_type, body = site.routes.get(path, (404, "text/plain", b"not found"))
            if time.monotonic() < site.down_until.get(path, 0.0):
                status, content_type, body = 503, "text/plain", b"down for maintenance"
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path in site.fail_once:
                site.fail_once.discard(path)
                status, content_type, body = 503, "text/plain", b"busy"
            if site.page_delay_s and path.startswith("/news/"):
                time.sleep(site.page_delay_s)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve(site: Site, host: str = "127.0.0.1") -> Iterator[Site]:
    """Serve ``site`` on a free port of ``host`` (any 127.x.y.z: a second host for per-host limits)."""
    server = ThreadingHTTPServer((host, 0), _handler(site))
    server.daemon_threads = True
    site.base_url = f"http://{host}:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def read_articles(settings: Settings, timeout_s: float = 20.0, expect: int | None = None) -> list[RawArticle]:
    """Every RawArticle on the raw topic, read from the beginning without a group.

    Reads until ``expect`` records (or, without it, until two quiet seconds): the
    records actually read are the truth, not ``end_offsets()`` (docs/tansu-end-offsets.md).
    """
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(settings.topics.raw, p) for p in range(settings.topics.partitions)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        articles: list[RawArticle] = []
        deadline = time.monotonic() + timeout_s
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            batches = consumer.poll(timeout_ms=200)
            for records in batches.values():
                articles.extend(decode(RawArticle, r.value) for r in records)
                quiet_since = time.monotonic()
            if expect is not None and len(articles) >= expect:
                break
            if expect is None and time.monotonic() - quiet_since > 2.0:
                break
        return articles
    finally:
        consumer.close()


ROOT = Path(__file__).resolve().parents[2]


def start_ingest(settings: Settings, tmp_path: Path, name: str = "ingest") -> subprocess.Popen:
    """``python -m newsflow ingest`` in its own process, logging to ``tmp_path/<name>.log``."""
    config = tmp_path / f"{name}.yaml"
    config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "kafka_bootstrap_servers"})))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "",
        "DATABASE_URL": settings.database_dsn(),
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow", "ingest", "--config", str(config)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
