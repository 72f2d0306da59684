"""End-to-end throughput: feeds on loopback → ingest → enrich → sink → Postgres.

Prints articles per second end to end next to the bound measured in the same
run: page extraction alone (the pipeline's own decode + trafilatura call) on
the same pages with the same number of processes.

    python benchmarks/bench_pipeline.py --pages 300

The broker and database are resolved like everywhere else:
KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL if set, else testcontainers when Docker
answers, else the embedded Tansu broker and pgserver. enrich and sink run as
separate processes (as in production), as does the loopback web server. The
three services are warmed up first (each feed serves one item, which goes all
the way to Postgres: groups joined, schemas migrated, extraction pool started);
then every feed gains its share of the N pages at once, the clock starts, and
it stops when the last article is in Postgres. The CPU each role used in that
window is printed per article, to show where the time goes.
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
from pathlib import Path

import psycopg
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus  # noqa: E402

from newsflow.embedded import (  # noqa: E402
    create_database,
    free_port,
    kafka_service,
    postgres_service,
    wait_for_port,
)
from newsflow.kafka import ensure_topics  # noqa: E402
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


def _proc_stat(pid: int) -> tuple[int, str, float] | None:
    """(parent pid, label, CPU seconds) of a process, from /proc (Linux only)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), _label(pid, cmdline), (int(fields[11]) + int(fields[12])) / ticks


def _label(pid: int, cmdline: str) -> str:
    if pid == os.getpid():
        return "benchmark harness"
    if "newsflow.feedserver" in cmdline:
        return "web server (load generator)"
    for name in ("ingest", "enrich", "sink"):
        if f"newsflow {name}" in cmdline:
            return name
    if "tansu" in cmdline:
        return "broker (tansu)"
    if cmdline.startswith("postgres") or "/postgres" in cmdline.split(" ")[0]:
        return "postgres"
    if "multiprocessing" in cmdline or "spawn_main" in cmdline or "forkserver" in cmdline:
        return "ingest extraction pool"
    return "other"


def cpu_by_role() -> dict[str, float]:
    """CPU seconds used so far by this process, its descendants and Postgres, per role."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))):
            stats[int(entry)] = stat
    mine = {os.getpid()}
    changed = True
    while changed:
        before = len(mine)
        mine |= {pid for pid, (ppid, _, _) in stats.items() if ppid in mine}
        changed = len(mine) != before
    totals: dict[str, float] = {}
    for pid, (_, label, cpu) in stats.items():
        if pid in mine or label == "postgres":
            totals[label] = totals.get(label, 0.0) + cpu
    return totals


def start_service(name: str, config: Path, env: dict[str, str], log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "newsflow", name, "--config", str(config)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def serve_in_own_process(root: Path) -> tuple[subprocess.Popen, str]:
    """The loopback web server in a process of its own, as a real site would be."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow.feedserver", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, proc=proc)
    return proc, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--feeds", type=int, default=4)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nf-bench-")))
        # The warm-up items come first: they are what the feeds serve at first.
        corpus = write_corpus(work / "site", args.pages + args.feeds, args.feeds)
        paths = [str(corpus.root / p.lstrip("/")) for p in corpus.page_paths[args.feeds:]]
        bound = measure_bound(paths, args.processes)

        broker = stack.enter_context(kafka_service(os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), work / "broker.log"))
        pg = stack.enter_context(postgres_service(os.environ.get("DATABASE_URL"), work / "pg"))
        dsn = create_database(pg.address, f"nf_bench_{uuid.uuid4().hex[:8]}")
        full_feeds = {p: (corpus.root / p.lstrip("/")).read_text() for p in corpus.feed_paths}
        for path, text in full_feeds.items():
            (corpus.root / path.lstrip("/")).write_text(first_items(text, 1))
        server, base_url = serve_in_own_process(corpus.root)
        stack.callback(server.terminate)
        tag = uuid.uuid4().hex[:8]
        settings = Settings(
            kafka_bootstrap_servers=broker.address,
            database_url=dsn,
            topics=TopicsConfig(raw=f"b{tag}.raw", enriched=f"b{tag}.enriched", dlq=f"b{tag}.dlq", partitions=6),
            fetch=FetchConfig(allow_private_addresses=True),
            feeds=[FeedConfig(url=base_url + p, name=p, interval_s=0.5) for p in corpus.feed_paths],
            enrich_group=f"b{tag}.enrich",
            sink_group=f"b{tag}.sink",
            extract_workers=args.processes,
            consumer_session_timeout_ms=6000,
            consumer_heartbeat_interval_ms=2000,
        )
        config = work / "config.yaml"
        config.write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude={"database_url"})))
        env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": broker.address, "DATABASE_URL": dsn}
        ensure_topics(settings)
        services = [start_service(name, config, env, work) for name in ("sink", "enrich", "ingest")]
        try:
            # Warm-up: one item per feed through all three services, so groups
            # are joined, schemas migrated and the extraction pool started.
            wait_for_rows(dsn, args.feeds, 180)
            cpu_before = cpu_by_role()
            start = time.perf_counter()
            for path, text in full_feeds.items():
                _replace(corpus.root / path.lstrip("/"), text)
            end = wait_for_rows(dsn, args.pages + args.feeds, 900)
            cpu_after = cpu_by_role()
        finally:
            for proc in services:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(60) for proc in services]

    e2e = args.pages / (end - start)
    print(f"pages: {args.pages} in {args.feeds} feeds, {args.processes} extraction processes, {os.cpu_count()} cores")
    print(f"broker: {broker.how}; postgres: {pg.how}")
    print(f"bound (extraction alone, {args.processes} processes): {bound:8.1f} articles/s")
    print(f"end to end (feeds -> Postgres):            {e2e:8.1f} articles/s")
    print(f"ratio end to end / bound:                  {e2e / bound:8.2f}  (target >= 0.80)")
    print(f"sink/enrich/ingest exit codes after SIGTERM: {codes}")
    print(f"CPU per article during the timed run (ms); {end - start:.1f} s wall x {os.cpu_count()} cores "
          f"= {1000 * (end - start) * (os.cpu_count() or 1) / args.pages:.2f} ms available per article:")
    for role in sorted(cpu_after, key=lambda r: cpu_before.get(r, 0.0) - cpu_after[r]):
        used = cpu_after[role] - cpu_before.get(role, 0.0)
        print(f"  {role:35s} {1000 * used / args.pages:7.2f}")


def first_items(rss: str, keep: int) -> str:
    """The feed with only its first ``keep`` items (what it served before the burst)."""
    head, _, rest = rss.partition("<item>")
    items = ("<item>" + rest).split("</item>")
    tail = items[-1]
    return head + "".join(item + "</item>" for item in items[:keep]) + tail


def _replace(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
