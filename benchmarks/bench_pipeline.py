"""End-to-end throughput: feeds on loopback → ingest → enrich → sink → Postgres.

Prints articles per second end to end next to the bound measured in the same
run: page extraction alone (the pipeline's own decode + trafilatura call) on
the same pages with the same number of processes.

    python benchmarks/bench_pipeline.py --pages 300

The broker and database are resolved like everywhere else:
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL if set, else testcontainers when Docker
answers, else the embedded Tansu broker and pgserver. enrich and sink run as
separate processes (as in production); they are started and warmed up (groups
joined, schema migrated) before the clock starts, and the clock stops when the
last article is in Postgres.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus  # noqa: E402

from newsflow.embedded import create_database, kafka_service, postgres_service  # noqa: E402
from newsflow.feedserver import serve_folder  # noqa: E402
from newsflow.kafka import ensure_topics, make_producer  # noqa: E402
from newsflow.lifecycle import Stopper  # noqa: E402
from newsflow.models import RawArticle, article_id, encode  # noqa: E402
from newsflow.settings import FeedConfig, FetchConfig, Settings, TopicsConfig  # noqa: E402


def _extract_one(path: str) -> int:
    from ingest.charset import decode_html
    from ingest.extract import extract_article

    page = extract_article(decode_html(Path(path).read_bytes(), "text/html"), "http://bench.invalid/")
    return len(page.text or "")


def measure_bound(paths: list[str], processes: int) -> float:
    """Pages per second of extraction alone with ``processes`` workers."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_extract_one, paths[: processes * 2])  # warm the workers' imports
        start = time.perf_counter()
        pool.map(_extract_one, paths, chunksize=4)
        return len(paths) / (time.perf_counter() - start)


def count_articles(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def wait_for_rows(dsn: str, expected: int, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if count_articles(dsn) >= expected:
            return time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError(f"only {count_articles(dsn)} of {expected} articles reached Postgres")


def start_service(name: str, config: Path, env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow", name, "--config", str(config)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def warm_up(settings: Settings, dsn: str) -> None:
    """One article through enrich and sink: groups joined, schema in place."""
    url = f"http://warmup.invalid/{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    article = RawArticle(
        id=article_id(url), url=url, canonical_url=url, feed_url=url, entry_id="warmup",
        title="warm-up", text="Alrosa halted sales in September.", fetched_at=now, published_at=now,
    )
    producer = make_producer(settings)
    producer.send(settings.topics.raw, key=article.id.encode(), value=encode(article)).get(30)
    producer.close()
    wait_for_rows(dsn, 1, 120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nf-bench-")))
        corpus = write_corpus(work / "site", args.pages, args.feeds)
        paths = [str(corpus.root / p.lstrip("/")) for p in corpus.page_paths]
        bound = measure_bound(paths, args.processes)

        broker = stack.enter_context(kafka_service(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), work / "broker.log"))
        pg = stack.enter_context(postgres_service(os.environ.get("DATABASE_URL"), work / "pg"))
        dsn = create_database(pg.address, f"nf_bench_{uuid.uuid4().hex[:8]}")
        base_url = stack.enter_context(serve_folder(corpus.root))
        tag = uuid.uuid4().hex[:8]
        settings = Settings(
            kafka_bootstrap_servers=broker.address,
            database_url=dsn,
            topics=TopicsConfig(raw=f"b{tag}.raw", enriched=f"b{tag}.enriched", dlq=f"b{tag}.dlq", partitions=6),
            fetch=FetchConfig(allow_private_addresses=True),
            feeds=[FeedConfig(url=base_url + p, name=p) for p in corpus.feed_paths],
            enrich_group=f"b{tag}.enrich",
            sink_group=f"b{tag}.sink",
            extract_workers=args.processes,
            consumer_session_timeout_ms=6000,
            consumer_heartbeat_interval_ms=2000,
        )
        config = work / "config.yaml"
        config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url", "feeds"})))
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker.address, "DATABASE_URL": dsn}
        ensure_topics(settings)
        services = [start_service(name, config, env, work) for name in ("enrich", "sink")]
        try:
            warm_up(settings, dsn)
            from ingest.service import run_ingest

            start = time.perf_counter()
            report = run_ingest(settings, Stopper(), once=True)
            ingest_done = time.perf_counter()
            end = wait_for_rows(dsn, args.pages + 1, 600)
        finally:
            for proc in services:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(60) for proc in services]

    e2e = args.pages / (end - start)
    print(f"pages: {args.pages} in {args.feeds} feeds, {args.processes} processes, {os.cpu_count()} cores")
    print(f"broker: {broker.how}; postgres: {pg.how}")
    print(f"ingest published {report.published if hasattr(report, 'published') else '?'} articles")
    print(f"bound (extraction alone, {args.processes} processes): {bound:8.1f} articles/s")
    print(f"ingest alone (fetch+extract+publish):      {args.pages / (ingest_done - start):8.1f} articles/s")
    print(f"end to end (feeds -> Postgres):            {e2e:8.1f} articles/s")
    print(f"ratio end to end / bound:                  {e2e / bound:8.2f}  (target >= 0.80)")
    print(f"enrich/sink exit codes after SIGTERM: {codes}")


if __name__ == "__main__":
    main()
